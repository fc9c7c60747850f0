/**
 * Cases on PostgreSQL: offstage's PostgreSQL store beside graphile-worker and pg-boss, on the same
 * server in the same run, each run on a fresh database of its own. Every workload is written once
 * (below) over the {@link PgQueue} adapters, so the queues differ only in what their adapters say:
 * enqueue one at a time and in batches, drain no-op jobs at concurrency 8, add-to-start latency
 * with an idle worker, and offstage's drain with a million completed jobs already in its table.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchCase, CaseSize, Mode, Side, SideKind, SideResult } from '../lib/harness.js';
import { ENGINE_CONCURRENCY } from '../lib/offstage.js';
import { GRAPHILE_BATCHING, GRAPHILE_POLL_INTERVAL_MS, graphileWorkerKind } from '../lib/peers/graphile-worker.js';
import { PG_BOSS_WORK, pgBossKind } from '../lib/peers/pg-boss.js';
import { OFFSTAGE_MAX_CONNECTIONS, offstagePg, type PgQueue, type PgQueueCounts, type PgQueueKind } from '../lib/pg-queue.js';
import { TemplateDatabase, seedCompletedOffstage } from '../lib/pg-seed.js';
import { postgresDurability, postgresUnavailable, withFreshDatabase } from '../lib/postgres.js';
import { percentile } from '../lib/stats.js';
import { check, OnceTally, VerificationError } from '../lib/verify.js';
import { Counter, nextTurn } from '../lib/wait.js';
import { BULK_BATCH } from './enqueue-bulk.js';

/** Durability as the Sizes table shows it, the same for every PostgreSQL case. */
const PG_DURABILITY = postgresDurability();

/** Longest a drain may take before the run fails: generous, only there to stop a hang. */
const drainTimeoutMs = (n: number): number => 60_000 + n * 10;
const SAMPLE_TIMEOUT_MS = 10_000;

/** The inputs 0..n-1 in batches of {@link BULK_BATCH}. */
function batches(n: number): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < n; start += BULK_BATCH) out.push(Array.from({ length: Math.min(BULK_BATCH, n - start) }, (_, k) => start + k));
  return out;
}

/** What a queue's counts say, for messages. */
function show(c: PgQueueCounts): string {
  return JSON.stringify(c);
}

/** No rows at all: what a fresh database holds. */
const EMPTY: PgQueueCounts = { waiting: 0, finished: 0, total: 0 };

/** Throws unless the queue holds exactly `n` jobs waiting besides the finished rows of `base`. */
async function expectQueued(q: PgQueue, n: number, what: string, base: PgQueueCounts = EMPTY): Promise<string> {
  const c = await q.counts();
  check(c.waiting === n && c.total === base.total + n, `${what}: expected ${n} waiting rows (and ${base.total} others), found ${show(c)}`);
  return `${n} rows waiting`;
}

/**
 * Whether the queue has finished `n` jobs besides those of `base` and holds nothing else (a job it
 * deletes on completion counts as finished once gone).
 */
function isDrained(c: PgQueueCounts, n: number, base: PgQueueCounts = EMPTY): boolean {
  if (c.finished === 'deleted') return c.total === base.total;
  return c.waiting === 0 && c.total === base.total + n && c.finished === (base.finished === 'deleted' ? 0 : base.finished) + n;
}

function describeDrained(c: PgQueueCounts, n: number, base: PgQueueCounts = EMPTY): string {
  if (c.finished === 'deleted') return '0 rows left (completed jobs are deleted)';
  return `${n} rows completed${base.total > 0 ? ` besides the ${base.total.toLocaleString('en-US')} there before` : ''}`;
}

/**
 * Polls the queue (back to back, one query each) until nothing is left unfinished; resolves with
 * `performance.now()` when a count said so. Used only once every handler has run, so the polling
 * never competes with the work it waits for; the full counts are checked after the clock.
 */
async function untilDrained(q: PgQueue, timeoutMs: number, what: string): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const left = await q.unfinished();
    if (left === 0) return performance.now();
    if (performance.now() > deadline) throw new VerificationError(`${what}: timed out after ${timeoutMs} ms with ${left} jobs unfinished`);
    await nextTurn();
  }
}

