/**
 * SqliteStore: the WorkStore contract on one SQLite database, through the synchronous SqliteDriver
 * seam. Each method is one statement or one `begin immediate` transaction (a unique enqueue runs
 * its caller's plan inside it), and every write to a running item checks
 * `state = 'running' and lease_token = ?` (fencing), so several processes can share one file. It
 * must never read a clock or decide policy (callers pass `now` and the next state), and never let a
 * driver's raw I/O error escape where a typed store error applies.
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
import { prepareDatabase, type DatabaseSettings, type PreparedDatabase } from './prepare-database.js';
import { cancelWork } from './queries/cancel-work.js';
import { claimWork } from './queries/claim-work.js';
import { countWork } from './queries/count-work.js';
import { enqueueUniqueWork } from './queries/enqueue-unique-work.js';
import { enqueueWork } from './queries/enqueue-work.js';
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
import { settleWork } from './queries/settle-work.js';
import { typicalDurations } from './queries/typical-durations.js';
import { updateWork } from './queries/update-work.js';
import { toStoreError } from './to-store-error.js';

/**
 * Options for {@link SqliteStore}: the connection settings applied on open.
 * `path` only names the database in error messages (the driver has already opened it); `':memory:'`
 * (or `''`) also tells the store it cannot be shared between processes.
 */
export type SqliteStoreOptions = DatabaseSettings;

/**
 * A {@link WorkStore} on SQLite. Construction checks the file, sets `journal_mode = WAL` (files),
 * `synchronous` (NORMAL by default), `busy_timeout` (5000 ms by default) and `foreign_keys`, and
 * applies pending migrations; it throws StoreCorruptError or StoreOpenError when it cannot (and
 * then leaves the driver open for the caller to close). Once constructed, the store owns the
 * driver: `close()` closes it.
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
  #closed = false;

  constructor(driver: SqliteDriver, options: SqliteStoreOptions = {}) {
    this.#db = driver;
    this.#path = options.path;
    this.opened = prepareDatabase(driver, options);
    const inMemory = options.path === ':memory:' || options.path === '' || this.opened.journalMode === 'memory';
    this.capabilities = Object.freeze({ multiProcess: !inMemory, notifications: false });
  }

  async enqueue(specs: readonly WorkSpec[]): Promise<void> {
    this.#use((db) => enqueueWork(db, specs));
  }

  async enqueueUnique(
    uniqueName: string,
    now: number,
    plan: (existing: WorkSpec[]) => UniquePlan,
  ): Promise<{ existing: WorkSpec[]; cancelled: string[] }> {
    return this.#use((db) => enqueueUniqueWork(db, uniqueName, now, plan));
  }

  async update(id: string, fields: WorkUpdate, now: number): Promise<boolean> {
    return this.#use((db) => updateWork(db, id, fields, now));
  }

  async claim(options: ClaimOptions): Promise<ClaimedWork[]> {
    return this.#use((db) => claimWork(db, options));
  }

  async heartbeat(options: HeartbeatOptions): Promise<boolean> {
    return this.#use((db) => heartbeatWork(db, options));
  }

  async setProgress(id: string, leaseToken: number, progressJson: string, now: number): Promise<boolean> {
    return this.#use((db) => setProgress(db, id, leaseToken, progressJson, now));
  }

  async settle(settlement: Settlement): Promise<boolean> {
    return this.#use((db) => settleWork(db, settlement));
  }

  async cancel(options: CancelOptions): Promise<string[]> {
    return this.#use((db) => cancelWork(db, options));
  }

  async reconcile(now: number): Promise<string[]> {
    return this.#use((db) => reconcileLeases(db, now));
  }

  async retry(id: string, now: number): Promise<boolean> {
    return this.#use((db) => retryWork(db, id, now));
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
    return this.#use((db) => pruneWork(db, options));
  }

  async close(): Promise<void> {
    // Idempotent, as the contract says: a second close (a shutdown hook after an explicit close) is a no-op.
    if (this.#closed) return;
    this.#closed = true;
    this.#use((db) => db.close(), true);
  }

  /**
   * Runs one store operation on the connection. Everything inside is synchronous, so no other
   * call on this store can interleave with it: atomicity across calls on one connection comes for
   * free, and across connections from `begin immediate`.
   */
  #use<T>(operation: (db: SqliteDriver) => T, closing = false): T {
    if (this.#closed && !closing) throw new StoreClosedError();
    try {
      return operation(this.#db);
    } catch (error) {
      throw toStoreError(error, this.#path);
    }
  }
}
