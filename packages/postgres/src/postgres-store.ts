/**
 * PostgresStore: the WorkStore contract on PostgreSQL, for a fleet of workers on many machines.
 * Each method is one statement or one transaction; claims use `for update skip locked`, every write
 * to a running item checks `state = 'running' and lease_token = $n` (fencing), and whatever makes
 * work due NOTIFYs `<schema>_work` in the same transaction, so listening workers wake on commit.
 * It must never read a clock or decide policy (callers pass `now` and the next state), never import
 * `pg` unless asked to build its own pool, and never leave the caller's transaction in a state the
 * caller did not ask for (`withClient` uses savepoints only).
 */
import {
  InvalidOptionError,
  parseDuration,
  StoreClosedError,
  StoreOpenError,
  type CancelOptions,
  type ClaimedWork,
  type ClaimOptions,
  type CountRow,
  type Duration,
  type HeartbeatOptions,
  type NextWakeOptions,
  type PruneOptions,
  type RunQuery,
  type RunRecord,
  type Settlement,
  type StoreCapabilities,
  type UniquePlan,
  type WorkQuery,
  type WorkSpec,
  type WorkStore,
  type WorkUpdate,
} from '@offstage/core';
import { createClientDb, createPoolDb, type Db } from './db.js';
import { migrateDatabase, readSchemaVersion, type MigrationResult } from './migrate-database.js';
import { SCHEMA_VERSION } from './migrations.js';
import { NotifyListener, type StoreLogger } from './notify-listener.js';
import { hasNul, storableKeys } from './nul-text.js';
import type { PgModule, PgPool, PgQueryable } from './pg-client.js';
import { cancelWork } from './queries/cancel-work.js';
import { claimWork } from './queries/claim-work.js';
import { countWork } from './queries/count-work.js';
import { enqueueUniqueWork } from './queries/enqueue-unique-work.js';
import { enqueueWork, explainDuplicate } from './queries/enqueue-work.js';
import { getWork } from './queries/get-work.js';
import { heartbeatWork } from './queries/heartbeat-work.js';
import { lastRuns } from './queries/last-runs.js';
import { nextWakeAt } from './queries/next-wake-at.js';
import { pruneWork } from './queries/prune-work.js';
import { queryRuns } from './queries/query-runs.js';
import { queryWork } from './queries/query-work.js';
import { reconcileLeases } from './queries/reconcile-leases.js';
import { retryWork } from './queries/retry-work.js';
import { setProgress } from './queries/set-progress.js';
import { settleMany, settleWork } from './queries/settle-work.js';
import { typicalDurations } from './queries/typical-durations.js';
import { updateWork } from './queries/update-work.js';
import { schemaNames, type SchemaNames } from './schema-name.js';
import { checkConnectionString, describeServer, toOpenError } from './to-store-error.js';