/** Starts `q`'s worker with a handler that tallies each job and counts calls; any reported failure fails `calls`. */
async function startTallying(q: PgQueue, onJob: (id: string) => void = () => undefined): Promise<{ tally: OnceTally<string>; calls: Counter }> {
  const tally = new OnceTally<string>('handler calls');
  const calls = new Counter();
  await q.startWorker(
    (id) => {
      onJob(id);
      tally.add(id);
      calls.increment();
    },
    (error) => calls.fail(error),
  );
  return { tally, calls };
}

/** A workload: what one run of one side does on its open queue. */
type Workload = (q: PgQueue, n: number, name: string) => Promise<SideResult>;

/** Enqueue one job per call, each call awaited: jobs/s from the first call to the last return. */
const enqueueSingle: Workload = async (q, n, name) => {
  const ids = new OnceTally<string>('distinct ids returned');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) ids.add(await q.add(i));
  const seconds = (performance.now() - t0) / 1000;
  const verified = [ids.assertExactlyOnce(n), await expectQueued(q, n, `${name} enqueue`)];
  return { values: { rate: n / seconds }, verified: verified.join(', ') };
};

/** Enqueue in batches of {@link BULK_BATCH}, one call each: jobs/s. */
const enqueueBulk: Workload = async (q, n, name) => {
  const inputs = batches(n);
  const ids = new OnceTally<string>('distinct ids returned');
  let returned = true;
  const t0 = performance.now();
  for (const batch of inputs) {
    const got = await q.addMany(batch);
    if (got === null) returned = false;
    else for (const id of got) ids.add(id);
  }
  const seconds = (performance.now() - t0) / 1000;
  const verified = [returned ? ids.assertExactlyOnce(n) : 'no ids returned (the call returns none)', await expectQueued(q, n, `${name} bulk enqueue`)];
  if (!returned) {
    const stored = await q.jobIds();
    check(new Set(stored).size === n, `${name} bulk enqueue: expected ${n} distinct stored ids, found ${new Set(stored).size}`);
    verified.push(`${n} distinct ids stored`);
  }
  return { values: { rate: n / seconds }, verified: verified.join(', ') };
};

/**
 * Drain n no-op jobs enqueued before the clock: timed from starting the worker to the moment a
 * count shows all n finished (polled once the n-th handler call has happened).
 */
const drain: Workload = async (q, n, name) => {
  // Rows already there (the completed-rows case) stay as they are; the checks count around them.
  const base = await q.counts();
  const added: string[] = [];
  for (const batch of batches(n)) added.push(...((await q.addMany(batch)) ?? []));
  const ids = added.length === n ? added : await q.jobIds();
  await expectQueued(q, n, `${name} drain`, base);
  const timeout = drainTimeoutMs(n);
  const t0 = performance.now();
  const { tally, calls } = await startTallying(q);
  await calls.until(n, timeout, `${n} ${name} handler calls`);
  const t1 = await untilDrained(q, timeout, `${name} drain`);
  const seconds = (t1 - t0) / 1000;
  const counts = await q.counts();
  check(isDrained(counts, n, base), `${name} drain: expected ${n} more finished jobs than ${show(base)}, found ${show(counts)}`);
  return { values: { rate: n / seconds }, verified: `${tally.assertExactlyOnce(ids)}, ${describeDrained(counts, n, base)}` };
};

/**
 * Where in a polling worker's cycle sample `i` is added, as a fraction of the poll interval: the
 * golden-ratio sequence, which covers [0, 1) evenly in any number of samples (and the same way in
 * every run).
 */
function pollPhase(i: number): number {
  return ((i + 0.5) * 0.6180339887498949) % 1;
}

/**
 * Add-to-start latency with the worker started and idle: per sample, `performance.now()` from just
 * before the add call to the first line of the handler; between samples, wait until the job is
 * finished in the database and one event-loop turn. For a worker that polls, each add first waits
 * a spread-out part of the poll interval: a sample that followed the previous one at once would
 * always land just after a poll and wait the whole interval, where a job from elsewhere lands
 * anywhere in the cycle.
 */
