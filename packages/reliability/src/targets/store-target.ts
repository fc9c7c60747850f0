/**
 * The seam that lets every scenario run against any store: a StoreTarget opens a store (for the
 * scenario's own reads and writes) and creates an engine over it (for workers, in this process or
 * in a spawned worker process, which finds the same target by name). SQLite is the only target
 * today; PostgreSQL adds one entry to `STORE_TARGETS` and every process-level scenario runs on it.
 */
import type { WorkEngine, WorkEngineOptions, WorkStore } from '@offstage/core';

/** Engine options a scenario passes to {@link StoreTarget.createEngine}. */
export type TargetEngineOptions = Omit<WorkEngineOptions, 'store'>;

/** A store kind the reliability scenarios can run against. */
export interface StoreTarget {
  /** Short name, printed in figures and passed to worker processes (`sqlite`). */
  readonly name: string;
  /** Whether several processes may share one location (process-level scenarios need it). */
  readonly multiProcess: boolean;
  /** A fresh location for one scenario, inside the scenario's temporary directory. */
  location(dir: string): string;
  /** Opens the store at `location` (creating it when new). */
  openStore(location: string): Promise<WorkStore>;
  /**
   * Creates an engine on the store at `location`, the way an application would on this store
   * (for SQLite: the Node preset, `createOffstage`, with its file watch and croner).
   */
  createEngine(location: string, options: TargetEngineOptions): Promise<WorkEngine>;
}
