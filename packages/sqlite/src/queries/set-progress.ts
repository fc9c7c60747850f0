/**
 * setProgress: stores the progress a running handler reported. It must never write to an item the
 * caller no longer owns (state and token are checked in the same statement).
 */
import type { SqliteDriver } from '../driver/sqlite-driver.js';

/*
 * Purpose: store reported progress of a running item, only under its current token.
 * Parameters: progress_json, updated_at, id, lease_token.
 *
 * One statement: SQLite takes the write lock as it starts, as `begin immediate` would.
 */
const SET_PROGRESS = `
update work set progress_json = ?, updated_at = ?
where id = ? and state = 'running' and lease_token = ?`;

/**
 * True when stored; false when the caller no longer owns the item.
 *
 * @example
 * setProgress(db, 'a', claimed.spec.leaseToken, '{"done":3}', now);
 */
export function setProgress(db: SqliteDriver, id: string, leaseToken: number, progressJson: string, now: number): boolean {
  return db.run(SET_PROGRESS, [progressJson, now, id, leaseToken]).changes === 1;
}
