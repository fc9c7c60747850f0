/**
 * What RESULTS.md says about each side: the package and version it ran, how it is configured, its
 * durability, and what "drain" means for it. Versions are read from the installed packages and
 * liteque's failure on this repository's better-sqlite3 is probed live, so the text cannot drift
 * from what ran.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sqliteVersion } from '../raw-sqlite.js';
import { redisServerVersion, REDIS_ARGS } from '../redis-server.js';
import { ENGINE_CONCURRENCY } from '../offstage.js';
import { OFFSTAGE_MAX_CONNECTIONS } from '../pg-queue.js';
import { BULLMQ } from './bullmq.js';
import { GRAPHILE_BATCHING, GRAPHILE_POLL_INTERVAL_MS, GRAPHILE_WORKER, GRAPHILE_WORKER_BATCHED } from './graphile-worker.js';
import { LITEQUE, LITEQUE_RUNNER, litequeSqliteVersion, probeLitequeOnProjectDriver } from './liteque.js';
import { PG_BOSS, PG_BOSS_WORK } from './pg-boss.js';
import { PLAINJOB } from './plainjob.js';
import { SIDEQUEST, sidequestUnavailable } from './sidequest.js';

/** One side as described in RESULTS.md. */
export interface PeerDescription {
  name: string;
  /** `package@version` (and the store under it). */
  packages: string;
  /** Configuration and durability, Markdown. */
  settings: string;
}

/** Where the bench workspace's packages are installed: its own node_modules, then the root's. */
const NODE_MODULES = [fileURLToPath(new URL('../../node_modules/', import.meta.url)), fileURLToPath(new URL('../../../node_modules/', import.meta.url))];

