/**
 * The Node preset: a WorkEngine over the SQLite store, with cron schedules evaluated by croner,
 * a file watcher so work enqueued by another process (the CLI, a web server) wakes this worker at
 * once, this machine's constraint trackers, and a platform description of a long-running Node
 * process. It only wires defaults; it must never add behaviour the engine or the store should own.
 */
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { LONG_RUNNING_PROCESS, WorkEngine, type ConstraintTrackers, type Duration, type PlatformInfo, type WorkEngineOptions, type WorkStore } from '@offstage/core';
import { cronerParser } from '@offstage/cron';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { createPostgresStore, isPostgresConnectionString } from '@offstage/postgres';
import { FileWatchScheduler } from './schedulers/file-watch-scheduler.js';
import { createNodeTrackers, type NodeTrackerOptions } from './trackers/node-trackers.js';

/**
 * The default database path, relative to the working directory.
 *
 * @example
 * createOffstage({ db: DEFAULT_DB_PATH })
 */
export const DEFAULT_DB_PATH = './offstage.db';

/**
 * A Node process that keeps running (a worker, a server): work survives restarts and reboots
 * (it is in the database) but runs only while some process is up; no minimum interval, no
 * execution budget. Core's {@link LONG_RUNNING_PROCESS} with a Node name.
 *
 * @example
 * createOffstage({ platform: NODE_PROCESS }).guarantees().executionBudgetMs // null
 */
export const NODE_PROCESS: PlatformInfo = {
  name: 'Node.js long-running process',
  status: () => ({ status: 'available' }),
  guarantees: { ...LONG_RUNNING_PROCESS.guarantees },
};

/**
 * Options for {@link createOffstage}: the engine's options, with the store chosen for you, `cron`
 * defaulting to `cronerParser` (from `@offstage/cron`), `trackers` to this machine's
 * (`createNodeTrackers`) and `platform` to {@link NODE_PROCESS}.
 *
 * @example
 * const options: OffstageOptions = { db: './work.db', synchronous: 'FULL', concurrency: 8, leaseTime: '1m' }
 * const probed: OffstageOptions = { trackerOptions: { probeUrl: 'https://api.example.com/health' } }
 */
export interface OffstageOptions extends Omit<WorkEngineOptions, 'store' | 'trackers'> {
  /**
   * Where the work lives: a SQLite database file (default `'./offstage.db'`; `':memory:'` keeps
   * everything in memory), or a `postgres://` / `postgresql://` URL, which opens the PostgreSQL
   * store (`@offstage/postgres`, its default options) and wakes the worker by LISTEN/NOTIFY.
   */
  db?: string;
  /** SQLite durability: `'FULL'` survives power loss, `'NORMAL'` (the store's default) survives process crashes. */
  synchronous?: 'NORMAL' | 'FULL';
  /** Use this store instead of opening `db` (no file watching then). */
  store?: WorkStore;
  /** Watch the database file for writes by other processes. Default true for a file database. */
  watch?: boolean;
  /**
   * Constraint trackers. Default: `createNodeTrackers(trackerOptions)` (storage measured where the
   * database lives); `false` or `{}` for none, so every constraint counts as met.
   */
  trackers?: ConstraintTrackers | false;
  /** Options for the default trackers (a reachability probe URL, thresholds, the sampling rate). */
  trackerOptions?: NodeTrackerOptions;
}

