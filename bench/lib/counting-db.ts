/**
 * Counting the statements a peer queue runs on its own better-sqlite3 connection: wraps the
 * connection's `prepare` (and `exec`, `pragma`) so every statement execution (`run`, `get`, `all`,
 * `iterate`) adds one. `begin`/`commit` of `db.transaction()` are run by better-sqlite3 inside its
 * native code and are not counted, the same as for offstage's counting driver.
 */
import type Database from 'better-sqlite3';

/** A statement counter attached to one connection. */
export interface StatementCounter {
  /** Statements executed since the last {@link reset}. */
  readonly count: number;
  /** Executions per statement (first 60 characters of its SQL, whitespace collapsed). */
  readonly bySql: Map<string, number>;
  reset(): void;
}

const EXECUTING = new Set(['run', 'get', 'all', 'iterate']);

/**
 * Wraps `db` (in place) so that every statement it runs is counted. Call before handing `db` to
 * the queue library, which may keep its own reference to `prepare`.
 *
 * @example
 * const counter = countStatements(db)
 * const queue = defineQueue({ connection: better(db) })
 * ...; counter.reset(); await sleep(30_000); counter.count // statements in the window
 */
export function countStatements(db: Database.Database): StatementCounter {
  const bySql = new Map<string, number>();
  let count = 0;
  const add = (sql: string): void => {
    count++;
    const label = sql.replace(/\s+/g, ' ').trim().slice(0, 60);
    bySql.set(label, (bySql.get(label) ?? 0) + 1);
  };
  const prepare = db.prepare.bind(db);
  const exec = db.exec.bind(db);
  const pragma = db.pragma.bind(db);
  const wrap = (stmt: Database.Statement, sql: string): Database.Statement => {
    const proxy: Database.Statement = new Proxy(stmt, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (typeof key === 'string' && EXECUTING.has(key)) add(sql);
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          // Chainable setters (`raw()`, `pluck()`, `bind()`...) return the statement: keep counting it.
          return result === target ? proxy : result;
        };
      },
    });
    return proxy;
  };
  Object.assign(db, {
    prepare: (sql: string) => wrap(prepare(sql), sql),
    exec: (sql: string) => {
      add(sql);
      return exec(sql);
    },
    pragma: (sql: string, options?: Database.PragmaOptions) => {
      add(`pragma ${sql}`);
      return pragma(sql, options);
    },
  });
  return {
    get count() {
      return count;
    },
    bySql,
    reset() {
      count = 0;
      bySql.clear();
    },
  };
}
