/**
 * SqliteStore: the WorkStore contract on one SQLite database, through the synchronous SqliteDriver
 * seam. Each method is one statement or one `begin immediate` transaction (a unique enqueue runs
 * its caller's plan inside it), except that settles, heartbeats, progress and enqueues called in
 * the same tick, and a claim called after them, share one transaction (GroupCommit): each still
 * applies all or nothing, in call order, and resolves only once committed. Every write to a running
 * item checks `state = 'running' and lease_token = ?` (fencing), so several processes can share one
 * file. It must never read a clock or decide policy (callers pass `now` and the next state), and
 * never let a driver's raw I/O error escape where a typed store error applies.
 */
import {
  StoreClosedError,
  type CancelOptions,
  type ClaimedWork,
  type ClaimOptions,
  type CountRow,
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
import type { SqliteDriver } from './driver/sqlite-driver.js';
import { DEFAULT_IDLE_CHECKPOINT_MS, prepareDatabase, type DatabaseSettings, type PreparedDatabase } from './prepare-database.js';
import { cancelWork } from './queries/cancel-work.js';
import { applyClaim, claimWork, isClaimable } from './queries/claim-work.js';
import { countWork } from './queries/count-work.js';
import { enqueueUniqueWork } from './queries/enqueue-unique-work.js';
import { assertDistinctIds, insertBatch } from './queries/enqueue-work.js';
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
import { applySettlement } from './queries/settle-work.js';
import { typicalDurations } from './queries/typical-durations.js';
import { updateWork } from './queries/update-work.js';
import { GroupCommit } from './group-commit.js';
import { toStoreError } from './to-store-error.js';

/** The log's checkpoint threshold after a full disk (pages of 4 KiB): small enough for a nearly full disk. */
export const FULL_DISK_CHECKPOINT_PAGES = 100;

/**
 * Options for {@link SqliteStore}: the connection settings applied on open.
 * `path` only names the database in error messages (the driver has already opened it); `':memory:'`
 * (or `''`) also tells the store it cannot be shared between processes.
 */
export type SqliteStoreOptions = DatabaseSettings;

/**
 * A {@link WorkStore} on SQLite. Construction checks the file, sets `journal_mode = WAL` (files),
 * `synchronous` (NORMAL by default), `busy_timeout` (5000 ms by default), the log's checkpoint cap
 * (`checkpointPages`, 4000 by default) and `foreign_keys`, and applies pending migrations; it
 * throws StoreCorruptError or StoreOpenError when it cannot (and then leaves the driver open for
 * the caller to close). While open it checkpoints the log whenever it has been idle for
 * `idleCheckpointMs` (an unref'd timer). Once constructed, the store owns the driver: `close()`
 * commits any grouped writes still queued, then closes it.
 *
 * @example
 * import Database from 'better-sqlite3';
 * const store = new SqliteStore(new BetterSqlite3Driver(new Database('jobs.db')), { path: 'jobs.db' });
 * await store.enqueue([spec]);
 * await store.close();
 */
export class SqliteStore implements WorkStore {
  readonly capabilities: StoreCapabilities;
  /** What opening found and did: journal mode, previous schema version, migrations applied. */
  readonly opened: PreparedDatabase;

  readonly #db: SqliteDriver;
  readonly #path: string | undefined;
  /** Settles, heartbeats, progress and enqueues made in the same tick: one transaction for all. */
  readonly #group: GroupCommit;
  /** How long the store waits without calls before it checkpoints the log; null: never (no log, or turned off). */
  readonly #idleCheckpointMs: number | null;
  /** Store calls so far: the idle timer compares it with the count when it was armed. */
  #calls = 0;
  #callsWhenArmed = 0;
  /** Whether this connection changed rows since its last idle checkpoint. */
  #dirty = false;
  /** Set by a full disk until a checkpoint completes (see #unstickLog). */
  #logStuck = false;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(driver: SqliteDriver, options: SqliteStoreOptions = {}) {
    this.#db = driver;
    this.#path = options.path;
    // Grouped writes (settles, heartbeats, progress, enqueues) nearly always change a row: each batch counts as a write.
    this.#group = new GroupCommit(driver, (error) => this.#failure(error), () => {
      this.#unstickLog();
      this.#wrote();
    });
    this.opened = prepareDatabase(driver, options);
    const inMemory = options.path === ':memory:' || options.path === '' || this.opened.journalMode === 'memory';
    this.capabilities = Object.freeze({ multiProcess: !inMemory, notifications: false });
    this.#idleCheckpointMs = this.opened.journalMode === 'wal' ? (options.idleCheckpointMs === undefined ? DEFAULT_IDLE_CHECKPOINT_MS : options.idleCheckpointMs) : null;
  }

  // The grouped writes below are not `async`: they hand back the group's own promise (an async
  // wrapper would add a promise and two microtask hops to every settle), so they reject rather
  // than throw by hand.
  enqueue(specs: readonly WorkSpec[]): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    if (specs.length === 0) return Promise.resolve();
    try {
      assertDistinctIds(specs);
    } catch (error) {
      return Promise.reject(error);
    }
    // A copy: the batch is stored as it is now, even if the caller's array changes before the commit.
    const batch = [...specs];
    return this.#group.add((db) => insertBatch(db, batch));
  }

  async enqueueUnique(
    uniqueName: string,
    now: number,
    plan: (existing: WorkSpec[]) => UniquePlan,
  ): Promise<{ existing: WorkSpec[]; cancelled: string[] }> {
    return this.#write(
      (db) => enqueueUniqueWork(db, uniqueName, now, plan),
      () => true,
    );
  }

  async update(id: string, fields: WorkUpdate, now: number): Promise<boolean> {
    return this.#write((db) => updateWork(db, id, fields, now), (updated) => updated);
  }

  async claim(options: ClaimOptions): Promise<ClaimedWork[]> {
    if (this.#group.pending && !this.#closed && isClaimable(options)) {
      // Settles of attempts that just finished are still queued: claim in their transaction, after
      // them (call order), so the cycle costs one commit and the pages both touch are written once.
      const claimed = this.#group.add((db) => applyClaim(db, options));
      this.#group.flush();
      return claimed;
    }
    return this.#write((db) => claimWork(db, options), (claimed) => claimed.length > 0);
  }

  heartbeat(options: HeartbeatOptions): Promise<boolean> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    // One statement: alone, it needs no explicit transaction.
    const write = (db: SqliteDriver): boolean => heartbeatWork(db, options);
    return this.#group.add(write, write);
  }

  setProgress(id: string, leaseToken: number, progressJson: string, now: number): Promise<boolean> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    const write = (db: SqliteDriver): boolean => setProgress(db, id, leaseToken, progressJson, now);
    return this.#group.add(write, write);
  }

  settle(settlement: Settlement): Promise<boolean> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    return this.#group.add((db) => applySettlement(db, settlement));
  }

  async cancel(options: CancelOptions): Promise<string[]> {
    return this.#write((db) => cancelWork(db, options), (ids) => ids.length > 0);
  }

  async reconcile(now: number): Promise<string[]> {
    return this.#write((db) => reconcileLeases(db, now), (ids) => ids.length > 0);
  }

  async retry(id: string, now: number): Promise<boolean> {
    return this.#write((db) => retryWork(db, id, now), (retried) => retried);
  }

  async get(id: string): Promise<WorkSpec | undefined> {
    return this.#use((db) => getWork(db, id));
  }

  async query(query: WorkQuery): Promise<WorkSpec[]> {
    return this.#use((db) => queryWork(db, query));
  }

  async runs(query: RunQuery): Promise<RunRecord[]> {
    return this.#use((db) => queryRuns(db, query));
  }

  async lastRuns(workIds: readonly string[]): Promise<Map<string, RunRecord>> {
    return this.#use((db) => lastRuns(db, workIds));
  }

  async typicalDurations(taskNames: readonly string[], sample: number): Promise<Map<string, number>> {
    return this.#use((db) => typicalDurations(db, taskNames, sample));
  }

  async counts(now: number): Promise<CountRow[]> {
    return this.#use((db) => countWork(db, now));
  }

  async nextWakeAt(options: NextWakeOptions): Promise<number | null> {
    return this.#use((db) => nextWakeAt(db, options));
  }

  async prune(options: PruneOptions): Promise<{ work: number; runs: number }> {
    return this.#write((db) => pruneWork(db, options), (pruned) => pruned.work + pruned.runs > 0);
  }

  async close(): Promise<void> {
    // Idempotent, as the contract says: a second close (a shutdown hook after an explicit close) is a no-op.
    if (this.#closed) return;
    // Writes already called are committed (and their promises settled) before the connection closes.
    this.#group.flush();
    this.#closed = true;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    this.#use((db) => db.close(), true);
  }

  /**
   * Runs one store operation on the connection, after committing any grouped writes called before
   * it (so operations apply in call order). Everything inside is synchronous, so no other call on
   * this store can interleave with it: atomicity across calls on one connection comes for free,
   * and across connections from `begin immediate`.
   */
  #use<T>(operation: (db: SqliteDriver) => T, closing = false): T {
    if (this.#closed && !closing) throw new StoreClosedError();
    this.#unstickLog();
    this.#group.flush();
    if (!closing) this.#calls++;
    try {
      return operation(this.#db);
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /** The typed error for a failed operation; a full disk also marks the log for a checkpoint (see #unstickLog). */
  #failure(error: unknown): unknown {
    if ((error as { code?: unknown } | null)?.code === 'SQLITE_FULL' && this.opened.journalMode === 'wal') this.#logStuck = true;
    return toStoreError(error, this.#path);
  }

  /**
   * After a full disk, copies the log back into the database and empties it before the next
   * write, until that succeeds (TRUNCATE: it waits up to the busy timeout for other connections'
   * reads to end). Without it the log only grows: each commit appends to it, so once space
   * returns the log would fill the disk again by itself, and then no checkpoint could run (it
   * needs room to grow the database). Rare and short: only the first write after a full disk.
   * From then on the log is checkpointed every {@link FULL_DISK_CHECKPOINT_PAGES} pages, since a
   * disk that filled up may not hold a log of `checkpointPages`.
   */
  #unstickLog(): void {
    if (!this.#logStuck) return;
    try {
      const result = this.#db.get<{ busy: number; log: number; checkpointed: number }>('pragma wal_checkpoint(TRUNCATE)');
      if (result === undefined || result.busy !== 0 || result.checkpointed !== result.log) return;
      this.#logStuck = false;
      // This disk has less room than `checkpointPages` of log: keep the log short from now on.
      this.#db.get(`pragma wal_autocheckpoint = ${FULL_DISK_CHECKPOINT_PAGES}`);
    } catch {
      // Still no room for the pages it copies: the next write tries again.
    }
  }

  /** {@link #use} for an operation that may write: `changed` tells from its result whether it did. */
  #write<T>(operation: (db: SqliteDriver) => T, changed: (result: T) => boolean): T {
    const result = this.#use(operation);
    if (changed(result)) this.#wrote();
    return result;
  }

  /**
   * Notes a call that changed rows, and makes sure the idle timer runs. Only writes arm it, so a
   * store that only reads (an idle worker's wake-up query) never wakes for a checkpoint; the timer
   * never keeps a process alive, and a busy store pays one timer callback per `idleCheckpointMs`.
   */
  #wrote(): void {
    this.#calls++;
    this.#dirty = true;
    this.#armIdleTimer();
  }

  #armIdleTimer(): void {
    if (this.#idleTimer !== null || this.#idleCheckpointMs === null || this.#closed) return;
    this.#callsWhenArmed = this.#calls;
    const timer = setTimeout(this.#onIdleTimer, this.#idleCheckpointMs);
    (timer as { unref?: () => void }).unref?.();
    this.#idleTimer = timer;
  }

  /**
   * Runs when the idle timer fires: if no call came since it was armed, copies the log back into
   * the database now (PASSIVE: it takes no write lock and waits for nobody), so the commit that
   * would reach `checkpointPages` later, in the middle of work, finds little or nothing to do.
   */
  readonly #onIdleTimer = (): void => {
    this.#idleTimer = null;
    if (this.#closed || !this.#dirty) return;
    if (this.#calls !== this.#callsWhenArmed) {
      // Calls came meanwhile: wait for a quiet spell from now on.
      this.#armIdleTimer();
      return;
    }
    this.#dirty = false;
    try {
      this.#db.get('pragma wal_checkpoint(PASSIVE)');
    } catch {
      // Nothing depends on it: the next automatic checkpoint does the same, and a real I/O problem
      // surfaces on the next store call that needs the disk.
    }
  };
}