/**
 * Creates an engine over a SQLite database file (or a PostgreSQL database, for a `postgres://`
 * URL), ready to register tasks, enqueue and start.
 * The default worker id is `hostname:pid`, so the journal says which process ran each attempt;
 * cron schedules are evaluated by croner unless `cron` says otherwise; constraints are decided by
 * this machine's trackers (`createNodeTrackers`), which sample only while constrained work waits
 * or runs; the platform is {@link NODE_PROCESS}.
 *
 * @example
 * import { createOffstage } from 'offstage'
 * const offstage = createOffstage({ db: './work.db', tasks: { email: async ({ input }) => send(input), report: makeReport } })
 * await offstage.enqueue('email', { input: { to: 'a@example.com' }, delay: '5m' })
 * await offstage.enqueueUniquePeriodic('nightly-report', 'report', 'update', { cron: '0 3 * * *', timezone: 'Europe/Paris' })
 * await offstage.start()
 * process.on('SIGTERM', () => void offstage.close())
 *
 * // Work that needs the API reachable, not just an interface up:
 * const probed = createOffstage({ trackerOptions: { probeUrl: 'https://api.example.com/health' } })
 * await probed.enqueue('sync', { constraints: { network: 'connected' } })
 */
export function createOffstage(options: OffstageOptions = {}): WorkEngine {
  const { db = DEFAULT_DB_PATH, synchronous, store: givenStore, watch = true, trackers: givenTrackers, trackerOptions, ...engineOptions } = options;
  const postgres = !givenStore && isPostgresConnectionString(db) ? createPostgresStore({ connectionString: db }) : null;
  const store = givenStore ?? postgres ?? openSqliteStore(db, synchronous ? { synchronous } : {});
  const file = !givenStore && !postgres && !isMemoryPath(db);
  const watchPath = file && watch ? db : null;
  try {
    const cron = engineOptions.cron ?? cronerParser;
    // Creating trackers reads nothing: each samples only when the engine asks (a claim, a query).
    const trackers =
      givenTrackers === false
        ? {}
        : (givenTrackers ??
          createNodeTrackers({ storagePath: file ? dirname(resolve(db)) : undefined, ...trackerOptions }));
    const platform = engineOptions.platform ?? NODE_PROCESS;
    // PostgreSQL tells workers about new work itself (LISTEN/NOTIFY): no file to watch then.
    const wakeSource = postgres && watch ? postgres : null;
    return new WatchedEngine({ workerId: `${hostname()}:${process.pid}`, ...engineOptions, cron, trackers, platform, store }, watchPath, wakeSource);
  } catch (error) {
    // Bad engine options: do not leak the database handle we just opened.
    if (!givenStore) void store.close().catch(() => undefined);
    throw error;
  }
}

function isMemoryPath(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file::memory:');
}

/** A store that can tell this process about other processes' writes (PostgreSQL's LISTEN/NOTIFY). */
interface WakeSource {
  listen(onNotify: () => void): Promise<() => Promise<void>>;
}

/** A WorkEngine whose file watch (or LISTEN) lives exactly as long as its worker loop. */
class WatchedEngine extends WorkEngine {
  private readonly scheduler: FileWatchScheduler | null;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    options: WorkEngineOptions,
    watchPath: string | null,
    private readonly wakeSource: WakeSource | null = null,
  ) {
    super(options);
    this.scheduler =
      watchPath === null
        ? null
        : new FileWatchScheduler({
            path: watchPath,
            onChange: () => this.wake(),
            onError: (error) => this.reportWatchError(error),
          });
  }

  override async start(): Promise<void> {
    // Watch before the first pass, so a write that lands during it still wakes us afterwards.
    this.scheduler?.start();
    try {
      if (this.wakeSource && !this.unlisten) this.unlisten = await this.wakeSource.listen(() => this.wake());
      await super.start();
    } catch (error) {
      await this.stopWatching();
      throw error;
    }
  }

  override async stop(options: { grace?: Duration } = {}): Promise<void> {
    await this.stopWatching();
    await super.stop(options);
  }

  private async stopWatching(): Promise<void> {
    this.scheduler?.stop();
    const unlisten = this.unlisten;
    this.unlisten = null;
    await unlisten?.();
  }

  private reportWatchError(error: unknown): void {
    // Without the watch, other processes' work still runs, just at the next timer; say so once.
    process.emitWarning(`offstage: stopped watching the database for other processes' writes: ${(error as Error)?.message ?? String(error)}`);
  }
}
