/**
 * Readies a freshly opened connection for SqliteStore: checks that the file is readable and is
 * offstage's (or empty), then sets the connection pragmas and applies pending migrations in one
 * transaction. It must never write to a file before it has proved the file is an offstage (or
 * empty) database, so a wrong path or a damaged file is refused with its bytes unchanged.
 */
import { StoreCorruptError, StoreOpenError } from '@offstage/core';
import type { SqliteDriver } from './driver/sqlite-driver.js';
import { MIGRATIONS, OFFSTAGE_APPLICATION_ID, SCHEMA_VERSION } from './migrations.js';
import { describeDatabase, toStoreError } from './to-store-error.js';

/** Connection settings applied on open. */
export interface DatabaseSettings {
  /** The database file, used in error messages only. */
  path?: string;
  /** `NORMAL` (default) may lose the last commits on power loss but never corrupts; `FULL` syncs every commit. */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another connection's write lock before failing with SQLITE_BUSY. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * The most pages the write-ahead log grows to before the commit that crosses it copies it back
   * into the database (SQLite's `wal_autocheckpoint`), and the size the log file is trimmed to
   * afterwards. Default 4000 (16 MiB of 4 KiB pages). That commit also waits for two fsyncs, so
   * a larger log means such stalls come more rarely (each copies more, but a page rewritten many
   * times is copied once); the store also checkpoints whenever it has been idle for
   * `idleCheckpointMs`, so in most use the log never gets near this cap. After the disk fills
   * up, the store empties the log once space returns and keeps it under 100 pages from then on.
   */
  checkpointPages?: number;
  /**
   * After this many milliseconds without a store call, the store copies the log back into the
   * database (a PASSIVE checkpoint: it never waits for, or blocks, another connection), off the
   * path of any work. Default 250; null never does (then only `checkpointPages` bounds the log).
   */
  idleCheckpointMs?: number | null;
}

/** What {@link prepareDatabase} found and did. */
export interface PreparedDatabase {
  /** The journal mode in effect: `wal` for files, `memory` for in-memory databases. */
  journalMode: string;
  /** The schema version before opening (0 for a new database). */
  previousVersion: number;
  /** Migrations applied by this open (empty when the schema was current). */
  applied: number[];
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/** See {@link DatabaseSettings.checkpointPages}. */
export const DEFAULT_CHECKPOINT_PAGES = 4_000;
/** See {@link DatabaseSettings.idleCheckpointMs}. */
export const DEFAULT_IDLE_CHECKPOINT_MS = 250;

/**
 * Validates, configures and migrates the database behind `db`. Throws StoreCorruptError for a
 * file that is not a SQLite database or belongs to another application, StoreOpenError for one
 * that cannot be opened or written or was written by a newer offstage.
 *
 * @example
 * const { applied } = prepareDatabase(driver, { path: 'jobs.db', synchronous: 'FULL' });
 */
export function prepareDatabase(db: SqliteDriver, settings: DatabaseSettings = {}): PreparedDatabase {
  const { path } = settings;
  const what = describeDatabase(path);
  const busyTimeoutMs = settings.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const synchronous = settings.synchronous ?? 'NORMAL';
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new StoreOpenError(`${what} was given busyTimeoutMs ${String(busyTimeoutMs)}; pass a whole number of milliseconds, 0 or more.`);
  }
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new StoreOpenError(`${what} was given synchronous "${String(synchronous)}"; pass "NORMAL" or "FULL".`);
  }
  const checkpointPages = settings.checkpointPages ?? DEFAULT_CHECKPOINT_PAGES;
  if (!Number.isSafeInteger(checkpointPages) || checkpointPages < 1) {
    throw new StoreOpenError(`${what} was given checkpointPages ${String(checkpointPages)}; pass a whole number of pages, 1 or more.`);
  }
  const idleCheckpointMs = settings.idleCheckpointMs === undefined ? DEFAULT_IDLE_CHECKPOINT_MS : settings.idleCheckpointMs;
  if (idleCheckpointMs !== null && (!Number.isSafeInteger(idleCheckpointMs) || idleCheckpointMs < 1)) {
    throw new StoreOpenError(`${what} was given idleCheckpointMs ${String(idleCheckpointMs)}; pass a whole number of milliseconds, 1 or more, or null.`);
  }
  try {
    db.exec(`pragma busy_timeout = ${busyTimeoutMs}`);
    // Read-only checks first: reading the schema is what fails on a file that is not a database.
    const before = readIdentity(db);
    assertOurs(before, what);
    // WAL lets readers run beside the one writer; an in-memory database answers `memory` and stays so.
    const journalMode = String(db.get<{ journal_mode: string }>('pragma journal_mode = wal')?.journal_mode ?? 'unknown');
    db.exec(`pragma synchronous = ${synchronous}`);
    if (journalMode === 'wal') {
      db.exec(`pragma wal_autocheckpoint = ${checkpointPages}`);
      // Trims a log that a burst grew past the cap back to it once the log restarts.
      const pageSize = Number(db.get<{ page_size: number }>('pragma page_size')?.page_size ?? 4096);
      db.exec(`pragma journal_size_limit = ${checkpointPages * pageSize}`);
    }
    db.exec('pragma foreign_keys = on');
    const applied = migrate(db, what);
    return { journalMode, previousVersion: before.userVersion, applied };
  } catch (error) {
    throw toStoreError(error, path);
  }
}

interface Identity {
  applicationId: number;
  userVersion: number;
  objects: number;
}

function readIdentity(db: SqliteDriver): Identity {
  const objects = db.get<{ n: number }>('select count(*) as n from sqlite_schema')?.n ?? 0;
  const applicationId = db.get<{ application_id: number }>('pragma application_id')?.application_id ?? 0;
  const userVersion = db.get<{ user_version: number }>('pragma user_version')?.user_version ?? 0;
  return { applicationId, userVersion, objects };
}

/** Refuses another application's database and one from a newer offstage, before anything is written. */
function assertOurs(identity: Identity, what: string): void {
  const { applicationId, userVersion, objects } = identity;
  const empty = applicationId === 0 && userVersion === 0 && objects === 0;
  if (!empty && applicationId !== OFFSTAGE_APPLICATION_ID) {
    throw new StoreCorruptError(
      `${what} is a SQLite database of another application (application_id ${applicationId}, user_version ${userVersion}, ${objects} schema objects); offstage left it unchanged, so give offstage a file of its own.`,
    );
  }
  if (userVersion > SCHEMA_VERSION) {
    throw new StoreOpenError(
      `${what} has schema version ${userVersion}, but this offstage knows only up to version ${SCHEMA_VERSION}; upgrade offstage to open it (the file was left unchanged).`,
    );
  }
}

/**
 * Applies pending migrations in one `begin immediate` transaction. Two processes opening a new
 * file at once both get here: the second waits on the write lock, then re-reads `user_version`
 * inside its transaction and finds nothing left to do, so no migration ever runs twice.
 */
function migrate(db: SqliteDriver, what: string): number[] {
  return db.transaction(() => {
    const identity = readIdentity(db);
    assertOurs(identity, what);
    const pending = MIGRATIONS.filter((m) => m.version > identity.userVersion);
    for (const migration of pending) db.exec(migration.sql);
    // Written even when nothing was pending: a cheap probe that fails with SQLITE_READONLY now, at
    // open, rather than at the first claim. With nothing pending it rewrites the same value.
    db.exec(`pragma user_version = ${pending.at(-1)?.version ?? identity.userVersion}`);
    return pending.map((m) => m.version);
  });
}