/**
 * Options for {@link createPostgresStore}. Give `connectionString` (the store builds and owns a
 * `pg` pool) or `pool` (yours; the store never ends it).
 *
 * @example
 * const options: PostgresStoreOptions = { connectionString: process.env.DATABASE_URL, schema: 'jobs', maxConnections: 20 };
 */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database`. */
  connectionString?: string;
  /** A pool to use instead (a `pg.Pool`, or anything with its shape). */
  pool?: PgPool;
  /** The schema offstage's tables live in. Default `'offstage'`. Lower-case letters, digits, `_`. */
  schema?: string;
  /** Apply pending migrations on first use. Default true; with false, a schema that is not current is an error. */
  migrate?: boolean;
  /** With `connectionString`: how long to wait for a connection. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** With `connectionString`: the pool size. Default 10 (one more is held while `listen()` runs). */
  maxConnections?: number;
  /**
   * With `connectionString`: the session's `synchronous_commit`. Default: the server's (normally
   * `on`). `off` acknowledges commits before they reach disk: a server crash may lose the last few
   * hundred milliseconds of commits (never corrupting anything), in exchange for much faster settles.
   */
  synchronousCommit?: 'on' | 'off' | 'local' | 'remote_write' | 'remote_apply';
  /**
   * Prepare hot statements once per connection. Default true. Turn off behind a pooler in
   * transaction mode that cannot keep prepared statements (PgBouncer before 1.21).
   */
  preparedStatements?: boolean;
  /**
   * Fallback for poolers in transaction mode, where LISTEN cannot work: `listen()` then calls back
   * every `pollInterval` instead of on NOTIFY. Leave unset wherever LISTEN works (direct
   * connections, session-mode poolers): an idle worker then makes no queries at all.
   */
  pollInterval?: Duration;
  /** Where connection outages and recoveries are reported. Default: `console.warn` / `console.info`. */
  logger?: StoreLogger;
  /** The `pg` module to build a pool with. Default: `import('pg')`. */
  pg?: PgModule;
}

/**
 * Called on every wake-up `listen()` delivers: a task name from NOTIFY, or none after a reconnect
 * or a poll.
 *
 * @example
 * const onNotify: NotifyHandler = () => engine.wake();
 */
export type NotifyHandler = (taskName?: string) => void;

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_CONNECTIONS = 10;
/** Transactions the store runs itself are retried this often when PostgreSQL picks them as a deadlock victim. */
const DEADLOCK_RETRIES = 3;

/** What every view of one store shares: the pool, readiness, listeners, options. */
interface Shared {
  names: SchemaNames;
  server: string;
  options: PostgresStoreOptions;
  logger: StoreLogger;
  prepare: boolean;
  pollMs: number | undefined;
  pool: PgPool | null;
  /** Statements on the pool, once it exists. */
  poolDb: Db | null;
  ownsPool: boolean;
  ready: Promise<MigrationResult> | null;
  closed: boolean;
  listeners: Set<() => Promise<void>>;
}

/**
 * Creates a store on PostgreSQL. Nothing connects until the first call (or `ready()`), which
 * applies pending migrations under an advisory lock; options are checked now and throw
 * InvalidOptionError or StoreOpenError (a connection string that is not a PostgreSQL URL).
 *
 * @example
 * import { createWorkEngine } from '@offstage/core';
 * import { createPostgresStore } from '@offstage/postgres';
 * const store = createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * const engine = createWorkEngine({ store, tasks: { email: async ({ input }) => send(input) } });
 * const unlisten = await store.listen(() => engine.wake());
 * await engine.start();
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}

/**
 * A {@link WorkStore} on PostgreSQL. See {@link createPostgresStore}.
 *
 * Calls on one store take effect in the order they were made, as far as its own reads can tell: a
 * read (get, query, runs, counts, nextWakeAt…) waits for the writes this store started before it,
 * so it always sees them, as with the in-process stores. Writes run concurrently on the pool.
 *
 * @example
 * const store = new PostgresStore({ pool });
 * await store.ready(); // optional: connect and migrate now rather than on first use
 */
export class PostgresStore implements WorkStore {
  readonly capabilities: StoreCapabilities = Object.freeze({ multiProcess: true, notifications: true });
  /** The schema this store's tables live in. */
  readonly schema: string;

  readonly #shared: Shared;
  /** Set for a `withClient` view: statements run on the caller's connection, inside its transaction. */
  readonly #clientDb: Db | null;
  /** Writes in flight on the pool; reads wait for the ones started before them (read-your-writes). */
  readonly #writes = new Set<Promise<unknown>>();
  /** The last write in flight per item id; the next write to that item waits for it. */
  readonly #itemWrites = new Map<string, Promise<unknown>>();
  /** Settles queued in this tick, sent together as one statement (see #queueSettle). */
  #settleQueue: Array<{ settlement: Settlement; resolve: (applied: boolean) => void; reject: (error: unknown) => void }> = [];
  #closed = false;

  constructor(options: PostgresStoreOptions, view?: { shared: Shared; client: PgQueryable }) {
    if (view) {
      this.#shared = view.shared;
      this.#clientDb = createClientDb(view.client, { names: view.shared.names, prepare: view.shared.prepare }, 0);
      this.schema = view.shared.names.name;
      return;
    }
    this.#shared = checkOptions(options);
    this.#clientDb = null;
    this.schema = this.#shared.names.name;
  }

  /**
   * Connects and applies pending migrations now (otherwise the first call does); resolves with
   * what it found and did. Rejects with StoreOpenError when the server cannot be reached or the
   * schema cannot be brought up to date; the next call tries again.
   *
   * @example
   * const { applied } = await store.ready();
   */
  async ready(): Promise<MigrationResult> {
    this.#assertOpen();
    const shared = this.#shared;
    shared.ready ??= prepare(shared).catch((error: unknown) => {
      shared.ready = null;
      throw toOpenError(error, shared.server, shared.options.pool ? undefined : (shared.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS));
    });
    return shared.ready;
  }

  /**
   * A view of this store whose calls run on `client`, inside the caller's open transaction: work
   * it enqueues exists if and only if that transaction commits (and listeners are notified only
   * then). Writes use savepoints, so a refused batch leaves the caller's transaction usable. The
   * client must be inside a transaction (`begin` issued) for writes. `close()` on the view only
   * retires the view.
   *
   * @example
   * const client = await pool.connect();
   * await client.query('begin');
   * await client.query('insert into orders (id) values ($1)', [orderId]);
   * await store.withClient(client).enqueue([spec]);
   * await client.query('commit'); // the work exists now, and workers wake
   * client.release();
   */
  withClient(client: PgQueryable): PostgresStore {
    this.#assertOpen();
    return new PostgresStore({}, { shared: this.#shared, client });
  }

  /**
   * Calls `onNotify` whenever another connection makes work due (enqueue, retry, a released chain,
   * a re-queued lease), from a dedicated LISTEN connection that reconnects with backoff after an
   * outage (logged) and then calls `onNotify()` once, since notifications sent meanwhile are lost.
   * With `pollInterval` set, calls it on that interval instead. Resolves once listening, with a
   * function that stops.
   *
   * @example
   * const stop = await store.listen(() => engine.wake());
   * // on shutdown:
   * await stop();
   */
  async listen(onNotify: NotifyHandler): Promise<() => Promise<void>> {
    await this.ready();
    const shared = this.#shared;
    let stop: () => Promise<void>;
    if (shared.pollMs !== undefined) {
      const timer = setInterval(() => {
        try {
          onNotify();
        } catch (error) {
          shared.logger.warn(`offstage: a poll listener threw: ${(error as Error)?.message ?? String(error)}`);
        }
      }, shared.pollMs);
      stop = async () => clearInterval(timer);
    } else {
      const pool = shared.pool as PgPool;
      const listener = new NotifyListener({ connect: () => pool.connect(), channel: shared.names.channel, onNotify, logger: shared.logger, server: shared.server });
      try {
        await listener.start();
      } catch (error) {
        throw toOpenError(error, shared.server, shared.options.connectTimeoutMs);
      }
      stop = () => listener.stop();
    }
    let stopped = false;
    const unlisten = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      shared.listeners.delete(unlisten);
      await stop();
    };
    shared.listeners.add(unlisten);
    return unlisten;
  }

  async enqueue(specs: readonly WorkSpec[]): Promise<void> {
    return this.#track(async () => {
      const db = await this.#db();
      try {
        await this.#write(db, (d) => enqueueWork(d, specs));
      } catch (error) {
        throw await explainDuplicate(db, specs, error);
      }
    });
  }

  async enqueueUnique(
    uniqueName: string,
    now: number,
    plan: (existing: WorkSpec[]) => UniquePlan,
  ): Promise<{ existing: WorkSpec[]; cancelled: string[] }> {
    return this.#track(async () => {
      const db = await this.#db();
      let inserts: WorkSpec[] = [];
      try {
        return await this.#write(db, (d) =>
          d.transaction((tx) =>
            enqueueUniqueWork(tx, uniqueName, now, (existing) => {
              const decided = plan(existing);
              inserts = decided?.insert ?? [];
              return decided;
            }),
          ),
        );
      } catch (error) {
        throw await explainDuplicate(db, inserts, error);
      }
    });
  }

  async update(id: string, fields: WorkUpdate, now: number): Promise<boolean> {
    // An id with NUL names nothing stored (PostgreSQL's text cannot hold NUL): nothing to update.
    if (hasNul(id)) return this.#nothing(false);
    return this.#track(() => this.#inOrder(id, async () => this.#write(await this.#db(), (d) => updateWork(d, id, fields, now))));
  }

  async claim(options: ClaimOptions): Promise<ClaimedWork[]> {
    return this.#track(async () => this.#write(await this.#db(), (d) => claimWork(d, options)));
  }

  async heartbeat(options: HeartbeatOptions): Promise<boolean> {
    return this.#track(() => this.#inOrder(options.id, async () => heartbeatWork(await this.#db(), options)));
  }

  async setProgress(id: string, leaseToken: number, progressJson: string, now: number): Promise<boolean> {
    return this.#track(() => this.#inOrder(id, async () => setProgress(await this.#db(), id, leaseToken, progressJson, now)));
  }

  async settle(settlement: Settlement): Promise<boolean> {
    if (this.#clientDb !== null) return this.#inOrder(settlement.id, async () => this.#write(await this.#db(), (d) => settleWork(d, settlement)));
    return this.#track(() => this.#inOrder(settlement.id, () => this.#queueSettle(settlement)));
  }

  /**
   * Queues a settle; everything queued in the same tick (attempts that finished together) goes
   * out as one statement, so eight settles cost one round trip and one commit (one WAL flush with
   * synchronous_commit on) instead of eight. Each still applies or not on its own token.
   */
  #queueSettle(settlement: Settlement): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#settleQueue.push({ settlement, resolve, reject });
      if (this.#settleQueue.length === 1) queueMicrotask(() => void this.#flushSettles());
    });
  }

  async #flushSettles(): Promise<void> {
    const batch = this.#settleQueue;
    this.#settleQueue = [];
    try {
      const db = await this.#db();
      const alone = (s: Settlement): Promise<boolean> => this.#write(db, (d) => settleWork(d, s));
      // One settle alone is the prepared single-item statement; settles that must go alone after
      // the batch each settle (or fail) on their own.
      const outcomes = batch.length === 1 ? (['alone'] as const) : await this.#write(db, (d) => settleMany(d, batch.map((b) => b.settlement)));
      batch.forEach((b, i) => {
        if (outcomes[i] === 'alone') alone(b.settlement).then(b.resolve, b.reject);
        else b.resolve(outcomes[i] === 'applied');
      });
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }

  async cancel(options: CancelOptions): Promise<string[]> {
    const lookup = { ...options, ids: storableKeys(options.ids), tags: storableKeys(options.tags) };
    return this.#track(async () => this.#write(await this.#db(), (d) => cancelWork(d, lookup)));
  }

  async reconcile(now: number): Promise<string[]> {
    return this.#track(async () => reconcileLeases(await this.#db(), now));
  }

  async retry(id: string, now: number): Promise<boolean> {
    if (hasNul(id)) return this.#nothing(false);
    return this.#track(() => this.#inOrder(id, async () => retryWork(await this.#db(), id, now)));
  }

  async get(id: string): Promise<WorkSpec | undefined> {
    const db = await this.#read();
    return hasNul(id) ? undefined : getWork(db, id);
  }

  async query(query: WorkQuery): Promise<WorkSpec[]> {
    const db = await this.#read();
    if (hasNul(query.dependentsOf)) return [];
    const { ids, states, taskNames, tags, uniqueNames } = query;
    return queryWork(db, {
      ...query,
      ...(ids && { ids: storableKeys(ids) as string[] }),
      ...(states && { states: storableKeys(states) as WorkQuery['states'] }),
      ...(taskNames && { taskNames: storableKeys(taskNames) as string[] }),
      ...(tags && { tags: storableKeys(tags) as string[] }),
      ...(uniqueNames && { uniqueNames: storableKeys(uniqueNames) as string[] }),
    });
  }

  async runs(query: RunQuery): Promise<RunRecord[]> {
    const db = await this.#read();
    if (hasNul(query.workId)) return [];
    const { taskNames, outcomes } = query;
    return queryRuns(db, {
      ...query,
      ...(taskNames && { taskNames: storableKeys(taskNames) as string[] }),
      ...(outcomes && { outcomes: storableKeys(outcomes) as RunQuery['outcomes'] }),
    });
  }

  async lastRuns(workIds: readonly string[]): Promise<Map<string, RunRecord>> {
    return lastRuns(await this.#read(), storableKeys(workIds));
  }

  async typicalDurations(taskNames: readonly string[], sample: number): Promise<Map<string, number>> {
    return typicalDurations(await this.#read(), storableKeys(taskNames), sample);
  }

  async counts(now: number): Promise<CountRow[]> {
    return countWork(await this.#read(), now);
  }

  async nextWakeAt(options: NextWakeOptions): Promise<number | null> {
    return nextWakeAt(await this.#read(), options);
  }

  async prune(options: PruneOptions): Promise<{ work: number; runs: number }> {
    return this.#track(async () => pruneWork(await this.#db(), options));
  }

  /**
   * Stops every listener and ends the pool the store built (a pool given in the options is left to
   * its owner). Idempotent. On a `withClient` view it only retires the view.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#clientDb !== null) return;
    const shared = this.#shared;
    shared.closed = true;
    await Promise.allSettled([...shared.listeners].map((unlisten) => unlisten()));
    // Let a migration in flight finish before its pool goes away.
    await shared.ready?.catch(() => undefined);
    if (shared.ownsPool && shared.pool !== null) await shared.pool.end();
  }

  #assertOpen(): void {
    if (this.#closed || this.#shared.closed) throw new StoreClosedError();
  }

  /** `result` for a call that cannot match anything stored, after the same checks a real call makes (open, ready). */
  async #nothing<T>(result: T): Promise<T> {
    await this.#db();
    return result;
  }

  /** The Db for one call, once the schema is ready; StoreClosedError after close. */
  async #db(): Promise<Db> {
    this.#assertOpen();
    const shared = this.#shared;
    if (shared.ready === null) await this.ready();
    else await shared.ready;
    this.#assertOpen();
    return this.#clientDb ?? (shared.poolDb as Db);
  }

  /**
   * Runs a write, remembered until it settles so later reads can wait for it. On a pool, two
   * calls run on two connections and may finish in either order; without this, a caller that
   * settles an item and then reads it (the engine does, and so does its observer) could read the
   * row as it was before. Reads never wait for writes started after them, and writes never wait
   * for anything. A caller's client (`withClient`) runs everything in order on one connection
   * anyway.
   */
  #track<T>(write: () => Promise<T>): Promise<T> {
    const done = write();
    if (this.#clientDb !== null) return done;
    const settled: Promise<unknown> = done.then(
      () => this.#writes.delete(settled),
      () => this.#writes.delete(settled),
    );
    this.#writes.add(settled);
    return done;
  }

  /**
   * Runs a write to one item after the writes to that item this store started before it: an
   * attempt's last progress report and its settle, sent back to back, reach the row in that order
   * (on two connections the settle could commit first, and the progress would be refused).
   */
  #inOrder<T>(id: string, write: () => Promise<T>): Promise<T> {
    const before = this.#itemWrites.get(id);
    const done = before === undefined ? write() : before.then(write, write);
    const last: Promise<unknown> = done.then(
      () => this.#itemWrites.get(id) === last && this.#itemWrites.delete(id),
      () => this.#itemWrites.get(id) === last && this.#itemWrites.delete(id),
    );
    this.#itemWrites.set(id, last);
    return done;
  }

  /** The Db for a read, once every write this store started before it has settled. */
  async #read(): Promise<Db> {
    if (this.#writes.size > 0) await Promise.all([...this.#writes]);
    return this.#db();
  }

  /**
   * Runs a write. On the store's pool: as is, retried when PostgreSQL aborts it as a deadlock
   * victim (each write is one statement or one transaction, so a retry starts clean). On a
   * caller's client: inside a savepoint, so a refused write rolls back only itself.
   */
  async #write<T>(db: Db, write: (db: Db) => Promise<T>): Promise<T> {
    if (this.#clientDb === null) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await write(db);
        } catch (error) {
          if ((error as { code?: unknown })?.code !== '40P01' || attempt >= DEADLOCK_RETRIES) throw error;
        }
      }
    }
    try {
      return await db.transaction(write);
    } catch (error) {
      if ((error as { code?: unknown })?.code === '25P01') {
        throw new InvalidOptionError(
          'store.withClient(client) runs inside the caller\'s transaction, but the client is not in one; call begin on the client first (or use the store itself).',
        );
      }
      throw error;
    }
  }
}

function checkOptions(options: PostgresStoreOptions): Shared {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('createPostgresStore needs options; pass { connectionString } or { pool }.');
  }
  const { connectionString, pool } = options;
  if ((connectionString === undefined) === (pool === undefined)) {
    throw new InvalidOptionError('createPostgresStore needs exactly one of connectionString and pool; pass { connectionString: "postgres://…" } or { pool }.');
  }
  if (connectionString !== undefined) {
    if (typeof connectionString !== 'string') throw new StoreOpenError(`The connection string ${String(connectionString)} is not a string; pass postgres://user:password@host:5432/database.`);
    checkConnectionString(connectionString);
  }
  const timeout = options.connectTimeoutMs;
  if (timeout !== undefined && !(Number.isSafeInteger(timeout) && timeout > 0)) {
    throw new InvalidOptionError(`The connectTimeoutMs ${String(timeout)} is invalid; use a whole number of milliseconds above 0.`);
  }
  const max = options.maxConnections;
  if (max !== undefined && !(Number.isSafeInteger(max) && max > 0)) {
    throw new InvalidOptionError(`The maxConnections ${String(max)} is invalid; use a whole number of at least 1.`);
  }
  const sync = options.synchronousCommit;
  if (sync !== undefined && !['on', 'off', 'local', 'remote_write', 'remote_apply'].includes(sync)) {
    throw new InvalidOptionError(`The synchronousCommit ${JSON.stringify(sync)} is invalid; use 'on', 'off', 'local', 'remote_write' or 'remote_apply'.`);
  }
  const pollMs = options.pollInterval === undefined ? undefined : parseDuration(options.pollInterval, 'pollInterval');
  if (pollMs !== undefined && pollMs < 1) throw new InvalidOptionError(`The pollInterval ${pollMs} ms is too short; use at least 1 ms (a second or more is sensible).`);
  return {
    names: schemaNames(options.schema),
    server: describeServer(connectionString),
    options,
    logger: options.logger ?? { warn: (m) => console.warn(m), info: (m) => console.info(m) },
    prepare: options.preparedStatements ?? true,
    pollMs,
    pool: pool ?? null,
    poolDb: null,
    ownsPool: pool === undefined,
    ready: null,
    closed: false,
    listeners: new Set(),
  };
}

