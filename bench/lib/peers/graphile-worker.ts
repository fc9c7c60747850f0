/**
 * The graphile-worker peer (npm `graphile-worker` 0.17; 0.18 needs Node 22). Jobs are added through
 * `makeWorkerUtils` (`addJob`, `addJobs`), as a web server would, and run by `run()` with a task
 * list, concurrency 8 and signal handling off, as a worker process would. Both share one pool made
 * as graphile-worker makes its own from a connection string (`new Pool({ connectionString, max: 10 })`,
 * its default size), handed over as `pgPool` so that closing can wait for it to end (graphile-worker
 * ends a pool of its own without waiting, and a database dropped meanwhile would crash the process
 * through the dying connections' errors). Its logger is silenced (it
 * logs every completed job at info level by default). graphile-worker deletes a job's row when it
 * completes. Two configurations: its defaults (each worker fetches one job per query and deletes
 * it when done, one statement each), and the batching its performance page shows for throughput
 * (`localQueue.size` jobs fetched and locked per query, completions of the same tick deleted in one
 * statement with `completeJobBatchDelay: 0`).
 */
import { EventEmitter } from 'node:events';
import { Logger, makeWorkerUtils, run, type Runner, type WorkerEvents, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { ENGINE_CONCURRENCY } from '../offstage.js';
import { PG_TASK, type PgQueue, type PgQueueCounts, type PgQueueKind } from '../pg-queue.js';

export const GRAPHILE_WORKER = 'graphile-worker';
export const GRAPHILE_WORKER_BATCHED = 'graphile-worker (batched)';

/**
 * The batching of graphile-worker's performance page (worker.graphile.org/docs/performance): there,
 * `localQueue: { size: 500 }` and `completeJobBatchDelay: 0` with concurrency 24; the local queue
 * size is kept, and completions are batched within one tick (delay 0), as shown there.
 */
export const GRAPHILE_BATCHING = { localQueue: { size: 500 }, completeJobBatchDelay: 0 } as const;

/** graphile-worker's default pool size (`maxPoolSize`). */
const GRAPHILE_POOL_SIZE = 10;

/** graphile-worker's default `pollInterval` (ms): how often an idle worker looks for jobs besides NOTIFY. */
export const GRAPHILE_POLL_INTERVAL_MS = 2_000;

const SILENT = new Logger(() => () => undefined);

/**
 * graphile-worker as a PostgreSQL side: its defaults, or with {@link GRAPHILE_BATCHING}.
 *
 * @example
 * const kind = graphileWorkerKind({ batched: true })
 */
export function graphileWorkerKind(options: { batched: boolean }): PgQueueKind {
  return {
    name: options.batched ? GRAPHILE_WORKER_BATCHED : GRAPHILE_WORKER,
    async open(url) {
      const pool = new pg.Pool({ connectionString: url, max: GRAPHILE_POOL_SIZE });
      // What graphile-worker installs on a pool of its own: dropped connections are not fatal.
      pool.on('error', () => undefined);
      pool.on('connect', (client) => void client.on('error', () => undefined));
      try {
        const utils = await makeWorkerUtils({ pgPool: pool, logger: SILENT });
        await utils.migrate();
        return new GraphileQueue(pool, utils, options.batched);
      } catch (error) {
        await pool.end();
        throw error;
      }
    },
  };
}

class GraphileQueue implements PgQueue {
  private runner: Runner | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly utils: WorkerUtils,
    private readonly batched: boolean,
  ) {}

  async add(i: number): Promise<string> {
    return (await this.utils.addJob(PG_TASK, { i })).id;
  }

  async addMany(inputs: readonly number[]): Promise<string[]> {
    return (await this.utils.addJobs(inputs.map((i) => ({ identifier: PG_TASK, payload: { i } })))).map((job) => job.id);
  }

  async jobIds(): Promise<string[]> {
    const { rows } = await this.utils.withPgClient((client) => client.query<{ id: string }>('select id::text as id from graphile_worker._private_jobs'));
    return rows.map((r) => r.id);
  }

  async startWorker(onJob: (id: string) => void, onError: (error: Error) => void): Promise<void> {
    const events: WorkerEvents = new EventEmitter();
    const listening = new Promise<void>((resolve, reject) => {
      events.once('pool:listen:success', () => resolve());
      events.once('pool:listen:error', ({ error }) => reject(toError(error)));
    });
    events.on('job:error', ({ job, error }) => onError(new Error(`graphile-worker job ${job.id} failed: ${toError(error).message}`)));
    events.on('worker:fatalError', ({ error }) => onError(toError(error)));
    this.runner = await run({
      pgPool: this.pool,
      concurrency: ENGINE_CONCURRENCY,
      noHandleSignals: true,
      pollInterval: GRAPHILE_POLL_INTERVAL_MS,
      logger: SILENT,
      events,
      taskList: { [PG_TASK]: (_payload, helpers) => void onJob(helpers.job.id) },
      parsedCronItems: [],
      preset: this.batched ? { worker: GRAPHILE_BATCHING } : undefined,
    });
    await listening;
  }

  async counts(): Promise<PgQueueCounts> {
    const { rows } = await this.utils.withPgClient((client) =>
      client.query<{ total: number; waiting: number }>(
        'select count(*)::int as total, (count(*) filter (where locked_at is null and attempts = 0))::int as waiting from graphile_worker._private_jobs',
      ),
    );
    return { waiting: rows[0]!.waiting, finished: 'deleted', total: rows[0]!.total };
  }

  async unfinished(): Promise<number> {
    // Completed jobs are deleted: every row left is unfinished.
    const { rows } = await this.utils.withPgClient((client) => client.query<{ n: number }>('select count(*)::int as n from graphile_worker._private_jobs'));
    return rows[0]!.n;
  }

  async close(): Promise<void> {
    try {
      await this.runner?.stop();
      await this.utils.release();
    } finally {
      await this.pool.end();
    }
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
