/**
 * The liteque peer (npm `liteque`): a drizzle-orm queue over better-sqlite3. liteque's dequeue runs
 * an `async` function inside `db.transaction()`, which better-sqlite3 refuses since 11.10 ("Transaction
 * function cannot return a promise", karakeep-app/karakeep#1594), and this repository's
 * better-sqlite3 is 12.x. So liteque runs on better-sqlite3 11.9.1, installed under the alias
 * `better-sqlite3-11` (its own SQLite build; see {@link litequeSqliteVersion}), and
 * {@link probeLitequeOnProjectDriver} shows the failure on 12.x live in every run. The connection
 * gets exactly the pragmas liteque's own `buildDBClient` sets (WAL, `synchronous`, a 64 MiB page
 * cache, foreign keys, in-memory temp store), with `synchronous` from the case instead of its
 * NORMAL; better-sqlite3's default 5 s busy timeout applies.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrateDB, Runner, SqliteQueue } from 'liteque';
import type { Synchronous } from '../harness.js';
import { countStatements, type StatementCounter } from '../counting-db.js';
import { check } from '../verify.js';

export const LITEQUE = 'liteque';

/** The runner settings of every liteque side: its README's example values, concurrency as offstage's. */
export const LITEQUE_RUNNER = { pollIntervalMs: 1000, timeoutSecs: 60 } as const;

const require = createRequire(import.meta.url);

/** better-sqlite3 11.9.1, the last release that lets liteque's async transaction through. */
function database11(): typeof BetterSqlite3 {
  return require('better-sqlite3-11') as typeof BetterSqlite3;
}

/**
 * The drizzle database liteque takes. Its `buildDBClient` also passes its table schema to drizzle,
 * which only drizzle's relational query API uses (liteque does not), and which it does not export.
 */
type LitequeDb = Parameters<typeof migrateDB>[0];

/** A drizzle database over `sqlite`, as liteque's `buildDBClient` makes one. */
function litequeDb(sqlite: BetterSqlite3.Database): LitequeDb {
  return drizzle(sqlite) as unknown as LitequeDb;
}

/** The payload of every liteque job in the benchmark. */
export interface LitequePayload {
  i: number;
}

/** An open liteque queue and the connection under it. */
export interface LitequeQueue {
  sqlite: BetterSqlite3.Database;
  db: LitequeDb;
  counter: StatementCounter | null;
  /** Builds a queue named `bench` on the connection; `onFinalized` runs after each job's row is finalized. */
  queue(onFinalized?: (id: number, status: string) => void): SqliteQueue<LitequePayload>;
  /** Rows per status in the `tasks` table plus `total` (liteque deletes completed jobs). */
  counts(): Record<string, number>;
  close(): void;
}

/**
 * Opens a liteque database at `path` (migrated) with the pragmas of liteque's `buildDBClient`.
 *
 * @example
 * const lq = openLiteque(dbPath, 'NORMAL')
 * await lq.queue().enqueue({ i: 1 })
 */
export function openLiteque(path: string, synchronous: Synchronous, options: { count?: boolean } = {}): LitequeQueue {
  const Database = database11();
  const sqlite = new Database(path);
  const counter = options.count ? countStatements(sqlite) : null;
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('temp_store = MEMORY');
  const db = litequeDb(sqlite);
  migrateDB(db);
  const sync = sqlite.pragma('synchronous', { simple: true }) as number;
  check(sync === (synchronous === 'FULL' ? 2 : 1), `liteque connection: synchronous=${sync}, expected ${synchronous}`);
  counter?.reset();
  return {
    sqlite,
    db,
    counter,
    queue(onFinalized) {
      class BenchQueue extends SqliteQueue<LitequePayload> {
        override async finalize(...args: Parameters<SqliteQueue<LitequePayload>['finalize']>): Promise<void> {
          await super.finalize(...args);
          onFinalized?.(args[0], args[2]);
        }
      }
      return new BenchQueue('bench', db, { defaultJobArgs: { numRetries: 0 }, keepFailedJobs: true });
    },
    counts() {
      const out: Record<string, number> = { total: 0 };
      for (const r of sqlite.prepare<[], { status: string; n: number }>('select status, count(*) n from tasks group by status').all()) {
        out[r.status] = r.n;
        out.total! += r.n;
      }
      return out;
    },
    close: () => sqlite.close(),
  };
}