/** The installed version of `pkg` (from its package.json), or `not installed`. */
export function installedVersion(pkg: string): string {
  for (const dir of NODE_MODULES) {
    const file = join(dir, pkg, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'not installed';
}

/**
 * Every side's description, with versions and probes from this run.
 *
 * @example
 * for (const p of await describePeers()) console.log(p.name, p.packages)
 */
export async function describePeers(): Promise<PeerDescription[]> {
  const bs3 = `better-sqlite3@${installedVersion('better-sqlite3')} (SQLite ${sqliteVersion()})`;
  const probe = await probeLitequeOnProjectDriver();
  const redis = redisServerVersion();
  return [
    {
      name: 'offstage',
      packages: `@offstage/core + @offstage/sqlite (this repository), ${bs3}`,
      settings:
        '`openSqliteStore(path, { synchronous, busyTimeoutMs: 5000 })`: WAL, `synchronous` per case, foreign keys on; `createWorkEngine({ concurrency: 8 })`. ' +
        'Claims and settles are `begin immediate` transactions that check the lease and fencing token (how many the store groups into one commit is the store\'s own business, as of this run: packages/sqlite), and every attempt writes a run-journal row. ' +
        'Drain = claim into the free slots, run, settle as `succeeded` (row and journal kept).',
    },
    {
      name: 'raw better-sqlite3',
      packages: bs3,
      settings:
        'Not a queue: the least per-job work of a durable SQLite queue on the same settings (one table, one index, prepared statements, each write its own `begin immediate` transaction; WAL, `synchronous` per case); a queue that groups several completions per commit can beat it. ' +
        'Drain = claim 8 in one transaction, call the handler, mark each done in its own transaction, all synchronous.',
    },
    {
      name: PLAINJOB,
      packages: `plainjob@${installedVersion('plainjob')}, ${bs3}`,
      settings:
        'We open the better-sqlite3 connection and pass it to `defineQueue`, which sets `journal_mode = WAL`, `synchronous = NORMAL`, `busy_timeout = 5000`; FULL cases then set `synchronous = FULL` on that connection (read back before each run). ' +
        'Concurrency 8 = eight `defineWorker` loops on one queue (a plainjob worker runs one job at a time and sleeps its 1000 ms poll interval when it finds none). ' +
        'Drain = per job: a `begin immediate` check for cron jobs, a `begin immediate` claim (select + update), a read of the job, the handler, an autocommit `status = done` update (row kept).',
    },
    {
      name: LITEQUE,
      packages: `liteque@${installedVersion('liteque')} with drizzle-orm@${installedVersion('drizzle-orm')}, better-sqlite3@${installedVersion('better-sqlite3-11')} (aliased \`better-sqlite3-11\`; SQLite ${litequeSqliteVersion()})`,
      settings:
        `Runs on better-sqlite3 11.9.1, not this repository's ${bs3}: ${probe === null ? 'in this run liteque also worked on it (the probe passed), but the figures are from 11.9.1' : `on that one liteque's dequeue throws \`${probe}\` (probed in this run; karakeep-app/karakeep#1594: better-sqlite3 ≥ 11.10 refuses a transaction function that returns a promise, and liteque's \`attemptDequeue\` passes an async one)`}. ` +
        'The connection gets the pragmas of liteque\'s `buildDBClient` (WAL, `synchronous`, `cache_size = -65536`, `foreign_keys = ON`, `temp_store = MEMORY`) with `synchronous` per case instead of its fixed NORMAL; better-sqlite3\'s default 5 s busy timeout. ' +
        `\`Runner\` with concurrency 8, pollIntervalMs ${LITEQUE_RUNNER.pollIntervalMs}, timeoutSecs ${LITEQUE_RUNNER.timeoutSecs} (its README's values), \`numRetries: 0\`. ` +
        'Drain = per job: a deferred transaction whose select runs inside it and whose claiming update runs after it commits (the async function passed to `transaction`), the handler, then an autocommit delete of the row. ' +
        `liteque arms a ${LITEQUE_RUNNER.timeoutSecs} s timer per job that it never clears; in this single process those fire later, during other runs (a few ms of work per thousand jobs).`,
    },
    {
      name: BULLMQ,
      packages: `bullmq@${installedVersion('bullmq')}, ioredis@${installedVersion('ioredis')}, ${'version' in redis ? redis.version.replace(/ sha=.*$/, '') : `redis-server: ${redis.missing}`}`,
      settings:
        `For reference only. Redis is started by the benchmark on a free port on 127.0.0.1 with a throwaway directory: \`redis-server --port <free> --dir <tmp> ${REDIS_ARGS.map((a) => (a === '' ? "''" : a)).join(' ')}\`, so **nothing is persisted**: no RDB snapshots, no append-only file; a crash loses every job. ` +
        'Not comparable with any SQLite side on durability. Every run starts with FLUSHALL. `Worker` with concurrency 8 (it fetches the next job in the same Redis call that completes the previous one); completed jobs are kept (default). ' +
        'Drain = `moveToActive` → handler → `moveToFinished`, Lua scripts on the server.',
    },
    ...describePostgresSides(),
    {
      name: SIDEQUEST,
      packages: ['sidequest', '@sidequest/sqlite-backend'].map((p) => (installedVersion(p) === 'not installed' ? `${p} (not installed)` : `${p}@${installedVersion(p)}`)).join(', '),
      settings: `Did not run: ${await sidequestUnavailable()}`,
    },
  ];
}

/** The sides of the PostgreSQL cases (the server itself is described under "Machine"). */
function describePostgresSides(): PeerDescription[] {
  const pgDriver = `pg@${installedVersion('pg')}`;
  const { workers, batchSize, pollingIntervalSeconds } = PG_BOSS_WORK;
  return [
    {
      name: 'offstage (PostgreSQL)',
      packages: `@offstage/core + @offstage/postgres (this repository), ${pgDriver}`,
      settings:
        `\`createPostgresStore({ connectionString, maxConnections: ${OFFSTAGE_MAX_CONNECTIONS} })\` (its README's concurrency + 2; one more connection holds LISTEN), \`createWorkEngine({ concurrency: ${ENGINE_CONCURRENCY} })\`, \`store.listen(() => engine.wake())\`; the server's durability (synchronous_commit as set on the server). ` +
        'Hot statements prepared, `plan_cache_mode = force_generic_plan`, `jit = off`. A claim is one statement (`for update skip locked`) taking up to the free slots and opening their journal rows; the settles of attempts that finish in the same tick go out as one autocommit statement, each checking its own lease token and closing its journal row (as of this run: packages/postgres). ' +
        'Drain = claim into the free slots, run, settle as `succeeded` (row and journal kept). Enqueue NOTIFYs in the same transaction.',
    },
    {
      name: GRAPHILE_WORKER,
      packages: `graphile-worker@${installedVersion('graphile-worker')}, ${pgDriver}`,
      settings:
        'The newest release whose engines allow Node 20 (0.18 needs Node 22). `makeWorkerUtils` adds jobs (its `add_job` / `add_jobs` functions, one NOTIFY per call); ' +
        `\`run({ pgPool, concurrency: ${ENGINE_CONCURRENCY}, noHandleSignals: true, pollInterval: ${GRAPHILE_POLL_INTERVAL_MS}, taskList })\` works them with its defaults: no local queue, no completion batching. ` +
        'The pool is the one graphile-worker would make from the connection string (`max: 10`), created by the benchmark so closing can wait for it. Logger silenced. ' +
        'Drain = per job: one statement that locks one job (`get_job`), the task, one `delete` of the job (completed jobs are not kept).',
    },
    {
      name: GRAPHILE_WORKER_BATCHED,
      packages: `graphile-worker@${installedVersion('graphile-worker')}, ${pgDriver}`,
      settings:
        `As graphile-worker, plus the batching of its performance page (worker.graphile.org/docs/performance): \`localQueue: { size: ${GRAPHILE_BATCHING.localQueue.size} }\` (up to ${GRAPHILE_BATCHING.localQueue.size} jobs fetched and locked in one statement, handed to the ${ENGINE_CONCURRENCY} workers from memory) and \`completeJobBatchDelay: ${GRAPHILE_BATCHING.completeJobBatchDelay}\` (completions of the same tick deleted in one statement). ` +
        'Its docs state the trade-off: more jobs locked at once, and a crash leaves up to the local queue locked until they expire.',
    },
    {
      name: PG_BOSS,
      packages: `pg-boss@${installedVersion('pg-boss')}, ${pgDriver}`,
      settings:
        'The newest release whose engines allow Node 20 (11 and later need Node 22). `new PgBoss({ connectionString })` with its defaults (pool of 10, maintenance, completed jobs kept 12 h before archiving), `createQueue("noop")` (required since 10). ' +
        `pg-boss 10 has no concurrency option (teamSize/teamConcurrency were removed); its maintainer's advice (timgit/pg-boss#542, #483) is a batch per fetch with the handler running the jobs at the concurrency wanted, so: ${workers} \`work("noop", { batchSize: ${batchSize}, pollingIntervalSeconds: ${pollingIntervalSeconds} }, handler)\`, the handler running the batch ${ENGINE_CONCURRENCY} at a time. ` +
        `Drain = one statement fetching (locking) up to ${batchSize} jobs, the handler, one statement completing the whole batch (not awaited by the worker); then the worker sleeps what is left of its ${pollingIntervalSeconds} s polling interval, found jobs or not (the shortest pg-boss allows), so one worker moves at most ${batchSize} jobs per ${pollingIntervalSeconds} s = ${(batchSize / pollingIntervalSeconds).toLocaleString('en-US')} jobs/s: its drain figure is bounded by that batch size, which is the bulk cases' batch size, not a value tuned here. ` +
        'It does not LISTEN: a new job waits for the next poll.',
    },
  ];
}
