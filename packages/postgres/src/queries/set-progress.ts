/**
 * setProgress: stores the progress a running handler reported. It must never write to an item the
 * caller no longer owns (state and token are checked in the same statement).
 */
import { defineStatement, type Db } from '../db.js';

/*
 * Purpose: store reported progress of a running item, only under its current token.
 * Parameters: progress_json, updated_at, id, lease_token.
 */
const SET_PROGRESS = defineStatement(
  'set-progress',
  (s) => `
update ${s.quoted}.work set progress_json = $1::text, updated_at = $2::bigint
where id = $3::text and state = 'running' and lease_token = $4::bigint
returning 1 as ok`,
);

/**
 * True when stored; false when the caller no longer owns the item.
 *
 * @example
 * await setProgress(db, 'a', claimed.spec.leaseToken, '{"done":3}', now);
 */
export async function setProgress(db: Db, id: string, leaseToken: number, progressJson: string, now: number): Promise<boolean> {
  const rows = await db.query(SET_PROGRESS(db.names), [progressJson, now, id, leaseToken]);
  return rows.length === 1;
}