const latency: Workload = async (q, n, name) => {
  let startedAt = 0;
  const { tally, calls } = await startTallying(q, () => (startedAt = performance.now()));
  const ids: string[] = [];
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    if (q.pollIntervalMs) await sleep(pollPhase(i) * q.pollIntervalMs);
    const t0 = performance.now();
    ids.push(await q.add(i));
    await calls.until(i + 1, SAMPLE_TIMEOUT_MS, `the handler of ${name} sample ${i}`);
    samples.push(startedAt - t0);
    await untilDrained(q, SAMPLE_TIMEOUT_MS, `${name} latency sample ${i}`);
    await nextTurn();
  }
  const counts = await q.counts();
  check(isDrained(counts, n), `${name} latency: expected ${n} finished jobs, found ${show(counts)}`);
  return { values: { p50: percentile(samples, 50), p99: percentile(samples, 99) }, verified: `${tally.assertExactlyOnce(ids)}, ${describeDrained(counts, n)}` };
};

/**
 * A side of a PostgreSQL case: each run opens `kind` on a fresh database (created for the run,
 * dropped after it) and runs `workload` on it.
 */
function pgSide(kind: PgQueueKind, sideKind: SideKind, workload: Workload, options: { name?: string; unavailable?: () => string | null; template?: TemplateDatabase } = {}): Side {
  const name = options.name ?? kind.name;
  const { template } = options;
  return {
    name,
    kind: sideKind,
    unavailable: async () => options.unavailable?.() ?? (await postgresUnavailable()),
    prepare: template && (() => template.ensure()),
    dispose: template && (() => template.dispose()),
    run: ({ n }) =>
      withFreshDatabase(
        name,
        async (url) => {
          const q = await kind.open(url);
          try {
            return await workload(q, n, name);
          } finally {
            await q.close();
          }
        },
        { template: template?.templateName },
      ),
  };
}

const graphile = graphileWorkerKind({ batched: false });
const graphileBatched = graphileWorkerKind({ batched: true });

/**
 * The sides of a case: offstage, graphile-worker, pg-boss, and for the worker cases (`batched`)
 * graphile-worker with its batching too (adding jobs is the same call either way).
 */
function sides(workload: Workload, options: { batched: boolean; pgBossUnavailable?: () => string | null }): Pick<BenchCase, 'offstage' | 'peers'> {
  return {
    offstage: pgSide(offstagePg, 'offstage', workload),
    peers: [
      pgSide(graphile, 'postgres-queue', workload),
      ...(options.batched ? [pgSide(graphileBatched, 'postgres-queue', workload)] : []),
      pgSide(pgBossKind, 'postgres-queue', workload, { unavailable: options.pgBossUnavailable }),
    ],
  };
}

const SETUP =
  'Every run of every side gets a new database on the same server (`create database`, dropped after the run), and opens its queue there before the clock starts (schema installed, pools ready). ' +
  `offstage: \`createPostgresStore({ connectionString, maxConnections: ${OFFSTAGE_MAX_CONNECTIONS} })\` and \`createWorkEngine({ store, concurrency: ${ENGINE_CONCURRENCY} })\`. ` +
  `graphile-worker: \`makeWorkerUtils({ pgPool })\` to add jobs and \`run({ pgPool, concurrency: ${ENGINE_CONCURRENCY}, noHandleSignals: true, taskList })\` to work them, on one pool made as graphile-worker makes its own (\`max: 10\`), with a silent logger; ` +
  `"batched" adds its performance page's settings \`localQueue: { size: ${GRAPHILE_BATCHING.localQueue.size} }, completeJobBatchDelay: ${GRAPHILE_BATCHING.completeJobBatchDelay}\`. ` +
  `pg-boss: \`new PgBoss({ connectionString })\` (defaults), \`createQueue("noop")\`; its worker is ${PG_BOSS_WORK.workers} \`work("noop", { batchSize: ${PG_BOSS_WORK.batchSize}, pollingIntervalSeconds: ${PG_BOSS_WORK.pollingIntervalSeconds} }, handler)\` whose handler runs the batch's jobs ${ENGINE_CONCURRENCY} at a time (pg-boss 10 has no concurrency option; see "The sides"). ` +
  'Inputs are `{ i }`.';

