/**
 * The seam that lets every scenario run against any store: a StoreTarget prepares a fresh location
 * per scenario (a SQLite file, a PostgreSQL database), opens a store there (for the scenario's own
 * reads and writes) and creates an engine over it (for workers, in this process or in a spawned
 * worker process, which finds the same target by name and is handed the location).
 */
import type { WorkEngine, WorkEngineOptions, WorkStore } from '@offstage/core';

/** Engine options a scenario passes to {@link StoreTarget.createEngine}. */
export type TargetEngineOptions = Omit<WorkEngineOptions, 'store'>;

/** A store kind the reliability scenarios can run against. */
export interface StoreTarget {
  /** Short name, printed in figures and passed to worker processes (`sqlite`, `postgres`). */
  readonly name: string;
  /** Whether several processes may share one location (process-level scenarios need it). */
  readonly multiProcess: boolean;
  /**
   * Whether a location is one database file on this machine, which a scenario may damage, truncate
   * or put on a full disk (the file-fault scenarios run only then).
   */
  readonly fileBased: boolean;
  /**
   * What a user would see if the store's own locking or connection handling leaked out (SQLite's
   * "database is locked", PostgreSQL's deadlocks, serialization failures, dropped connections): no
   * such line may appear on a worker's stderr or in any error a user is handed.
   */
  readonly storeErrorPattern: RegExp;
  /**
   * Makes a fresh, empty location for one scenario and returns it: for SQLite a file inside `dir`
   * (the scenario's temporary directory), for PostgreSQL a new database on the run's server (the
   * connection string). Only the test process calls this; worker processes are handed the result.
   */
  prepare(dir: string): Promise<string>;
  /**
   * Removes what {@link prepare} made outside the scenarios' temporary directories (the PostgreSQL
   * databases), forcibly closing any connection still open to them. Call it in `afterAll`, after
   * the scenarios' engines are closed.
   */
  cleanup(): Promise<void>;
  /** Opens the store at `location`, ready to use (created or migrated when new). */
  openStore(location: string): Promise<WorkStore>;
  /**
   * Creates an engine on the store at `location`, the way an application would on this store
   * (the Node preset, `createOffstage({ db: location })`: for SQLite with its file watch, for
   * PostgreSQL with LISTEN/NOTIFY wake-ups).
   */
  createEngine(location: string, options: TargetEngineOptions): Promise<WorkEngine>;
}
