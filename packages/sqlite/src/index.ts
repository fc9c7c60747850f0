/**
 * @offstage/sqlite: the WorkStore on SQLite, over a small synchronous driver contract. This entry
 * never loads a SQLite client itself (import `@offstage/sqlite/better-sqlite3` for that), so it
 * runs wherever a driver does: Node, Electron, React Native.
 */
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type { SqliteDriver, SqliteParams, SqliteRow, SqliteRunResult, SqliteValue } from './driver/sqlite-driver.js';
export {
  BetterSqlite3Driver,
  type BetterSqlite3Database,
  type BetterSqlite3DriverOptions,
  type BetterSqlite3Statement,
} from './drivers/better-sqlite3-driver.js';
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
export type { DatabaseSettings, PreparedDatabase } from './prepare-database.js';