/** PostgreSQL enqueue, one job per awaited call. */
const pgEnqueueSingleCase: BenchCase = {
  id: 'pg-enqueue-single',
  title: 'PostgreSQL: enqueue, one per call',
  synchronous: 'FULL',
  nUnit: 'jobs',
  metrics: [{ key: 'rate', unit: 'jobs/s', better: 'higher' }],
  size: { quick: { n: 100, runs: 5, warmupN: 0 }, full: { n: 1_000, runs: 5, warmupN: 100 } },
  durability: PG_DURABILITY,
  method:
    `${SETUP} offstage: \`await engine.enqueue("noop", { input: { i } })\`; graphile-worker: \`await utils.addJob("noop", { i })\`; pg-boss: \`await boss.send("noop", { i })\`; n times in sequence, workers not started. ` +
    'Timed from the first call to the last return. Verified: n distinct ids returned, n rows waiting in the queue.',
  ...sides(enqueueSingle, { batched: false }),
};

/** PostgreSQL enqueue in batches of 1,000. */
const pgEnqueueBulkCase: BenchCase = {
  id: 'pg-enqueue-bulk',
  title: `PostgreSQL: enqueue in batches of ${BULK_BATCH.toLocaleString('en-US')}`,
  synchronous: 'FULL',
  nUnit: 'jobs',
  metrics: [{ key: 'rate', unit: 'jobs/s', better: 'higher' }],
  size: { quick: { n: 2_000, runs: 5, warmupN: 0 }, full: { n: 20_000, runs: 5, warmupN: 2_000 } },
  durability: PG_DURABILITY,
  method:
    `${SETUP} offstage: \`engine.enqueueMany("noop", batch)\`; graphile-worker: \`utils.addJobs(batch)\` (its \`add_jobs\` function); pg-boss: \`boss.insert(batch)\` (returns no ids); batches of ${BULK_BATCH} \`{ i }\` inputs, one call each. ` +
    'Timed from the first call to the last return. Verified: n distinct ids (returned, or for pg-boss read back from its table), n rows waiting.',
  ...sides(enqueueBulk, { batched: false }),
};

/** PostgreSQL drain of no-op jobs at concurrency 8. */
const pgDrainCase: BenchCase = {
  id: 'pg-drain',
  title: `PostgreSQL: drain no-op jobs, concurrency ${ENGINE_CONCURRENCY}`,
  synchronous: 'FULL',
  nUnit: 'jobs',
  metrics: [{ key: 'rate', unit: 'jobs/s', better: 'higher' }],
  size: { quick: { n: 500, runs: 5, warmupN: 0 }, full: { n: 10_000, runs: 5, warmupN: 1_000 } },
  durability: PG_DURABILITY,
  method:
    `${SETUP} n jobs are added in batches of ${BULK_BATCH} (as in the bulk case) before the clock starts. ` +
    'The clock starts just before the worker starts (offstage: `store.listen(() => engine.wake())` then `engine.start()`; graphile-worker: `run(...)`; pg-boss: `work(...)`) and stops when, after the n-th handler call, a count of the jobs not yet finished (polled back to back; it reads only unfinished rows) finds none. ' +
    'Verified after the clock: the handler saw every stored job id exactly once, and the final counts: offstage n rows `succeeded` (row and journal kept), graphile-worker no rows left (it deletes completed jobs), pg-boss n rows `completed`.',
  ...sides(drain, { batched: true }),
};

