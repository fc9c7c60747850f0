/**
 * nextWakeAt: when a worker running some task names next has something to do: the earliest runAt
 * of their enqueued items (those the device conditions meet, when given), or the earliest lease
 * expiry of their running items held by someone else. Read only, and index seeks only, never a
 * scan: an idle worker calls this after every change. With conditions, each seek walks on past
 * items whose constraints are unmet (one row check each), as the claim does.
 */
import { CLAIM_RANKS, type NextWakeOptions } from '@offstage/core';
import type { SqliteDriver, SqliteValue } from '../driver/sqlite-driver.js';
import { OTHER_PRIORITY_PREDICATE } from '../migrations.js';
import { MEETS_CONDITIONS, TASK_NAMES_PER_STATEMENT } from './claim-work.js';

/** SQL text by `${taskNameCount}:${filtered}` (see claim-work.ts for why the text is memoised). */
const sqlCache = new Map<string, string>();

/*
 * Purpose: the earliest runAt of enqueued items of `count` task names: one `min(run_at)` seek of
 * work_claim_idx per (task name, claim rank), one of work_claim_other_idx per name for other
 * priorities, and the first lease in work_lease_idx (running items, a small set) held by another
 * owner for one of the names. When `filtered`, each rank arm is the first item in run_at order the
 * conditions meet (an ordered walk with `limit 1`, so it stops at the first match); the other-
 * priority arm stays a `min()` over its task's entries (that index is not in run_at order within a
 * task, and an ordered walk would sort; it holds only priorities no caller of core stores).
 * Parameters: per enqueued arm task_name (and when filtered unmet, battery, memory), then lease
 * owner to exclude (null for none), JSON array of task names.
 */
function nextWakeSql(count: number, filtered: boolean): string {
  const key = `${count}:${filtered}`;
  let sql = sqlCache.get(key);
  if (sql === undefined) {
    const meets = filtered ? ` and ${MEETS_CONDITIONS}` : '';
    const rankArm = (rank: number): string =>
      filtered
        ? `select t from (select run_at as t from work where state = 'enqueued' and task_name = ? and priority = ${rank}${meets} order by run_at limit 1)`
        : `select min(run_at) as t from work where state = 'enqueued' and task_name = ? and priority = ${rank}`;
    const arms: string[] = [];
    for (let i = 0; i < count; i++) {
      for (const rank of CLAIM_RANKS) arms.push(rankArm(rank));
      // Named for the same reason as in the claim: the planner may otherwise read work_claim_idx.
      arms.push(`select min(run_at) as t from work indexed by work_claim_other_idx where state = 'enqueued' and ${OTHER_PRIORITY_PREDICATE} and task_name = ?${meets}`);
    }
    arms.push(`select t from (
  select lease_expires_at as t from work
  where state = 'running' and lease_owner is not ? and task_name in (select value from json_each(?))
  order by lease_expires_at limit 1)`);
    sql = `select min(t) as t from (\n${arms.join('\nunion all\n')}\n)`;
    sqlCache.set(key, sql);
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
  const { conditions } = options;
  let next: number | null = null;
  for (let i = 0; i < names.length; i += TASK_NAMES_PER_STATEMENT) {
    const group = names.slice(i, i + TASK_NAMES_PER_STATEMENT);
    const params: SqliteValue[] = [];
    for (const name of group) {
      for (let arm = 0; arm <= CLAIM_RANKS.length; arm++) {
        params.push(name);
        if (conditions !== undefined) params.push(conditions.unmet, conditions.battery, conditions.memory);
      }
    }
    params.push(options.excludeOwner ?? null, JSON.stringify(group));
    const t = db.get<{ t: number | null }>(nextWakeSql(group.length, conditions !== undefined), params)?.t ?? null;
    if (t !== null && (next === null || t < next)) next = t;
  }
  return next;
}