/** Builds the pool (first use only) and migrates (or checks the version when `migrate` is false). */
async function prepare(shared: Shared): Promise<MigrationResult> {
  if (shared.pool === null) shared.pool = await createPool(shared);
  const db = createPoolDb(shared.pool, { names: shared.names, prepare: shared.prepare });
  shared.poolDb = db;
  if (shared.options.migrate === false) return checkVersion(db, shared);
  return migrateDatabase(db, shared.server);
}

async function checkVersion(db: Db, shared: Shared): Promise<MigrationResult> {
  const version = (await readSchemaVersion(db)) ?? 0;
  if (version !== SCHEMA_VERSION) {
    throw new StoreOpenError(
      `The offstage schema "${shared.names.name}" on PostgreSQL at ${shared.server} is at version ${version}, not ${SCHEMA_VERSION}, and migrate is false; run the migrations (open a store with migrate: true once) first.`,
    );
  }
  return { previousVersion: version, applied: [] };
}

async function createPool(shared: Shared): Promise<PgPool> {
  const { options, logger, server } = shared;
  const pg = options.pg ?? (await importPg());
  const session = sessionSettings(options);
  const pool = new pg.Pool({
    connectionString: session.connectionString,
    max: (options.maxConnections ?? DEFAULT_MAX_CONNECTIONS) + 1,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'offstage',
    options: session.options,
  });
  // An idle connection that dies (a server restart) is reported here; without a listener the
  // pool's 'error' event would crash the process. Said once per outage, not once per connection.
  let lastWarning = 0;
  pool.on?.('error', (error) => {
    const now = Date.now();
    if (now - lastWarning < 10_000) return;
    lastWarning = now;
    logger.warn(`offstage: an idle connection to PostgreSQL at ${server} failed (${error.message}); the pool opens a new one on next use.`);
  });
  return pool;
}