/** PostgreSQL add-to-start latency with an idle worker. */
function pgLatencyCase(mode: Mode): BenchCase {
  const pollMs = PG_BOSS_WORK.pollingIntervalSeconds * 1000;
  return {
    id: 'pg-latency',
    title: 'PostgreSQL: add-to-start latency, idle worker',
    synchronous: 'FULL',
    nUnit: 'samples',
    metrics: [
      { key: 'p50', label: 'p50', unit: 'ms', better: 'lower' },
      { key: 'p99', label: 'p99', unit: 'ms', better: 'lower' },
    ],
    size: { quick: { n: 20, runs: 5, warmupN: 0 }, full: { n: 30, runs: 5, warmupN: 5 } },
    durability: PG_DURABILITY,
    method:
      `${SETUP} The worker is started and idle, the queue empty. Each sample adds one job due now and measures \`performance.now()\` from just before the add call (\`engine.enqueue\`, \`utils.addJob\`, \`boss.send\`) to the first line of the handler; ` +
      'between samples it waits until a count of unfinished jobs finds none, and one event-loop turn. ' +
      `offstage and graphile-worker are woken by LISTEN/NOTIFY (graphile-worker also polls every ${GRAPHILE_POLL_INTERVAL_MS} ms, its default); pg-boss does not listen: its worker polls every ${pollMs} ms, so its latency is the time to its next poll (0 to ${pollMs} ms); each of its samples is added after a pause that spreads the adds evenly over its poll cycle (a fraction of ${pollMs} ms from the golden-ratio sequence), since adding right after the previous job finished would always land just after a poll. Quick mode does not measure pg-boss. ` +
      'p50 and p99 are nearest-rank over the n samples of one run (with 30 samples, p99 is the largest: read it as the worst of 30); the table shows the median (min–max) of those over the runs. Verified: every sample\'s job reached the handler exactly once, and the final counts.',
    ...sides(latency, {
      batched: true,
      pgBossUnavailable: () =>
        mode === 'quick' ? `not measured in quick mode: pg-boss polls every ${pollMs} ms and does not listen, so each sample waits about ${pollMs / 2} ms for the next poll; full mode measures it` : null,
    }),
  };
}

/** Completed rows in offstage's table before the drain of the million case, per mode. */
const COMPLETED_ROWS: Record<Mode, number> = { quick: 100_000, full: 1_000_000 };

/**
 * offstage's drain with `completed` jobs already succeeded in its table (work rows and journal rows
 * as a real drain leaves them), against the same drain on an empty table.
 */
function pgDrainAfterCompletionsCase(mode: Mode): BenchCase {
  const completed = COMPLETED_ROWS[mode];
  const template = new TemplateDatabase(`completed_${completed}`, (url) => seedCompletedOffstage(url, completed));
  const label = `${completed.toLocaleString('en-US')} completed rows`;
  const size: { quick: CaseSize; full: CaseSize } = { quick: { n: 500, runs: 5, warmupN: 0 }, full: { n: 5_000, runs: 5, warmupN: 0 } };
  return {
    id: 'pg-drain-completed',
    title: `PostgreSQL: offstage drain with ${label} in the table`,
    synchronous: 'FULL',
    nUnit: 'jobs',
    metrics: [{ key: 'rate', unit: 'jobs/s', better: 'higher' }],
    size,
    durability: PG_DURABILITY,
    method:
      `Measures whether completed work slows the queue down. "offstage, ${label}": the database starts as a copy (\`create database ... template ... strategy file_copy\`, so no checkpoint is still writing the copy out during the run) of a template in which one job was run to success through offstage and then copied ${(completed - 1).toLocaleString('en-US')} times in one \`insert ... select ... generate_series\` (its work row and its journal row, ids and times varied, all finished in the last hour so the engine's daily prune keeps them), followed by \`vacuum analyze\`. ` +
      '"offstage, empty table": the same drain on a fresh database. Both then drain n no-op jobs exactly as the drain case does (same adds, same clock, same checks). The ratio is offstage with the rows / offstage on an empty table.',
    offstage: pgSide(offstagePg, 'offstage', drain, { name: `offstage, ${label}`, template }),
    peers: [pgSide(offstagePg, 'reference', drain, { name: 'offstage, empty table' })],
  };
}

/**
 * Every PostgreSQL case for `mode`.
 *
 * @example
 * postgresCases('quick').map((c) => c.id) // ['pg-enqueue-single', 'pg-enqueue-bulk', 'pg-drain', 'pg-latency', 'pg-drain-completed']
 */
export function postgresCases(mode: Mode): BenchCase[] {
  return [pgEnqueueSingleCase, pgEnqueueBulkCase, pgDrainCase, pgLatencyCase(mode), pgDrainAfterCompletionsCase(mode)];
}
