/**
 * Case: due-to-start latency in process. With the worker started and idle, enqueue one job due
 * now and measure from just before `enqueue()` is called to the first line of its handler
 * (`performance.now()` both ends), n times in sequence, waiting for the worker to be idle again
 * between samples. Reports each run's p50 and p99. The raw baseline is the floor: one insert
 * transaction, one claim transaction, then the handler call, with no event-loop hop.
 */
import { performance } from 'node:perf_hooks';
import type { BenchCase, Side } from '../lib/harness.js';
import { failOnWorkerError, openEngine, stateCounts } from '../lib/offstage.js';
import { openRawQueue, RAW_CLAIM_BATCH } from '../lib/raw-sqlite.js';
import { percentile } from '../lib/stats.js';
import { check, OnceTally } from '../lib/verify.js';
import { Counter, nextTurn } from '../lib/wait.js';

const SAMPLE_TIMEOUT_MS = 10_000;

function percentiles(samples: readonly number[]): Record<string, number> {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

const offstage: Side = {
  name: 'offstage',
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
    'p50 and p99 are nearest-rank over the n samples of one run; the table shows the median (min–max) of those over the runs. ' +
    'Verified: every sample\'s job reached its handler exactly once, and the store holds n finished rows.',
  offstage,
  peers: [raw],
};
