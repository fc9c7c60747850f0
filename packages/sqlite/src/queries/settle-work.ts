/**
 * settleWork: applies one attempt's resolved result, closes its journal row and, when the item
 * finished, applies the chain rule to its dependents, in one transaction. It must never apply a
 * result under a stale fencing token: if a reconcile or cancel bumped the token, or the item is no
 * longer running, nothing changes and it returns false.
 */
import type { Settlement } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';
import { applyChainRule, releaseDependents } from './apply-chain-rule.js';

/*
 * Purpose: apply an attempt's result to the item, only if it is still running under the token;
 * returns its seq and whether anything depends on it (one probe of work_deps_prerequisite_idx
 * inside this statement, so the chain rule's own statement runs only for chains).
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
where id = ? and state = 'running' and lease_token = ?
returning seq, exists (select 1 from work_deps as d where d.prerequisite_seq = work.seq) as has_dependents`;

/*
 * Purpose: close the attempt's journal row, if it is this item's and still open.
 * Parameters: ended_at, outcome, error, stop_reason, rule, id, work_id.
 */
const CLOSE_RUN = `
update runs set ended_at = ?, outcome = ?, error = ?, stop_reason = ?, rule = ?
where id = ? and work_id = ? and ended_at is null`;

/**
 * True when the result was applied; false (and nothing changed) when the token is stale.
 *
 * @example
 * settleWork(db, { id, leaseToken, runId, now, state: 'succeeded', attempt: 1, outputJson: '{}',
 *   outcome: 'succeeded', error: null, stopReason: null });
 */
export function settleWork(db: SqliteDriver, s: Settlement): boolean {
  return db.transaction(() => applySettlement(db, s));
}

/**
 * The body of {@link settleWork}, inside a transaction the caller opened (and commits or rolls
 * back): the store's group commit applies several settlements in one transaction this way.
 *
 * @example
 * db.transaction(() => settlements.map((s) => applySettlement(db, s)));
 */
export function applySettlement(db: SqliteDriver, s: Settlement): boolean {
  const runAt = s.state === 'enqueued' && s.runAt !== undefined ? s.runAt : null;
  const finished = s.state === 'succeeded' || s.state === 'failed' || s.state === 'cancelled';
  const finishedAt = finished ? s.now : null;
  const applied = db.get<{ seq: number; has_dependents: number }>(SETTLE_WORK, [
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
  if (applied === undefined) return false;
  // Matching work_id too: a wrong runId must not close another item's attempt.
  db.run(CLOSE_RUN, [s.now, s.outcome, s.error, s.stopReason, s.rule ?? null, s.runId, s.id]);
  if (applied.has_dependents === 0) return true;
  // The chain rule runs in this same transaction. As a second transaction it could be lost to a
  // crash between the two, leaving a dependent blocked forever behind prerequisites that all
  // succeeded (nothing would look at it again); and two processes settling a dependent's last two
  // prerequisites at once could each read the other's as still running, so neither releases it.
  // Under one `begin immediate` the second settle to commit sees the first's result.
  // A periodic success settles to `enqueued`: it finishes nothing, so its dependents keep waiting.
  if (s.state === 'succeeded') releaseDependents(db, applied.seq, s.now);
  else if (finished) applyChainRule(db, s.now, [applied.seq]);
  return true;
}
