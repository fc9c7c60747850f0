/**
 * nextWakeAt: when a worker running some task names next has something to do: the earliest runAt
 * of their enqueued items, or the earliest lease expiry of their running items held by someone
 * else. Read only, and index seeks only, never a scan: an idle worker calls this after every change.
 */
import type { NextWakeOptions } from '@offstage/core';
import type { SqliteDriver, SqliteValue } from '../driver/sqlite-driver.js';
import { INDEXED_PRIORITY_RANKS, OTHER_PRIORITY_PREDICATE } from '../migrations.js';
import { TASK_NAMES_PER_STATEMENT } from './claim-work.js';

/** SQL text by task name count (see claim-work.ts for why the text is memoised). */
const sqlCache = new Map<number, string>();

/*
 * Purpose: the earliest runAt of enqueued items of `count` task names: one `min(run_at)` seek of
 * work_claim_idx per (task name, priority rank), one of work_claim_other_idx per name for other
 * priorities, and the first lease in work_lease_idx (running items, a small set) held by another
 * owner for one of the names.
 * Parameters: task_name per arm, then lease owner to exclude (null for none), JSON array of task names.
 */
function nextWakeSql(count: number): string {
  let sql = sqlCache.get(count);
  if (sql === undefined) {
    const arms: string[] = [];
    for (let i = 0; i < count; i++) {
      for (const rank of INDEXED_PRIORITY_RANKS) {
        arms.push(`select min(run_at) as t from work where state = 'enqueued' and task_name = ? and priority = ${rank}`);
      }
      arms.push(`select min(run_at) as t from work where state = 'enqueued' and ${OTHER_PRIORITY_PREDICATE} and task_name = ?`);
    }
    arms.push(`select t from (
  select lease_expires_at as t from work
  where state = 'running' and lease_owner is not ? and task_name in (select value from json_each(?))
  order by lease_expires_at limit 1)`);
    sql = `select min(t) as t from (\n${arms.join('\nunion all\n')}\n)`;
    sqlCache.set(count, sql);
  }
  return sql;
}

/**
 * The next wake-up time in epoch ms, or null when nothing is pending for these task names.
 *
 * @example
 * const at = nextWakeAt(db, { taskNames: ['email'], excludeOwner: 'worker-1' });
 */
export function nextWakeAt(db: SqliteDriver, options: NextWakeOptions): number | null {
  const names = [...new Set(options.taskNames)];
  let next: number | null = null;
  for (let i = 0; i < names.length; i += TASK_NAMES_PER_STATEMENT) {
    const group = names.slice(i, i + TASK_NAMES_PER_STATEMENT);
    const params: SqliteValue[] = [];
    for (const name of group) {
      for (let arm = 0; arm <= INDEXED_PRIORITY_RANKS.length; arm++) params.push(name);
    }
    params.push(options.excludeOwner ?? null, JSON.stringify(group));
    const t = db.get<{ t: number | null }>(nextWakeSql(group.length), params)?.t ?? null;
    if (t !== null && (next === null || t < next)) next = t;
  }
  return next;
}
