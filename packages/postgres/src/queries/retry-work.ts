/**
 * retryWork: puts a failed or cancelled item back in the queue, due now, with its attempts reset,
 * and wakes listeners for its task. It must never touch an item in any other state (a running one
 * above all).
 */
import { defineStatement, type Db } from '../db.js';

/*
 * Purpose: re-queue one failed or cancelled item and notify its task name.
 * Parameters: id, now, the notification channel.
 */
const RETRY = defineStatement(
  'retry',
  (s) => `
with retried as (
  update ${s.quoted}.work set state = 'enqueued', run_at = $2::bigint, attempt = 0, finished_at = null, updated_at = $2::bigint
  where id = $1::text and state in ('failed', 'cancelled')
  returning task_name
)
select pg_notify($3::text, task_name) from retried`,
);

/**
 * True when re-queued; false when the item is missing or in another state.
 *
 * @example
 * await retryWork(db, 'a', now);
 */
export async function retryWork(db: Db, id: string, now: number): Promise<boolean> {
  const rows = await db.query(RETRY(db.names), [id, now, db.names.channel]);
  return rows.length === 1;
}
