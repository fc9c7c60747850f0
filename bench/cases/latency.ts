/**
 * Case: due-to-start latency in process. With the worker started and idle, enqueue one job due
 * now and measure from just before `enqueue()` is called to the first line of its handler
 * (`performance.now()` both ends), n times in sequence, waiting for the worker to be idle again
 * between samples. Reports each run's p50 and p99. The raw baseline is the floor: one insert
 * transaction, one claim transaction, then the handler call, with no event-loop hop. BullMQ (for
 * reference) is woken by Redis itself; the SQLite queues that poll are not measured, since their
 * latency is their poll interval by construction.
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import type { BenchCase, Side } from '../lib/harness.js';
import { ENGINE_CONCURRENCY, failOnWorkerError, openEngine, stateCounts } from '../lib/offstage.js';
import { openRawQueue, RAW_CLAIM_BATCH } from '../lib/raw-sqlite.js';
import { BULLMQ, BullmqRedis } from '../lib/peers/bullmq.js';
import { LITEQUE, LITEQUE_RUNNER } from '../lib/peers/liteque.js';
import { PLAINJOB } from '../lib/peers/plainjob.js';
import { percentile } from '../lib/stats.js';
import { check, OnceTally } from '../lib/verify.js';
import { Counter, nextTurn } from '../lib/wait.js';

const SAMPLE_TIMEOUT_MS = 10_000;

function percentiles(samples: readonly number[]): Record<string, number> {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

const offstage: Side = {
  name: 'offstage',
  kind: 'offstage',
  async run({ dbPath, n, synchronous }) {
    const calls = new OnceTally<string>('handler calls');
    const started = new Counter();
    let startedAt = 0;
    const engine = await openEngine(dbPath, synchronous, {
      probe: ({ id }) => {
        startedAt = performance.now();
        calls.add(id);
        started.increment();
      },
    });
    try {
      const succeeded = new Counter();
      failOnWorkerError(engine, started);
      failOnWorkerError(engine, succeeded);
      engine.on('work:succeeded', () => succeeded.increment());
      await engine.start();
      await engine.whenIdle();

      const ids: string[] = [];
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        ids.push((await engine.enqueue('probe', { input: i })).id);
        await started.until(i + 1, SAMPLE_TIMEOUT_MS, `the handler of sample ${i}`);
        samples.push(startedAt - t0);
        await succeeded.until(i + 1, SAMPLE_TIMEOUT_MS, `sample ${i} to succeed`);
        await engine.whenIdle();
        await nextTurn();
      }

      const verified = calls.assertExactlyOnce(ids);
      await engine.stop();
      const counts = await stateCounts(engine.store);
      check(counts.succeeded === n && counts.total === n, `offstage latency: expected ${n} succeeded rows, store counts ${JSON.stringify(counts)}`);
      return { values: percentiles(samples), verified: `${verified}, ${n} rows succeeded` };
    } finally {
      await engine.close();
    }
  },
};

const raw: Side = {
  name: 'raw better-sqlite3',
  kind: 'floor',
  async run({ dbPath, n, synchronous }) {
    const q = openRawQueue(dbPath, synchronous);
    try {
      const calls = new OnceTally<number>('handler calls');
      let startedAt = 0;
      const handler = (id: number): void => {
        startedAt = performance.now();
        calls.add(id);
      };
      const ids: number[] = [];
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        ids.push(q.insert('probe', JSON.stringify(i), Date.now()));
        const claimed = q.claim(Date.now(), RAW_CLAIM_BATCH);
        const id = claimed[0];
        check(claimed.length === 1 && id !== undefined && id === ids[i], `raw latency: sample ${i} claimed ${JSON.stringify(claimed)}, expected [${ids[i]}]`);
        handler(id);
        samples.push(startedAt - t0);
        check(q.complete(id), `raw latency: job ${id} was not running at complete`);
        await nextTurn();
      }
      const verified = calls.assertExactlyOnce(ids);
      const counts = q.counts();
      check(counts.done === n && Object.keys(counts).length === 1, `raw latency: expected ${n} done rows, found ${JSON.stringify(counts)}`);
      return { values: percentiles(samples), verified: `${verified}, ${n} rows done` };
    } finally {
      q.close();
    }
  },
};

/** BullMQ: a worker of concurrency 8, idle on an empty Redis; each sample is one `queue.add`. */
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
      const calls = new OnceTally<string>('handler calls');
      const started = new Counter();
      const completed = new Counter();
      let startedAt = 0;
      const queue = new Queue('bench-latency', { connection });
      const worker = new Worker(
        'bench-latency',
        async (job) => {
          startedAt = performance.now();
          calls.add(job.id!);
          started.increment();
        },
        { connection, concurrency: ENGINE_CONCURRENCY },
      );
      try {
        for (const counter of [started, completed]) {
          worker.on('error', (error) => counter.fail(error));
          worker.on('failed', (job, error) => counter.fail(new Error(`BullMQ job ${job?.id} failed: ${error.message}`)));
        }
        worker.on('completed', () => completed.increment());
        await worker.waitUntilReady();
        await queue.waitUntilReady();
        const ids: string[] = [];
        const samples: number[] = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          ids.push((await queue.add('probe', i)).id!);
          await started.until(i + 1, SAMPLE_TIMEOUT_MS, `the handler of sample ${i}`);
          samples.push(startedAt - t0);
          await completed.until(i + 1, SAMPLE_TIMEOUT_MS, `sample ${i} to complete`);
          await nextTurn();
        }
        const verified = calls.assertExactlyOnce(ids);
        const counts = await queue.getJobCounts();
        const others = Object.entries(counts).filter(([state, c]) => state !== 'completed' && c !== 0);
        check(counts.completed === n && others.length === 0, `BullMQ latency: expected ${n} completed jobs, found ${JSON.stringify(counts)}`);
        return { values: percentiles(samples), verified: `${verified}, ${n} jobs completed` };
      } finally {
        await worker.close();
        await queue.close();
      }
    },
  };
}

