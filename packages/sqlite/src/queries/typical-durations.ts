/**
 * typicalDurations: how long each task's recent successful attempts took, as the median of the
 * `sample` most recent succeeded journal rows per task (newest by start time, then row id). Read
 * only. It walks runs_started_idx newest first and stops once it has `sample` successes of the
 * task, so its cost is the stretch of recent journal holding them; a task that rarely succeeds
 * costs a walk of its whole (pruned) journal. That is the trade for keeping every settle free of a
 * second index write: this runs once per runDue pass, a settle once per attempt.
 */
import type { SqliteDriver } from '../driver/sqlite-driver.js';

/*
 * Purpose: the durations of a task's most recent successful attempts, newest first (runs_started_idx
 * read backwards; its entries end with the row id, so the order needs no sort).
 * Parameters: task_name, sample size.
 */
const RECENT_SUCCESSES = `
select ended_at - started_at as ms from runs
where task_name = ? and outcome = 'succeeded'
order by started_at desc, id desc
limit ?`;

/**
 * Task name to its median recent duration in ms (the lower middle value for an even count, so it
 * is one that occurred); tasks without a successful attempt are absent. A sample below 1 counts as 1.
 *
 * @example
 * typicalDurations(db, ['sync'], 20).get('sync') // 1_250
 */
export function typicalDurations(db: SqliteDriver, taskNames: readonly string[], sample: number): Map<string, number> {
  // Written as a bound LIMIT: -1 is SQLite's "no limit" (for Infinity); NaN and fractions become whole.
  const size = sample >= Number.MAX_SAFE_INTEGER ? -1 : Number.isFinite(sample) ? Math.max(1, Math.floor(sample)) : 1;
  const result = new Map<string, number>();
  for (const name of new Set(taskNames)) {
    const durations = db.all<{ ms: number }>(RECENT_SUCCESSES, [name, size]).map((r) => r.ms);
    if (durations.length === 0) continue;
    durations.sort((a, b) => a - b);
    result.set(name, durations[Math.floor((durations.length - 1) / 2)] as number);
  }
  return result;
}
