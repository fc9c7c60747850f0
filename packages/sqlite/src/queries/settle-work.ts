/**
 * settleWork: applies one attempt's resolved result and closes its journal row, in one transaction.
 * It must never apply a result under a stale fencing token: if a reconcile or cancel bumped the
 * token, or the item is no longer running, nothing changes and it returns false.
 */
import { FINISHED_STATES, type Settlement } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';

/*
 * Purpose: apply an attempt's result to the item, only if it is still running under the token.
 * Parameters: state, attempt, run_at (null keeps it), set output? (0/1), output_json,
 *   set last_error? (0/1), last_error, finished_at (null keeps it), updated_at, id, lease_token.
 */
const SETTLE_WORK = `
update work
set state = ?,
    attempt = ?,
    run_at = coalesce(?, run_at),
    output_json = case when ? then ? else output_json end,
    last_error = case when ? then ? else last_error end,
    finished_at = coalesce(?, finished_at),
    updated_at = ?,
    lease_owner = null,
    lease_expires_at = null
where id = ? and state = 'running' and lease_token = ?`;

/*
 * Purpose: close the attempt's journal row, if it is this item's and still open.
 * Parameters: ended_at, outcome, error, stop_reason, id, work_id.
 */
const CLOSE_RUN = `
update runs set ended_at = ?, outcome = ?, error = ?, stop_reason = ?
where id = ? and work_id = ? and ended_at is null`;

/**
 * True when the result was applied; false (and nothing changed) when the token is stale.
 *
 * @example
 * settleWork(db, { id, leaseToken, runId, now, state: 'succeeded', attempt: 1, outputJson: '{}',
 *   outcome: 'succeeded', error: null, stopReason: null });
 */
export function settleWork(db: SqliteDriver, s: Settlement): boolean {
  const runAt = s.state === 'enqueued' && s.runAt !== undefined ? s.runAt : null;
  const finishedAt = FINISHED_STATES.includes(s.state) ? s.now : null;
  return db.transaction(() => {
    const applied = db.run(SETTLE_WORK, [
      s.state,
      s.attempt,
      runAt,
      s.outputJson === undefined ? 0 : 1,
      s.outputJson ?? null,
      s.lastError === undefined ? 0 : 1,
      s.lastError ?? null,
      finishedAt,
      s.now,
      s.id,
      s.leaseToken,
    ]);
    if (applied.changes !== 1) return false;
    // Matching work_id too: a wrong runId must not close another item's attempt.
    db.run(CLOSE_RUN, [s.now, s.outcome, s.error, s.stopReason, s.runId, s.id]);
    return true;
  });
}
