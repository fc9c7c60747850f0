/**
 * One shape for every queue in the PostgreSQL cases (offstage on @offstage/postgres,
 * graphile-worker, pg-boss), so each workload (enqueue, drain, latency) is written once and runs
 * the same way on each. An adapter only translates: add jobs, start a worker of concurrency 8 whose
 * handler reports each job's id first thing, and count rows the way that queue keeps them.
 */
import { createWorkEngine, type WorkEngine } from '@offstage/core';
import { createPostgresStore, type PostgresStore } from '@offstage/postgres';
import pg from 'pg';
import { ENGINE_CONCURRENCY, stateCounts } from './offstage.js';

/** Rows in a queue's own tables, as the checks need them. */
export interface PgQueueCounts {
  /** Jobs not yet started. */
  waiting: number;
  /** Jobs finished successfully, or `deleted` for a queue that deletes a job when it completes. */
  finished: number | 'deleted';
  /** Every job row, in any state. */
  total: number;
}

/** An open queue on one database. */
export interface PgQueue {
  /**
   * Set for a worker that finds new jobs only by polling, every this many ms (no LISTEN): a job's
   * wait then depends on where in the poll cycle it arrives.
   */
  readonly pollIntervalMs?: number;
  /** Adds one job with input `{ i }`, due now; resolves with its id once committed. */
  add(i: number): Promise<string>;
  /** Adds jobs `{ i }` for every i in one call; resolves with their ids, or null when the call returns none (pg-boss `insert`). */
  addMany(inputs: readonly number[]): Promise<readonly string[] | null>;
  /** Every job id in the store (read after enqueueing, to check the handler saw exactly those). */
  jobIds(): Promise<string[]>;
  /**
   * Starts a worker of concurrency {@link ENGINE_CONCURRENCY} whose handler calls `onJob(id)` first
   * thing and then returns (a no-op job). Resolves once the worker is started and listening.
   * `onError` gets anything the worker reports as failed.
   */
  startWorker(onJob: (id: string) => void, onError: (error: Error) => void): Promise<void>;
  /** The queue's rows by state (a count of the whole table: for checks outside the clock). */
  counts(): Promise<PgQueueCounts>;
  /**
   * Jobs not finished yet (waiting or running), counted without reading finished rows, so it costs
   * the same however much history the table holds: what the clock waits on.
   */
  unfinished(): Promise<number>;
  /** Stops the worker (if started) and closes every connection the queue opened. */
  close(): Promise<void>;
}

/** A queue library as a side of the PostgreSQL cases. */
export interface PgQueueKind {
  /** Side name in reports. */
  name: string;
  /** Opens the queue on `url` (a database created for the run): schema installed, connections ready, nothing timed. */
  open(url: string): Promise<PgQueue>;
}

/** The task (or queue) name every PostgreSQL case uses. */
export const PG_TASK = 'noop';

/** offstage's pool size: its README says at least the engine's concurrency + 2. */
export const OFFSTAGE_MAX_CONNECTIONS = ENGINE_CONCURRENCY + 2;

/**
 * offstage as an application runs it on PostgreSQL (its README's setup): `createPostgresStore`,
 * `createWorkEngine({ concurrency: 8 })`, and `store.listen(() => engine.wake())` before
 * `engine.start()`, so NOTIFY wakes the worker.
 */
export const offstagePg: PgQueueKind = {
  name: 'offstage',
  async open(url) {
    const store = createPostgresStore({ connectionString: url, maxConnections: OFFSTAGE_MAX_CONNECTIONS, logger: quietLogger });
    await store.ready();
    let onJob: (id: string) => void = () => undefined;
    const engine = createWorkEngine({ store, concurrency: ENGINE_CONCURRENCY, tasks: { [PG_TASK]: ({ id }) => void onJob(id) } });
    // The store's own count reads the whole table (it is for dashboards); the clock needs one that
    // reads only unfinished work, on a connection of the benchmark's.
    const checker = new pg.Client({ connectionString: url });
    checker.on('error', () => undefined);
    await checker.connect();
    return new OffstagePgQueue(store, engine, checker, (f) => (onJob = f));
  },
};

/** Logs nothing: a benchmark run has no outages to report, and a failed run throws anyway. */
const quietLogger = { warn: (): void => undefined, info: (): void => undefined };

class OffstagePgQueue implements PgQueue {
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly store: PostgresStore,
    private readonly engine: WorkEngine,
    private readonly checker: pg.Client,
    private readonly setHandler: (onJob: (id: string) => void) => void,
  ) {}

  async add(i: number): Promise<string> {
    return (await this.engine.enqueue(PG_TASK, { input: { i } })).id;
  }

  async addMany(inputs: readonly number[]): Promise<string[]> {
    return (await this.engine.enqueueMany(PG_TASK, inputs.map((i) => ({ input: { i } })))).map((info) => info.id);
  }

  async jobIds(): Promise<string[]> {
    return (await this.store.query({ limit: Infinity })).map((w) => w.id);
  }

  async startWorker(onJob: (id: string) => void, onError: (error: Error) => void): Promise<void> {
    this.setHandler(onJob);
    this.engine.on('worker:error', ({ error, during }) => onError(new Error(`offstage worker:error while ${during}: ${describe(error)}`, { cause: error })));
    this.engine.on('work:failed', ({ id, error }) => onError(new Error(`offstage work ${id} failed: ${describe(error)}`)));
    this.unlisten = await this.store.listen(() => this.engine.wake());
    await this.engine.start();
  }

  async counts(): Promise<PgQueueCounts> {
    const c = await stateCounts(this.store);
    return { waiting: c.enqueued ?? 0, finished: c.succeeded ?? 0, total: c.total };
  }

  async unfinished(): Promise<number> {
    // One partial index each (work_claim_idx, work_running_task_idx): never the finished rows.
    const work = `"${this.store.schema}".work`;
    const { rows } = await this.checker.query<{ n: number }>(
      `select ((select count(*) from ${work} where state = 'enqueued') + (select count(*) from ${work} where state = 'running'))::int as n`,
    );
    return rows[0]!.n;
  }

  async close(): Promise<void> {
    try {
      await this.unlisten?.();
      await this.engine.close();
    } finally {
      await this.checker.end();
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
