/**
 * reconcileLeases: returns running items whose lease expired to the queue, uncharged, closes their
 * journal rows as lost, and wakes listeners for their tasks, in one statement. It must never take
 * an item whose lease is still live, and it bumps the token so the vanished owner, should it come
 * back, is fenced off.
 */
import { defineStatement, type Db } from '../db.js';

/*
 * Purpose: re-queue running items whose lease ran out (a range of work_lease_idx), close their open
 * journal rows as stopped by a lost lease, and notify once per task name. The attempt is not
 * charged (attempt - 1): the owner vanished, which is not the work's fault. Rows another
 * transaction holds (an owner settling right now, another worker reconciling) are skipped: the
 * holder decides them, and the next reconcile sees them again if it must.
 * Parameters: now, the notification channel.
 */
const REQUEUE_EXPIRED = defineStatement(
  'reconcile',
  (s) => `
with expired as (
  select seq from ${s.quoted}.work
  where state = 'running' and lease_expires_at <= $1::bigint
  for no key update skip locked
),
requeued as (
  update ${s.quoted}.work as w
  set state = 'enqueued', attempt = greatest(w.attempt - 1, 0), lease_token = w.lease_token + 1,
      lease_owner = null, lease_expires_at = null, updated_at = $1::bigint
  from expired as e
  where w.seq = e.seq
  returning w.seq, w.id, w.task_name
),
closed as (
  update ${s.quoted}.runs as r
  set ended_at = $1::bigint, outcome = 'stopped', stop_reason = 'lease-lost'
  from requeued as q
  where r.work_seq = q.seq and r.ended_at is null
),
woken as (
  select pg_notify($2::text, t.task_name) from (select distinct task_name from requeued) as t
)
select seq, id, (select count(*) from woken) as woken from requeued`,
);

/**
 * Re-queues expired leases; returns their ids in insertion order.
 *
 * @example
 * const returned = await reconcileLeases(db, now);
 */
export async function reconcileLeases(db: Db, now: number): Promise<string[]> {
  const rows = await db.query<{ seq: string; id: string }>(REQUEUE_EXPIRED(db.names), [now, db.names.channel]);
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((r) => r.id);
}
