/**
 * Case: drain rate of no-op jobs at concurrency 8, on a given `synchronous` setting. n jobs are
 * enqueued before the clock starts. offstage is timed from `engine.start()` to the last
 * `work:succeeded`; raw better-sqlite3 from its first claim to its last complete, claiming
 * batches of 8 (one transaction) and completing each job in its own transaction; plainjob (eight
 * workers) and liteque (a runner of concurrency 8) from starting them to the n-th job's final
 * write; BullMQ (NORMAL case only, for reference) from starting its worker to the n-th `completed`.
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { BULK_BATCH } from './enqueue-bulk.js';
import type { BenchCase, Side, Synchronous } from '../lib/harness.js';
import { ENGINE_CONCURRENCY, failOnWorkerError, openEngine, stateCounts } from '../lib/offstage.js';
import { openRawQueue, RAW_CLAIM_BATCH } from '../lib/raw-sqlite.js';
import { BULLMQ, BullmqRedis } from '../lib/peers/bullmq.js';
import { LITEQUE, openLiteque, seedLiteque, startLiteque } from '../lib/peers/liteque.js';
import { openPlainjob, PLAINJOB, startPlainjobWorkers } from '../lib/peers/plainjob.js';
import { sidequestSide } from '../lib/peers/sidequest.js';
import { check, OnceTally } from '../lib/verify.js';
import { Counter } from '../lib/wait.js';

/** Longest a drain may take before the run fails: generous, only there to stop a hang. */
const drainTimeoutMs = (n: number): number => 60_000 + n * 10;

const offstage: Side = {
  name: 'offstage',
  kind: 'offstage',
  async run({ dbPath, n, synchronous }) {
    const calls = new OnceTally<string>('handler calls');
    const engine = await openEngine(dbPath, synchronous, { noop: ({ id }) => void calls.add(id) });
    try {
      const ids: string[] = [];
      for (let start = 0; start < n; start += BULK_BATCH) {
        const batch = Array.from({ length: Math.min(BULK_BATCH, n - start) }, (_, k) => ({ input: { i: start + k } }));
        for (const info of await engine.enqueueMany('noop', batch)) ids.push(info.id);
      }
      const succeeded = new OnceTally<string>('work:succeeded events');
      const done = new Counter();
      failOnWorkerError(engine, done);
      engine.on('work:succeeded', ({ id }) => {
        succeeded.add(id);
        done.increment();
      });

      const t0 = performance.now();
      await engine.start();
      const t1 = await done.until(n, drainTimeoutMs(n), `${n} work:succeeded events`);
      const seconds = (t1 - t0) / 1000;

      const verified = [calls.assertExactlyOnce(ids), succeeded.assertExactlyOnce(ids)];
      await engine.stop();
      const counts = await stateCounts(engine.store);
      check(counts.succeeded === n && counts.total === n, `offstage drain: expected ${n} succeeded rows, store counts ${JSON.stringify(counts)}`);
      return { values: { rate: n / seconds }, verified: `${verified.join(', ')}, ${n} rows succeeded` };
    } finally {
      await engine.close();
    }
  },
};

const raw: Side = {
  name: 'raw better-sqlite3',
  kind: 'floor',
  run({ dbPath, n, synchronous }) {
    const q = openRawQueue(dbPath, synchronous);
    try {
      for (let start = 0; start < n; start += BULK_BATCH) {
        q.insertMany('noop', Array.from({ length: Math.min(BULK_BATCH, n - start) }, (_, k) => JSON.stringify({ i: start + k })), Date.now());
      }
      const calls = new OnceTally<number>('handler calls');
      const handler = (id: number): void => calls.add(id);
      let incomplete = 0;

      const t0 = performance.now();
      for (;;) {
        const ids = q.claim(Date.now(), RAW_CLAIM_BATCH);
        if (ids.length === 0) break;
        for (const id of ids) {
          handler(id);
          if (!q.complete(id)) incomplete++;
        }
      }
      const seconds = (performance.now() - t0) / 1000;

      check(incomplete === 0, `raw drain: ${incomplete} completes found their job not running`);
      const verified = calls.assertExactlyOnce(Array.from({ length: n }, (_, k) => k + 1));
      const counts = q.counts();
      check(counts.done === n && Object.keys(counts).length === 1, `raw drain: expected ${n} done rows, found ${JSON.stringify(counts)}`);
      return Promise.resolve({ values: { rate: n / seconds }, verified: `${verified}, ${n} rows done` });
    } finally {
      q.close();
    }
  },
};

