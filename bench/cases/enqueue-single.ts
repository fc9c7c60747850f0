/**
 * Case: enqueue rate, one job per call. offstage awaits `engine.enqueue()` n times in sequence
 * (each its own transaction); raw better-sqlite3 runs n single-row inserts, each its own
 * `begin immediate` transaction; plainjob calls `queue.add()` and liteque awaits `queue.enqueue()`
 * n times (each an autocommit insert). All encode the same `{ i }` input as JSON.
 */
import { performance } from 'node:perf_hooks';
import type { BenchCase, Side } from '../lib/harness.js';
import { openEngine, stateCounts } from '../lib/offstage.js';
import { openRawQueue } from '../lib/raw-sqlite.js';
import { LITEQUE, openLiteque } from '../lib/peers/liteque.js';
import { openPlainjob, PLAINJOB } from '../lib/peers/plainjob.js';
import { sidequestSide } from '../lib/peers/sidequest.js';
import { check, OnceTally } from '../lib/verify.js';

const offstage: Side = {
  name: 'offstage',
  kind: 'offstage',
  async run({ dbPath, n, synchronous }) {
    const engine = await openEngine(dbPath, synchronous, { noop: () => undefined });
    try {
      const ids = new OnceTally<string>('distinct ids returned');
      const t0 = performance.now();
      for (let i = 0; i < n; i++) ids.add((await engine.enqueue('noop', { input: { i } })).id);
      const seconds = (performance.now() - t0) / 1000;
      const returned = ids.assertExactlyOnce(n);
      const counts = await stateCounts(engine.store);
      check(counts.enqueued === n && counts.total === n, `offstage enqueue: expected ${n} enqueued rows, store counts ${JSON.stringify(counts)}`);
      return { values: { rate: n / seconds }, verified: `${returned}, ${n} rows enqueued` };
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
      const ids = new OnceTally<number>('distinct ids returned');
      const t0 = performance.now();
      for (let i = 0; i < n; i++) ids.add(q.insert('noop', JSON.stringify({ i }), Date.now()));
      const seconds = (performance.now() - t0) / 1000;
      const returned = ids.assertExactlyOnce(n);
      const counts = q.counts();
      check(counts.queued === n && Object.keys(counts).length === 1, `raw enqueue: expected ${n} queued rows, found ${JSON.stringify(counts)}`);
      return Promise.resolve({ values: { rate: n / seconds }, verified: `${returned}, ${n} rows queued` });
    } finally {
      q.close();
    }
  },
};

const plainjob: Side = {
  name: PLAINJOB,
  kind: 'sqlite-queue',
  run({ dbPath, n, synchronous }) {
    const pj = openPlainjob(dbPath, synchronous);
    try {
      const ids = new OnceTally<number>('distinct ids returned');
      const t0 = performance.now();
      for (let i = 0; i < n; i++) ids.add(pj.queue.add('noop', { i }).id);
      const seconds = (performance.now() - t0) / 1000;
      const returned = ids.assertExactlyOnce(n);
      const counts = pj.counts();
      check(counts.pending === n && counts.total === n, `plainjob add: expected ${n} pending rows, found ${JSON.stringify(counts)}`);
      return Promise.resolve({ values: { rate: n / seconds }, verified: `${returned}, ${n} rows pending` });
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
    try {
      const queue = lq.queue();
      const ids = new OnceTally<number>('distinct ids returned');
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const job = await queue.enqueue({ i });
        check(job !== undefined, `liteque enqueue ${i} returned nothing`);
        ids.add(job.id);
      }
      const seconds = (performance.now() - t0) / 1000;
      const returned = ids.assertExactlyOnce(n);
      const counts = lq.counts();
      check(counts.pending === n && counts.total === n, `liteque enqueue: expected ${n} pending rows, found ${JSON.stringify(counts)}`);
      return { values: { rate: n / seconds }, verified: `${returned}, ${n} rows pending` };
    } finally {
      lq.close();
    }
  },
};

/** Enqueue rate with one job per call and per transaction. */
export const enqueueSingleCase: BenchCase = {
  id: 'enqueue-single',
  title: 'Enqueue, one per call',
  synchronous: 'NORMAL',
  nUnit: 'jobs',
  metrics: [{ key: 'rate', unit: 'jobs/s', better: 'higher' }],
  size: { quick: { n: 1_000, runs: 5, warmupN: 200 }, full: { n: 10_000, runs: 5, warmupN: 1_000 } },
  method:
    'offstage: `await engine.enqueue("noop", { input: { i } })` n times in sequence, engine not started. ' +
    'raw: `insert into jobs (task, payload, run_at)` n times, each in its own `begin immediate` transaction, payload `JSON.stringify({ i })`. ' +
    'plainjob: `queue.add("noop", { i })` n times (an autocommit insert each). liteque: `await queue.enqueue({ i })` n times (an autocommit `insert ... returning` through drizzle each). ' +
    'Timed from the first call to the last return. Verified: n distinct ids returned, n rows in the queue.',
  offstage,
  peers: [raw, plainjob, liteque, sidequestSide()],
};