/**
 * The session settings of the pool the store builds: libpq's `options`, those the connection
 * string carries first (taken out of it, since `pg` would let them replace ours), then ours.
 * `plan_cache_mode = force_generic_plan`: the hot statements are prepared, and left to choose,
 * PostgreSQL re-plans the claim for every call (its generic plan looks dearer on paper than a plan
 * for the actual values, because `limit $4` and `run_at <= $1` have no value yet), spending about
 * twice as long planning as running it. The generic plans are the ones the query-plan tests check:
 * the same indexes, no sort. `jit = off`: every statement is a short index lookup, but on a table
 * of a million finished rows a generic plan's cost estimate can pass the JIT threshold, and
 * compiling it took 278 ms where running it takes 0.1 ms (the hourly prune, measured by the bench).
 */
function sessionSettings(options: PostgresStoreOptions): { connectionString: string | undefined; options: string } {
  const ours = ['-c plan_cache_mode=force_generic_plan', '-c jit=off'];
  if (options.synchronousCommit) ours.push(`-c synchronous_commit=${options.synchronousCommit}`);
  let { connectionString } = options;
  let given = '';
  if (connectionString !== undefined) {
    const url = new URL(connectionString);
    given = url.searchParams.get('options') ?? '';
    if (given) {
      url.searchParams.delete('options');
      connectionString = url.toString();
    }
  }
  return { connectionString, options: [given, ...ours].filter(Boolean).join(' ') };
}

/** Loads the caller's `pg` (a peer dependency), or says how to install it. */
async function importPg(): Promise<PgModule> {
  try {
    return (await import('pg')).default as unknown as PgModule;
  } catch (error) {
    throw new StoreOpenError('The PostgreSQL client `pg` is not installed; run `npm install pg` (version 8) next to @offstage/postgres, or pass { pool } or { pg }.', {
      cause: error,
    });
  }
}
