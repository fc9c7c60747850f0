/**
 * Case: enqueue rate in bulk. offstage calls `engine.enqueueMany()` with batches of
 * {@link BULK_BATCH} requests (one transaction each); raw better-sqlite3 inserts the same batches,
 * one `begin immediate` transaction per batch; plainjob calls `queue.addMany()` per batch (one
 * transaction each). liteque has no bulk enqueue. Request objects are built before the clock
 * starts; JSON encoding happens inside it on every side.
 */
import { performance } from 'node:perf_hooks';
import type { BenchCase, Side } from '../lib/harness.js';
import { openEngine, stateCounts } from '../lib/offstage.js';
import { openRawQueue } from '../lib/raw-sqlite.js';
import { LITEQUE } from '../lib/peers/liteque.js';
import { openPlainjob, PLAINJOB } from '../lib/peers/plainjob.js';
import { sidequestSide } from '../lib/peers/sidequest.js';
import { check, OnceTally } from '../lib/verify.js';

/** Jobs per `enqueueMany` call / per raw transaction. */
export const BULK_BATCH = 1_000;

/** The inputs `{ i }` for n jobs, cut into batches of {@link BULK_BATCH}. */
function batches(n: number): Array<Array<{ i: number }>> {
  const out: Array<Array<{ i: number }>> = [];
  for (let start = 0; start < n; start += BULK_BATCH) {
    out.push(Array.from({ length: Math.min(BULK_BATCH, n - start) }, (_, k) => ({ i: start + k })));
  }
  return out;
}

const offstage: Side = {
  name: 'offstage',
  kind: 'offstage',
  async run({ dbPath, n, synchronous }) {
    const engine = await openEngine(dbPath, synchronous, { noop: () => undefined });
    try {
      const requests = batches(n).map((b) => b.map((input) => ({ input })));
      const ids = new OnceTally<string>('distinct ids returned');
      const t0 = performance.now();
      for (const batch of requests) for (const info of await engine.enqueueMany('noop', batch)) ids.add(info.id);
      const seconds = (performance.now() - t0) / 1000;
      const returned = ids.assertExactlyOnce(n);
      const counts = await stateCounts(engine.store);
      check(counts.enqueued === n && counts.total === n, `offstage enqueueMany: expected ${n} enqueued rows, store counts ${JSON.stringify(counts)}`);
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
      const inputs = batches(n);
      const t0 = performance.now();
      for (const batch of inputs) q.insertMany('noop', batch.map((input) => JSON.stringify(input)), Date.now());
      const seconds = (performance.now() - t0) / 1000;
      const counts = q.counts();
      const ids = q.db.prepare<[], { n: number; lo: number; hi: number }>('select count(distinct id) n, min(id) lo, max(id) hi from jobs').get()!;
      check(counts.queued === n && Object.keys(counts).length === 1, `raw bulk insert: expected ${n} queued rows, found ${JSON.stringify(counts)}`);
      check(ids.n === n && ids.lo === 1 && ids.hi === n, `raw bulk insert: ids are not 1..${n}: ${JSON.stringify(ids)}`);
      return Promise.resolve({ values: { rate: n / seconds }, verified: `${n} distinct ids, ${n} rows queued` });
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
      const inputs = batches(n);
      const ids = new OnceTally<number>('distinct ids returned');
      const t0 = performance.now();
      for (const batch of inputs) for (const id of pj.queue.addMany('noop', batch).ids) ids.add(id);
      const seconds = (performance.now() - t0) / 1000;
      const returned = ids.assertExactlyOnce(n);
      const counts = pj.counts();
      check(counts.pending === n && counts.total === n, `plainjob addMany: expected ${n} pending rows, found ${JSON.stringify(counts)}`);
      return Promise.resolve({ values: { rate: n / seconds }, verified: `${returned}, ${n} rows pending` });
    } finally {
      pj.close();
    }
  },
};

const liteque: Side = {
  name: LITEQUE,
  kind: 'sqlite-queue',
  unavailable: () => Promise.resolve('not applicable: liteque has no bulk enqueue (`SqliteQueue.enqueue` adds one job per call; see the one-per-call case)'),
  run: () => Promise.reject(new Error('liteque has no bulk enqueue')),
};

/** Enqueue rate with {@link BULK_BATCH} jobs per call and per transaction. */
export const enqueueBulkCase: BenchCase = {
  id: 'enqueue-bulk',
  title: `Enqueue, enqueueMany ×${BULK_BATCH.toLocaleString('en-US')}`,
  synchronous: 'NORMAL',
  nUnit: 'jobs',
  metrics: [{ key: 'rate', unit: 'jobs/s', better: 'higher' }],
  size: { quick: { n: 10_000, runs: 5, warmupN: 2_000 }, full: { n: 100_000, runs: 5, warmupN: 10_000 } },
  method:
    `offstage: \`engine.enqueueMany("noop", batch)\` for batches of ${BULK_BATCH} requests \`{ input: { i } }\`, engine not started. ` +
    `raw: the same batches, each one \`begin immediate\` transaction of single-row prepared inserts, payload \`JSON.stringify({ i })\`. ` +
    `plainjob: \`queue.addMany("noop", batch)\` for the same batches (one transaction each, payload \`JSON.stringify({ i })\`). ` +
    'Inputs are built before the clock starts. Verified: n distinct ids, n rows in the queue.',
  offstage,
  peers: [raw, plainjob, liteque, sidequestSide()],
};
