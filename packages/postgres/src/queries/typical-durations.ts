/**
 * typicalDurations: per task name, the lower median of `endedAt - startedAt` over its `sample` most
 * recent succeeded journal rows (by start time, then row id): one range of runs_task_idx per
 * task, read backwards until it has `sample` successes. Read only.
 */
import { defineStatement, type Db } from '../db.js';

/*
 * Purpose: the durations of each task's most recent successes, sorted.
 * Parameters: task names (text[]), sample size (null: all).
 */
const RECENT_DURATIONS = defineStatement(
  'typical-durations',
  (s) => `
select n.task_name, d.durations
from unnest($1::text[]) as n (task_name)
cross join lateral (
  select array_agg(x.duration order by x.duration) as durations
  from (
    select r.ended_at - r.started_at as duration
    from ${s.quoted}.runs as r
    where r.outcome = 'succeeded' and r.task_name = n.task_name and r.ended_at is not null
    order by r.started_at desc, r.id desc
    limit $2::bigint) as x
) as d
where d.durations is not null`,
);

/**
 * Task name to the median duration in ms; tasks without a success are absent.
 *
 * @example
 * (await typicalDurations(db, ['resize'], 20)).get('resize') // 850
 */
export async function typicalDurations(db: Db, taskNames: readonly string[], sample: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const names = [...new Set(taskNames)];
  if (names.length === 0) return out;
  // At least one row, as few as asked otherwise; Infinity (or past the safe integers) means all of them.
  const limit = sample >= Number.MAX_SAFE_INTEGER ? null : Math.max(1, Number.isFinite(sample) ? Math.floor(sample) : 1);
  const rows = await db.query<{ task_name: string; durations: string[] }>(RECENT_DURATIONS(db.names), [names, limit]);
  for (const { task_name, durations } of rows) {
    const median = durations[Math.floor((durations.length - 1) / 2)];
    if (median !== undefined) out.set(task_name, Number(median));
  }
  return out;
}
