/**
 * Case: drain rate of no-op jobs at concurrency 8, on a given `synchronous` setting. n jobs are
 * enqueued before the clock starts. offstage is timed from `engine.start()` to the last
 * `work:succeeded`; raw better-sqlite3 from its first claim to its last complete, claiming
 * batches of 8 (one transaction) and completing each job in its own transaction.
 */
import { performance } from 'node:perf_hooks';
import { BULK_BATCH } from './enqueue-bulk.js';
import type { BenchCase, Side, Synchronous } from '../lib/harness.js';
import { ENGINE_CONCURRENCY, failOnWorkerError, openEngine, stateCounts } from '../lib/offstage.js';
import { openRawQueue, RAW_CLAIM_BATCH } from '../lib/raw-sqlite.js';
import { check, OnceTally } from '../lib/verify.js';
import { Counter } from '../lib/wait.js';

/** Longest a drain may take before the run fails: generous, only there to stop a hang. */
const drainTimeoutMs = (n: number): number => 60_000 + n * 10;

const offstage: Side = {
  name: 'offstage',
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
      ? { quick: { n: 1_000, runs: 5, warmupN: 200 }, full: { n: 5_000, runs: 5, warmupN: 500 } }
      : { quick: { n: 2_000, runs: 5, warmupN: 500 }, full: { n: 20_000, runs: 5, warmupN: 2_000 } },
    method:
      `n no-op jobs enqueued before the clock starts (offstage: \`enqueueMany\` in batches of ${BULK_BATCH}; raw: one transaction per ${BULK_BATCH}). ` +
      `offstage: timed from \`engine.start()\` to the n-th \`work:succeeded\`, concurrency ${ENGINE_CONCURRENCY}, handler \`({ id }) => tally(id)\`. ` +
      `raw: one synchronous loop, timed from the first claim to the last complete: claim up to ${RAW_CLAIM_BATCH} in one \`begin immediate\` transaction ` +
      "(`update jobs set state = 'running' where id in (select id from jobs where state = 'queued' and run_at <= ? order by priority desc, run_at limit 8) returning id`), " +
      "call the no-op handler, then `update jobs set state = 'done' where id = ? and state = 'running'` per job, each in its own `begin immediate` transaction. " +
      'Verified: the handler saw every id exactly once (offstage: also every `work:succeeded` once), and the store holds n finished rows and nothing else.',
    offstage,
    peers: [raw],
  };
}
