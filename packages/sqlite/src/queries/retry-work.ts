/**
 * retryWork: puts a failed or cancelled item back in the queue, due now, with its attempts reset.
 * It must never touch an item in any other state (a running one above all).
 */
import type { SqliteDriver } from '../driver/sqlite-driver.js';

/*
 * Purpose: re-queue one failed or cancelled item.
 * Parameters: run_at, updated_at, id.
 *
 * One statement: SQLite takes the write lock as it starts, as `begin immediate` would.
 */
const RETRY = `
update work set state = 'enqueued', run_at = ?, attempt = 0, finished_at = null, updated_at = ?
where id = ? and state in ('failed', 'cancelled')`;

/**
 * True when re-queued; false when the item is missing or in another state.
 *
 * @example
 * retryWork(db, 'a', now);
 */
export function retryWork(db: SqliteDriver, id: string, now: number): boolean {
  return db.run(RETRY, [now, now, id]).changes === 1;
}
