/**
 * Brings a database's offstage schema up to date: creates the schema and its migrations table, and
 * applies pending migrations, all in one transaction under a transaction-scoped advisory lock, so
 * many workers starting at once migrate exactly once. It must never run a migration twice, never
 * leave half a migration behind, and never touch a schema written by a newer offstage.
 */
import { StoreOpenError } from '@offstage/core';
import { defineStatement, type Db } from './db.js';
import { MIGRATIONS, SCHEMA_PLACEHOLDER, SCHEMA_VERSION } from './migrations.js';

/**
 * What {@link migrateDatabase} (and `store.ready()`) found and did.
 *
 * @example
 * const { previousVersion, applied } = await store.ready(); // { previousVersion: 0, applied: [1] } on a new database
 */
export interface MigrationResult {
  /** The schema version before (0 for a new schema). */
  previousVersion: number;
  /** Migrations this call applied (empty when the schema was current). */
  applied: number[];
}

/*
 * Purpose: whether the migrations table exists yet (0), or not (null); read without a lock, the
 * fast path of every open once the schema is current.
 * Parameters: the migrations table's qualified name.
 */
const READ_VERSION = defineStatement(
  'migrations-read',
  () => `select case when to_regclass($1::text) is null then null else 0 end as present`,
);

/*
 * Purpose: serialise migrations of one schema across every process, until the transaction ends.
 * Parameters: '<schema>:migrate'.
 */
const LOCK = defineStatement('migrations-lock', () => `select pg_advisory_xact_lock(hashtext($1::text))`);

/**
 * Applies pending migrations; returns the version found and what was applied. Throws
 * StoreOpenError when the schema is newer than this code.
 *
 * Two workers opening a new database together both get here. Each takes the advisory lock on
 * `<schema>:migrate` in its own transaction; the second waits until the first commits, then reads
 * the version again inside its transaction (a new statement, so it sees the commit) and finds
 * nothing to do. `create schema if not exists` alone would not be enough: two concurrent creates
 * of the same schema can both pass the "not exists" check, and one fails on the catalog's key.
 *
 * @example
 * const { applied } = await migrateDatabase(db, 'postgres://localhost/jobs');
 */
export async function migrateDatabase(db: Db, server: string): Promise<MigrationResult> {
  const { names } = db;
  const table = `${names.quoted}.migrations`;
  const current = await readVersion(db, table);
  if (current !== null) {
    assertKnown(current, names.name, server);
    if (current === SCHEMA_VERSION) return { previousVersion: current, applied: [] };
  }
  return db.transaction(async (tx) => {
    await tx.query(LOCK(tx.names), [`${names.name}:migrate`]);
    // Purpose: the schema and its migrations table, the first time. Parameters: none.
    await tx.query({ text: `create schema if not exists ${names.quoted}` });
    await tx.query({
      text: `create table if not exists ${table} (version integer primary key, name text not null, applied_at timestamptz not null default now())`,
    });
    const previousVersion = (await readVersion(tx, table)) ?? 0;
    assertKnown(previousVersion, names.name, server);
    const pending = MIGRATIONS.filter((m) => m.version > previousVersion);
    for (const migration of pending) {
      await tx.query({ text: migration.sql.split(SCHEMA_PLACEHOLDER).join(names.quoted) });
      // Purpose: record the migration just applied. Parameters: version, name.
      await tx.query({ text: `insert into ${table} (version, name) values ($1, $2)` }, [migration.version, migration.name]);
    }
    return { previousVersion, applied: pending.map((m) => m.version) };
  });
}

/**
 * The schema version recorded in `<schema>.migrations`, or null when that table does not exist.
 *
 * @example
 * await readSchemaVersion(db) // 1
 */
export async function readSchemaVersion(db: Db): Promise<number | null> {
  return readVersion(db, `${db.names.quoted}.migrations`);
}

async function readVersion(db: Db, table: string): Promise<number | null> {
  const [probe] = await db.query<{ present: number | null }>(READ_VERSION(db.names), [table]);
  if (probe?.present === null || probe === undefined) return null;
  // Purpose: the highest migration applied (0 for none). Parameters: none.
  const [row] = await db.query<{ version: number | null }>({ text: `select max(version) as version from ${table}` });
  return row?.version ?? 0;
}

function assertKnown(version: number, schema: string, server: string): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreOpenError(
      `The offstage schema "${schema}" on PostgreSQL at ${server} has version ${version}, but this offstage knows only up to version ${SCHEMA_VERSION}; upgrade offstage to use it (nothing was changed).`,
    );
  }
}
