/**
 * nextWakeAt: when a worker running some task names next has something to do: the earliest runAt
 * of their enqueued items (that the device conditions meet), or the earliest lease expiry of their
 * running items held by someone else. Read only, and index seeks only, never a scan: an idle worker
 * asks this after every pass.
 */
import type { NextWakeOptions } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';
import { conditionParams } from './claim-work.js';

/**
 * Purpose: the next wake-up: per task name, the first entry of its work_wake_idx range (the first
 * few, when device conditions filter some out), and the first lease in work_lease_idx (running
 * items, a small set) held by another owner for one of the names. least() skips nulls.
 * Parameters: task names (text[]), unmet constraint bits (null: no filter), battery, memory in use,
 *   lease owner to exclude (null for none).
 *
 * @example
 * await db.query(NEXT_WAKE_AT(db.names), [['email'], null, null, null, workerId]);
 */
export const NEXT_WAKE_AT = defineStatement(
  'next-wake-at',
  (s) => `
select least(
  (select min(t.run_at)
   from unnest($1::text[]) as n (task_name)
   cross join lateral (
     select w.run_at from ${s.quoted}.work as w
     where w.state = 'enqueued' and w.task_name = n.task_name
       and ($2::integer is null or ((w.constraint_mask & $2::integer) = 0
         and (w.min_battery is null or w.min_battery <= $3::double precision)
         and (w.max_memory is null or w.max_memory > $4::double precision)))
     order by w.run_at
     limit 1) as t),
  (select w.lease_expires_at from ${s.quoted}.work as w
   where w.state = 'running' and w.task_name = any($1::text[]) and w.lease_owner is distinct from $5::text
   order by w.lease_expires_at
   limit 1)
) as t`,
);

/**
 * The next wake-up time in epoch ms, or null when nothing is pending for these task names.
 *
 * @example
 * const at = await nextWakeAt(db, { taskNames: ['email'], excludeOwner: 'worker-1' });
 */
export async function nextWakeAt(db: Db, options: NextWakeOptions): Promise<number | null> {
  const names = [...new Set(options.taskNames)];
  if (names.length === 0) return null;
  const [row] = await db.query<{ t: string | null }>(NEXT_WAKE_AT(db.names), [names, ...conditionParams(options.conditions), options.excludeOwner ?? null]);
  return row?.t == null ? null : Number(row.t);
}
