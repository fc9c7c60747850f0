/**
 * BetterSqlite3Driver: the SqliteDriver contract over a better-sqlite3 `Database`. It states the
 * few methods it needs from the client structurally (Kysely style), so this module never imports
 * better-sqlite3 and works with any version that has them. It must never run SQL of its own beyond
 * transaction control, and never let a failed transaction stay open.
 */
import type { SqliteDriver, SqliteParams, SqliteRow, SqliteRunResult } from '../driver/sqlite-driver.js';

/** The part of a better-sqlite3 `Statement` this driver uses. */
export interface BetterSqlite3Statement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** The part of a better-sqlite3 `Database` this driver uses. */
export interface BetterSqlite3Database {
  prepare(source: string): BetterSqlite3Statement;
  exec(source: string): unknown;
  close(): unknown;
  /** True while a transaction is open (also after SQLite rolled one back on its own: then false). */
  readonly inTransaction: boolean;
}

/** Options for {@link BetterSqlite3Driver}. */
export interface BetterSqlite3DriverOptions {
  /** Prepared statements kept per connection before the least recently prepared is dropped. Default 256. */
  statementCacheSize?: number;
}

const DEFAULT_STATEMENT_CACHE_SIZE = 256;

/**
 * A {@link SqliteDriver} over a better-sqlite3 connection. Takes ownership: `close()` closes the database.
 *
 * @example
 * import Database from 'better-sqlite3';
 * const driver = new BetterSqlite3Driver(new Database('work.db'));
 * const store = new SqliteStore(driver, { path: 'work.db' });
 */
export class BetterSqlite3Driver implements SqliteDriver {
  readonly #db: BetterSqlite3Database;
  /** Statements by SQL text; Map order is insertion order, so the first key is the oldest. */
  readonly #statements = new Map<string, BetterSqlite3Statement>();
  readonly #cacheSize: number;
  readonly #begin: BetterSqlite3Statement;
  readonly #commit: BetterSqlite3Statement;
  readonly #rollback: BetterSqlite3Statement;

  constructor(db: BetterSqlite3Database, options: BetterSqlite3DriverOptions = {}) {
    this.#db = db;
    this.#cacheSize = Math.max(1, options.statementCacheSize ?? DEFAULT_STATEMENT_CACHE_SIZE);
    // Prepared once: transaction control runs on every write, and exec() would re-parse it each time.
    this.#begin = db.prepare('begin immediate');
    this.#commit = db.prepare('commit');
    this.#rollback = db.prepare('rollback');
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  run(sql: string, params: SqliteParams = []): SqliteRunResult {
    const { changes, lastInsertRowid } = this.#prepare(sql).run(...params);
    return { changes, lastInsertRowid };
  }

  get<Row extends object = SqliteRow>(sql: string, params: SqliteParams = []): Row | undefined {
    return this.#prepare(sql).get(...params) as Row | undefined;
  }

  all<Row extends object = SqliteRow>(sql: string, params: SqliteParams = []): Row[] {
    return this.#prepare(sql).all(...params) as Row[];
  }

  transaction<T>(fn: () => T): T {
    if (this.#db.inTransaction) {
      throw new Error('A SqliteDriver transaction was started inside another one; transactions do not nest, so run the inner work in the outer transaction.');
    }
    this.#begin.run();
    let result: T;
    try {
      result = fn();
      this.#commit.run();
    } catch (error) {
      // SQLite may already have rolled back by itself (SQLITE_FULL, SQLITE_IOERR...); a second
      // rollback would throw and hide the real error, so only roll back what is still open.
      if (this.#db.inTransaction) this.#rollback.run();
      throw error;
    }
    return result;
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  #prepare(sql: string): BetterSqlite3Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      if (this.#statements.size >= this.#cacheSize) {
        const oldest = this.#statements.keys().next();
        if (oldest.done !== true) this.#statements.delete(oldest.value);
      }
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
