/**
 * The offstage side's plumbing: an engine over the SQLite store (better-sqlite3 driver) on the
 * case's durability settings, state counts read through the WorkStore contract, and a guard that
 * turns any `worker:error` into a failed run.
 */
import { createWorkEngine, type TaskEntry, type WorkEngine, type WorkState, type WorkStore } from '@offstage/core';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import type { Synchronous } from './harness.js';
import type { Counter } from './wait.js';

/** Concurrency of every offstage engine in the benchmark (the raw baselines claim this many per batch). */
export const ENGINE_CONCURRENCY = 8;

/**
 * Opens the offstage SQLite store at `path` (WAL, `synchronous` as given).
 *
 * @example
 * const store = await openOffstageStore(dbPath, 'NORMAL')
 */
export async function openOffstageStore(path: string, synchronous: Synchronous): Promise<WorkStore> {
  // Awaited so a future async opener (node:sqlite, a worker-thread driver) needs no change here.
  return await openSqliteStore(path, { synchronous, busyTimeoutMs: 5_000 });
}

/**
 * Creates an engine over a fresh SQLite store with the given tasks (not started).
 *
 * @example
 * const engine = await openEngine(dbPath, 'NORMAL', { noop: () => undefined })
 */
export async function openEngine(path: string, synchronous: Synchronous, tasks: Record<string, TaskEntry>): Promise<WorkEngine> {
  const store = await openOffstageStore(path, synchronous);
  return createWorkEngine({ store, tasks, concurrency: ENGINE_CONCURRENCY });
}

/**
 * Items per state, read through the WorkStore contract (so the check does not depend on the schema).
 *
 * @example
 * const { succeeded, total } = await stateCounts(engine.store)
 */
export async function stateCounts(store: WorkStore): Promise<Partial<Record<WorkState, number>> & { total: number }> {
  const out: Partial<Record<WorkState, number>> & { total: number } = { total: 0 };
  for (const row of await store.counts(Date.now())) {
    out[row.state] = (out[row.state] ?? 0) + row.count;
    out.total += row.count;
  }
  return out;
}

/**
 * Fails `counter`'s waits on the engine's first `worker:error` (a store or listener failure),
 * so a broken run stops loudly instead of timing out or reporting a figure.
 *
 * @example
 * failOnWorkerError(engine, done)
 */
export function failOnWorkerError(engine: WorkEngine, counter: Counter): void {
  engine.on('worker:error', ({ error, during }) => {
    counter.fail(new Error(`offstage worker:error while ${during}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
  });
}
