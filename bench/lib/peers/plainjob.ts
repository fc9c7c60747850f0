/**
 * The plainjob peer (npm `plainjob`): a SQLite queue over a better-sqlite3 connection we open and
 * hand to it. `defineQueue` sets `journal_mode = WAL`, `synchronous = 1` (NORMAL) and
 * `busy_timeout = 5000` itself; for a FULL case we set `synchronous = FULL` after it, on the same
 * connection, and read it back. A plainjob worker runs one job at a time, so concurrency 8 is eight
 * workers on the one queue, in this process.
 */
import Database from 'better-sqlite3';
import { better, defineQueue, defineWorker, type Job, type Logger, type Queue, type Worker } from 'plainjob';
import type { Synchronous } from '../harness.js';
import { countStatements, type StatementCounter } from '../counting-db.js';
import { check } from '../verify.js';

export const PLAINJOB = 'plainjob';

/** plainjob's job states (its `JobStatus` enum). */
export const PLAINJOB_STATUS = { pending: 0, processing: 1, done: 2, failed: 3 } as const;

/** plainjob logs through the logger it is given (console by default); the benchmark silences it. */
export const SILENT_LOGGER: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** An open plainjob queue and the connection under it. */
export interface PlainjobQueue {
  db: Database.Database;
  queue: Queue;
  /** Statements run on the connection, when opened with `count: true`. */
  counter: StatementCounter | null;
  /** Jobs per status (`pending`, `processing`, `done`, `failed`) plus `total`. */
  counts(): Record<keyof typeof PLAINJOB_STATUS | 'total', number>;
  /** Stops the queue's maintenance timer and closes the connection. */
  close(): void;
}

/**
 * Opens a plainjob queue on `path` with `synchronous` (WAL either way).
 *
 * @example
 * const pj = openPlainjob(dbPath, 'NORMAL')
 * pj.queue.add('noop', { i: 1 })
 */
export function openPlainjob(path: string, synchronous: Synchronous, options: { count?: boolean } = {}): PlainjobQueue {
  const db = new Database(path);
  const counter = options.count ? countStatements(db) : null;
  const queue = defineQueue({ connection: better(db), logger: SILENT_LOGGER });
  if (synchronous === 'FULL') db.pragma('synchronous = FULL');
  const sync = db.pragma('synchronous', { simple: true }) as number;
  const journal = db.pragma('journal_mode', { simple: true }) as string;
  check(sync === (synchronous === 'FULL' ? 2 : 1) && journal === 'wal', `plainjob connection: synchronous=${sync}, journal_mode=${journal}; expected ${synchronous}, wal`);
  counter?.reset();
  return {
    db,
    queue,
    counter,
    counts() {
      const rows = db.prepare<[], { status: number; n: number }>('select status, count(*) n from plainjob_jobs group by status').all();
      const out = { pending: 0, processing: 0, done: 0, failed: 0, total: 0 };
      for (const r of rows) {
        const name = (Object.keys(PLAINJOB_STATUS) as Array<keyof typeof PLAINJOB_STATUS>).find((k) => PLAINJOB_STATUS[k] === r.status);
        if (name) out[name] += r.n;
        out.total += r.n;
      }
      return out;
    },
    close: () => queue.close(),
  };
}

/**
 * Starts `concurrency` plainjob workers for `type` on `queue` (each a loop that claims and runs one
 * job at a time and sleeps its poll interval, 1000 ms by default, when it finds none). `onError`
 * gets a worker loop's failure.
 *
 * @example
 * const workers = startPlainjobWorkers(pj.queue, 'noop', 8, (job) => tally(job.id), { onCompleted, onError })
 */
export function startPlainjobWorkers(
  queue: Queue,
  type: string,
  concurrency: number,
  handler: (job: Job) => void | Promise<void>,
  hooks: { onCompleted?: (job: Job) => void; onError: (error: unknown) => void },
): Worker[] {
  const workers = Array.from({ length: concurrency }, () =>
    defineWorker(type, handler, {
      queue,
      logger: SILENT_LOGGER,
      onCompleted: hooks.onCompleted,
      onFailed: (job, error) => hooks.onError(new Error(`plainjob job ${job.id} failed: ${error}`)),
    }),
  );
  for (const w of workers) w.start().catch(hooks.onError);
  return workers;
}