/** A polling SQLite queue: not measured here, and why. */
function pollingSide(name: string, how: string): Side {
  return {
    name,
    kind: 'sqlite-queue',
    unavailable: () =>
      Promise.resolve(
        `not measured: ${how}, so a job that falls due while it sleeps waits for the next poll; its due-to-start latency is that poll phase (0 to ${LITEQUE_RUNNER.pollIntervalMs} ms, about ${LITEQUE_RUNNER.pollIntervalMs / 2} ms on average), not a property of its store, and n samples would take about n/2 seconds`,
      ),
    run: () => Promise.reject(new Error(`${name} is not measured in the latency case`)),
  };
}

/** Due-to-start latency, p50 and p99 per run. */
export const latencyCase: BenchCase = {
  id: 'latency',
  title: 'Due-to-start latency, idle worker',
  synchronous: 'NORMAL',
  nUnit: 'samples',
  metrics: [
    { key: 'p50', label: 'p50', unit: 'ms', better: 'lower' },
    { key: 'p99', label: 'p99', unit: 'ms', better: 'lower' },
  ],
  size: { quick: { n: 200, runs: 5, warmupN: 50 }, full: { n: 1_000, runs: 5, warmupN: 100 } },
  method:
    'The worker is started and idle (offstage: `engine.whenIdle()` plus one event-loop turn between samples). ' +
    'Each sample enqueues one job due now and measures `performance.now()` from just before `enqueue()` is called to the first line of the handler. ' +
    'offstage: `engine.enqueue("probe", { input: i })`, concurrency 8. ' +
    "raw: the floor, synchronous and with no event-loop hop: insert (one transaction), claim up to 8 due (one transaction, the drain's claim), call the handler; the complete is outside the sample. " +
    'BullMQ (for reference; Redis in memory, nothing on disk): a `Worker` of concurrency 8 waiting on an empty queue (BullMQ blocks on a Redis marker key, no polling); each sample is `await queue.add("probe", i)` to the first line of the processor; between samples it waits for the `completed` event and one event-loop turn. ' +
    'p50 and p99 are nearest-rank over the n samples of one run; the table shows the median (min–max) of those over the runs. ' +
    'Verified: every sample\'s job reached its handler exactly once, and the store holds n finished rows.',
  offstage,
  peers: [
    raw,
    bullmqSide(),
    pollingSide(PLAINJOB, 'each plainjob worker that finds nothing due sleeps its poll interval (`pollIntervall`, default 1000 ms)'),
    pollingSide(LITEQUE, `liteque's runner that finds nothing due sleeps \`pollIntervalMs\` (${LITEQUE_RUNNER.pollIntervalMs} ms here, its README's value)`),
  ],
};
