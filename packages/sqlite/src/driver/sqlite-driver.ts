/**
 * The SQLite driver contract: the few synchronous calls SqliteStore needs from a SQLite client, so
 * better-sqlite3, node:sqlite and expo-sqlite can each plug in with a small adapter. A driver
 * caches prepared statements by SQL text and reports failures with SQLite's result code name.
 * It must never decide anything about work: no SQL of its own beyond transaction control.
 */

/** A value SQLite can bind or return. Integers come back as `number` (epoch ms fit in 53 bits). */
export type SqliteValue = string | number | bigint | null | Uint8Array;

/** Positional parameters, bound to the `?` placeholders of a statement in order. */
export type SqliteParams = readonly SqliteValue[];

/** What a write statement did. */
export interface SqliteRunResult {
  /** Rows inserted, updated or deleted by the statement (not counting cascades or triggers). */
  changes: number;
  /** The rowid of the last inserted row on this connection. */
  lastInsertRowid: number | bigint;
}

/** A row as an object keyed by column name. */
export type SqliteRow = Record<string, SqliteValue>;

/**
 * A synchronous connection to one SQLite database.
 *
 * Errors thrown by any method carry `code`: SQLite's (possibly extended) result code name, such as
 * `'SQLITE_BUSY'`, `'SQLITE_CORRUPT'`, `'SQLITE_NOTADB'`, `'SQLITE_READONLY'` or
 * `'SQLITE_CONSTRAINT_UNIQUE'`, so the store can turn them into typed errors without knowing the client.
 *
 * @example
 * const driver: SqliteDriver = new BetterSqlite3Driver(new Database('work.db'));
 * driver.transaction(() => driver.run('update work set state = ? where id = ?', ['cancelled', 'a']));
 * driver.close();
 */
export interface SqliteDriver {
  /** Runs one or more statements with no parameters and no result (DDL, pragmas). */
  exec(sql: string): void;
  /** Runs one statement, binding `params`; for writes. */
  run(sql: string, params?: SqliteParams): SqliteRunResult;
  /** Runs one statement and returns its first row, or undefined. */
  get<Row extends object = SqliteRow>(sql: string, params?: SqliteParams): Row | undefined;
  /** Runs one statement and returns every row (also for `insert`/`update` ... `returning`). */
  all<Row extends object = SqliteRow>(sql: string, params?: SqliteParams): Row[];
  /**
   * Runs `fn` inside `begin immediate` ... `commit`, rolling back if it throws. `begin immediate`
   * takes the write lock up front, so two processes that both mean to write queue on the busy
   * timeout instead of both taking read locks and deadlocking when each tries to upgrade
   * (SQLITE_BUSY that no wait can resolve). Transactions do not nest: calling this inside `fn` throws.
   */
  transaction<T>(fn: () => T): T;
  /** Closes the connection and drops cached statements. */
  close(): void;
}