const plainjob: Side = {
  name: PLAINJOB,
  kind: 'sqlite-queue',
  async run({ dbPath, n, synchronous }) {
    const pj = openPlainjob(dbPath, synchronous);
    try {
      const ids: number[] = [];
      for (let start = 0; start < n; start += BULK_BATCH) {
        ids.push(...pj.queue.addMany('noop', Array.from({ length: Math.min(BULK_BATCH, n - start) }, (_, k) => ({ i: start + k }))).ids);
      }
      const calls = new OnceTally<number>('handler calls');
      const completed = new OnceTally<number>('onCompleted calls');
      const done = new Counter();
      const t0 = performance.now();
      const workers = startPlainjobWorkers(pj.queue, 'noop', ENGINE_CONCURRENCY, (job) => calls.add(job.id), {
        onCompleted: (job) => {
          completed.add(job.id);
          done.increment();
        },
        onError: (error) => done.fail(error instanceof Error ? error : new Error(String(error))),
      });
      try {
        const t1 = await done.until(n, drainTimeoutMs(n), `${n} plainjob completions`);
        const seconds = (t1 - t0) / 1000;
        const verified = [calls.assertExactlyOnce(ids), completed.assertExactlyOnce(ids)];
        const counts = pj.counts();
        check(counts.done === n && counts.total === n, `plainjob drain: expected ${n} done rows, found ${JSON.stringify(counts)}`);
        return { values: { rate: n / seconds }, verified: `${verified.join(', ')}, ${n} rows done` };
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    } finally {
      pj.close();
    }
  },
};

const liteque: Side = {
  name: LITEQUE,
  kind: 'sqlite-queue',
  async run({ dbPath, n, synchronous }) {
    const lq = openLiteque(dbPath, synchronous);
    let runner: { stop(): void } | null = null;
    let loop: Promise<void> = Promise.resolve();
    try {
      await seedLiteque(lq, n, 0, 0);
      const ids = lq.sqlite.prepare<[], { id: number }>('select id from tasks').all().map((r) => r.id);
      const calls = new OnceTally<string>('handler calls');
      const finalized = new OnceTally<number>('completed finalizes');
      const done = new Counter();
      const queue = lq.queue((id, status) => {
        if (status !== 'completed') return done.fail(new Error(`liteque job ${id} finalized as ${status}`));
        finalized.add(id);
        done.increment();
      });
      const t0 = performance.now();
      ({ runner, loop } = startLiteque(queue, ENGINE_CONCURRENCY, (job) => calls.add(job.id), (error) =>
        done.fail(error instanceof Error ? error : new Error(String(error))),
      ));
      try {
        const t1 = await done.until(n, drainTimeoutMs(n), `${n} liteque completions`);
        const seconds = (t1 - t0) / 1000;
        const verified = [calls.assertExactlyOnce(ids.map(String)), finalized.assertExactlyOnce(ids)];
        const counts = lq.counts();
        check(counts.total === 0, `liteque drain: expected every row deleted on completion, found ${JSON.stringify(counts)}`);
        return { values: { rate: n / seconds }, verified: `${verified.join(', ')}, 0 rows left (completed jobs are deleted)` };
      } finally {
        runner.stop();
      }
    } finally {
      // The runner's loop ends when its current poll sleep (up to 1 s) is over; close the connection
      // then, without holding up the next run (the loop makes no query after stop()).
      void loop.finally(() => lq.close());
    }
  },
};

/** The BullMQ side of the drain: a worker of concurrency 8 on a throwaway Redis. */
function bullmqSide(): Side {
  const redis = new BullmqRedis();
  return {
    name: BULLMQ,
    kind: 'reference',
    unavailable: () => redis.unavailable(),
    prepare: () => redis.prepare(),
    dispose: () => redis.dispose(),
    async run({ n }) {
      await redis.flush();
      const connection = redis.connection();
      const queue = new Queue('bench-drain', { connection });
      let worker: Worker | null = null;
      try {
        const ids: string[] = [];
        for (let start = 0; start < n; start += BULK_BATCH) {
          const jobs = await queue.addBulk(Array.from({ length: Math.min(BULK_BATCH, n - start) }, (_, k) => ({ name: 'noop', data: { i: start + k } })));
          for (const job of jobs) ids.push(job.id!);
        }
        const calls = new OnceTally<string>('handler calls');
        const completed = new OnceTally<string>('completed events');
        const done = new Counter();
        const t0 = performance.now();
        worker = new Worker('bench-drain', async (job) => void calls.add(job.id!), { connection, concurrency: ENGINE_CONCURRENCY });
        worker.on('completed', (job) => {
          completed.add(job.id!);
          done.increment();
        });
        worker.on('failed', (job, error) => done.fail(new Error(`BullMQ job ${job?.id} failed: ${error.message}`)));
        worker.on('error', (error) => done.fail(error));
        const t1 = await done.until(n, drainTimeoutMs(n), `${n} BullMQ completed events`);
        const seconds = (t1 - t0) / 1000;
        const verified = [calls.assertExactlyOnce(ids), completed.assertExactlyOnce(ids)];
        const counts = await queue.getJobCounts();
        const others = Object.entries(counts).filter(([state, c]) => state !== 'completed' && c !== 0);
        check(counts.completed === n && others.length === 0, `BullMQ drain: expected ${n} completed jobs, found ${JSON.stringify(counts)}`);
        return { values: { rate: n / seconds }, verified: `${verified.join(', ')}, ${n} jobs completed` };
      } finally {
        await worker?.close();
        await queue.close();
      }
    },
  };
}

/**
 * The drain case on `synchronous` (WAL either way).
 *
 * @example
 * drainCase('FULL')
 */
export function drainCase(synchronous: Synchronous): BenchCase {
  // FULL syncs the WAL on every commit: fewer jobs keep the run short on a slow disk.
  const full = synchronous === 'FULL';
  return {
    id: `drain-${synchronous.toLowerCase()}`,
    title: `Drain no-op jobs, concurrency ${ENGINE_CONCURRENCY}, synchronous=${synchronous}`,
    synchronous,
    nUnit: 'jobs',
    metrics: [{ key: 'rate', unit: 'jobs/s', better: 'higher' }],
    size: full
      ? { quick: { n: 200, runs: 5, warmupN: 50 }, full: { n: 5_000, runs: 5, warmupN: 500 } }
      : { quick: { n: 1_000, runs: 5, warmupN: 200 }, full: { n: 20_000, runs: 5, warmupN: 2_000 } },
    method:
      `n no-op jobs enqueued before the clock starts (offstage: \`enqueueMany\` in batches of ${BULK_BATCH}; raw: one transaction per ${BULK_BATCH}). ` +
      `offstage: timed from \`engine.start()\` to the n-th \`work:succeeded\`, concurrency ${ENGINE_CONCURRENCY}, handler \`({ id }) => tally(id)\`. ` +
      `raw: one synchronous loop, timed from the first claim to the last complete: claim up to ${RAW_CLAIM_BATCH} in one \`begin immediate\` transaction ` +
      "(`update jobs set state = 'running' where id in (select id from jobs where state = 'queued' and run_at <= ? order by priority desc, run_at limit 8) returning id`), " +
      "call the no-op handler, then `update jobs set state = 'done' where id = ? and state = 'running'` per job, each in its own `begin immediate` transaction. " +
      `plainjob: the same jobs (\`addMany\` in batches of ${BULK_BATCH}); ${ENGINE_CONCURRENCY} workers on one queue (a plainjob worker runs one job at a time), timed from starting them to the n-th \`onCompleted\`, which plainjob calls after its \`markJobAsDone\` write. ` +
      `liteque: n rows written before the clock (one through \`enqueue\`, the rest copies of its row in one statement); a \`Runner\` with concurrency ${ENGINE_CONCURRENCY}, pollIntervalMs 1000, timeoutSecs 60, timed from \`run()\` to the n-th \`finalize(..., "completed")\` returning (liteque deletes a completed job's row). ` +
      (full
        ? ''
        : `BullMQ (for reference; Redis keeps everything in memory, nothing is written to disk): \`queue.addBulk\` in batches of ${BULK_BATCH} into an empty Redis, then a \`Worker\` with concurrency ${ENGINE_CONCURRENCY}, timed from creating it to the n-th \`completed\` event. `) +
      'Verified: the handler saw every id exactly once (offstage: also every `work:succeeded` once; plainjob, liteque, BullMQ: every completion once), and the store holds n finished rows and nothing else (liteque: no rows).',
    offstage,
    peers: full ? [raw, plainjob, liteque, sidequestSide()] : [raw, plainjob, liteque, sidequestSide(), bullmqSide()],
  };
}