/**
 * Enqueues `count` jobs fast: one through liteque's own `enqueue` (with `delayMs`), then copies of
 * its row in one statement, payload `{ i }` for i = 0..count-1 and `availableAt` `stepMs` apart.
 * For setting up drains and idle stores, never timed.
 *
 * @example
 * await seedLiteque(lq, 20_000, 0, 0)
 */
export async function seedLiteque(lq: LitequeQueue, count: number, delayMs: number, stepMs: number): Promise<void> {
  const first = await lq.queue().enqueue({ i: 0 }, { delayMs });
  check(first !== undefined, 'liteque: the template enqueue returned nothing');
  if (count > 1) {
    lq.sqlite
      .prepare(
        `with recursive k(i) as (select 1 union all select i + 1 from k where i < ?)
         insert into tasks (queue, payload, createdAt, availableAt, status, expireAt, allocationId, numRunsLeft, maxNumRuns, idempotencyKey, priority)
         select t.queue, json_object('i', k.i), t.createdAt, t.availableAt + k.i * ?, t.status, t.expireAt, lower(hex(randomblob(7))),
                t.numRunsLeft, t.maxNumRuns, null, t.priority
         from tasks t, k where t.id = ?`,
      )
      .run(count - 1, stepMs, first.id);
  }
  const total = lq.counts().total;
  check(total === count, `liteque seed: expected ${count} rows, found ${total}`);
}

/**
 * Runs one dequeue of liteque on this repository's better-sqlite3 (12.x) and returns the error it
 * throws, or null if it works.
 *
 * @example
 * await probeLitequeOnProjectDriver() // 'TypeError: Transaction function cannot return a promise'
 */
export async function probeLitequeOnProjectDriver(): Promise<string | null> {
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  // In memory and never closed: when better-sqlite3 refuses the async transaction function, that
  // function still runs on (its awaited update), and must find the connection open.
  const sqlite = new Database(':memory:');
  const db = litequeDb(sqlite);
  migrateDB(db);
  const queue = new SqliteQueue<LitequePayload>('probe', db, { defaultJobArgs: { numRetries: 0 }, keepFailedJobs: true });
  await queue.enqueue({ i: 0 });
  try {
    await queue.attemptDequeue({ timeoutSecs: 60 });
    return null;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The SQLite version linked into the better-sqlite3 11.9.1 that liteque runs on. */
export function litequeSqliteVersion(): string {
  const Database = database11();
  const db = new Database(':memory:');
  try {
    return (db.prepare('select sqlite_version() v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

/**
 * Starts a liteque runner (concurrency as given, {@link LITEQUE_RUNNER} settings) on `queue`.
 * Returns the runner and the promise of its loop, which ends some time after `stop()`
 * (when its current poll sleep is over).
 *
 * @example
 * const { runner, loop } = startLiteque(queue, 8, (job) => tally(job.id))
 */
export function startLiteque(
  queue: SqliteQueue<LitequePayload>,
  concurrency: number,
  run: (job: { id: string; data: LitequePayload }) => void,
  onError: (error: unknown) => void,
): { runner: Runner<LitequePayload>; loop: Promise<void> } {
  const runner = new Runner<LitequePayload>(
    queue,
    {
      run: async (job) => run(job),
      onError: async (job) => onError(new Error(`liteque job ${job.id} failed: ${String(job.error)}`)),
    },
    { concurrency, ...LITEQUE_RUNNER },
  );
  const loop = runner.run().catch((error: unknown) => onError(error));
  return { runner, loop };
}
