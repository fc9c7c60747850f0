/**
 * @offstage/postgres: the WorkStore on PostgreSQL, for a fleet of workers: SKIP LOCKED claims,
 * LISTEN/NOTIFY wake-ups, transactional enqueue on the caller's own transaction. It loads `pg` (a
 * peer dependency) only when asked to build a pool from a connection string.
 */
export { createPostgresStore, PostgresStore, type NotifyHandler, type PostgresStoreOptions } from './postgres-store.js';
export { isPostgresConnectionString } from './is-postgres-connection-string.js';
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
export type { MigrationResult } from './migrate-database.js';
export type { StoreLogger } from './notify-listener.js';
export type { PgModule, PgNotification, PgPool, PgPoolClient, PgQueryable, PgQueryConfig, PgQueryResult } from './pg-client.js';
export { DEFAULT_SCHEMA } from './schema-name.js';
