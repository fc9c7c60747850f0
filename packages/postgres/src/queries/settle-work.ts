/**
 * settleWork: applies one attempt's resolved result, closes its journal row, releases dependents
 * whose last prerequisite just succeeded, and wakes listeners for work it made enqueued. The common
 * case is one statement; a failure or cancel that must cascade down a chain runs in a transaction.
 * It must never apply a result under a stale fencing token: if a reconcile or cancel bumped the
 * token, or the item is no longer running, nothing changes and it returns false.
 */
import type { Settlement } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';
import { storableText } from '../nul-text.js';
import { cascadeFinished } from './apply-chain-rule.js';

/**
 * Purpose: settle running items under their tokens, in one statement (one round trip, one commit):
 * one attempt, or the attempts that finished in the same tick. For each item: the item (locked with
 * skip locked), its journal row, its blocked dependents (waiting_on decremented by however many of
 * the batch's items they wait on, grouped first, since an UPDATE … FROM applies one joined row per
 * target; at zero, enqueued at max(run_at, now)), and one NOTIFY per task name made enqueued.
 *
 * Why skip locked, and the `visible` column: a row someone else holds is either being taken away
 * (cancel, reconcile: the token will not match) or held `for share` by an enqueue chaining a new
 * dependent onto it. Waiting inside this statement would be wrong for the second: the dependents
 * update runs on this statement's snapshot, taken before that enqueue committed, so the new
 * dependent would never be released. Instead the statement changes nothing and reports the row as
 * visible-but-locked, and the caller settles again in a transaction that waits for the lock first.
 *
 * A final failure or cancel of an item with dependents is also left to that transaction (the
 * cascade needs statements of its own): an item whose `cascade` is false is refused and reported
 * locked, not applied.
 *
 * Each item's row is found by id through a lateral lookup, so the plan is an index probe of
 * work_id_key per item whatever the statistics say about running work.
 *
 * Parameters: the settlements as a JSON array of objects (see settleRecord), the channel. Returns
 * one row per settlement: applied, locked by this statement, visible as running under its token,
 * and the item's seq when applied.
 *
 * @example
 * await db.query(SETTLE(db.names), [JSON.stringify([settleRecord(s, false)]), db.names.channel]);
 */
export const SETTLE = defineStatement(
  'settle',
  (s) => `
with input as (
  select * from json_to_recordset($1::json) as x(
    id text, token bigint, state text, attempt integer, run_at bigint, set_output boolean, output_json text,
    set_error boolean, last_error text, now bigint, run_id bigint, outcome text, error text, stop_reason text, rule text,
    cascade boolean)
),
target as (
  select w.seq, i.id
  from input as i
  cross join lateral (
    select w.seq from ${s.quoted}.work as w
    where w.id = i.id and w.state = 'running' and w.lease_token = i.token
    for no key update skip locked
  ) as w
),
settled as (
  update ${s.quoted}.work as w
  set state = i.state,
      attempt = i.attempt,
      run_at = coalesce(i.run_at, w.run_at),
      output_json = case when i.set_output then i.output_json else w.output_json end,
      last_error = case when i.set_error then i.last_error else w.last_error end,
      finished_at = case when i.state in ('succeeded', 'failed', 'cancelled') then i.now else w.finished_at end,
      updated_at = i.now,
      lease_owner = null,
      lease_expires_at = null
  from target as t join input as i on i.id = t.id
  where w.seq = t.seq
    and (i.cascade or i.state not in ('failed', 'cancelled')
      or not exists (select 1 from ${s.quoted}.work_deps as d where d.prerequisite_seq = t.seq))
  returning w.seq, w.id, w.task_name, w.state, i.now
),
closed as (
  update ${s.quoted}.runs as r
  set ended_at = i.now, outcome = i.outcome, error = i.error, stop_reason = i.stop_reason, rule = i.rule
  from settled join input as i on i.id = settled.id
  where r.id = i.run_id and r.work_seq = settled.seq and r.ended_at is null
),
released as (
  update ${s.quoted}.work as d
  set waiting_on = d.waiting_on - c.n,
      state = case when d.waiting_on <= c.n then 'enqueued' else d.state end,
      run_at = case when d.waiting_on <= c.n then greatest(d.run_at, c.now) else d.run_at end,
      updated_at = case when d.waiting_on <= c.n then c.now else d.updated_at end
  from (
    select e.work_seq, count(*)::integer as n, max(settled.now) as now
    from settled join ${s.quoted}.work_deps as e on e.prerequisite_seq = settled.seq
    where settled.state = 'succeeded'
    group by e.work_seq
  ) as c
  where d.seq = c.work_seq and d.state = 'blocked'
  returning d.task_name, d.state
),
woken as (
  select pg_notify($2::text, t.task_name)
  from (select task_name from settled where state = 'enqueued' union select task_name from released where state = 'enqueued') as t
)
select i.id,
       (select seq from settled where settled.id = i.id) as seq,
       exists (select 1 from target where target.id = i.id) as locked,
       exists (select 1 from ${s.quoted}.work as w where w.id = i.id and w.state = 'running' and w.lease_token = i.token) as visible,
       (select count(*) from woken) as woken
from input as i`,
);

interface SettleRow {
  id: string;
  seq: string | null;
  locked: boolean;
  visible: boolean;
}

/** Runs {@link SETTLE}; one row per settlement, in input order. */
async function settleRows(db: Db, settlements: readonly Settlement[], cascade: boolean): Promise<Array<SettleRow | undefined>> {
  const rows = await db.query<SettleRow>(SETTLE(db.names), [JSON.stringify(settlements.map((s) => settleRecord(s, cascade))), db.names.channel]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return settlements.map((s) => byId.get(s.id));
}

/**
 * What one statement made of each settlement, in input order: `applied`; `stale` (the token no
 * longer matches: nothing to do, as settleWork's false); or `alone` when the item may still be
 * this attempt's but the statement could not settle it (another transaction held its row for a
 * moment, or a failure must cascade down a chain): the caller settles those with settleWork.
 *
 * @example
 * const outcomes = await settleMany(db, settlements); // ['applied', 'alone', 'stale']
 */
export async function settleMany(db: Db, settlements: readonly Settlement[]): Promise<Array<'applied' | 'stale' | 'alone'>> {
  return (await settleRows(db, settlements, false)).map((row) => {
    if (row?.seq != null) return 'applied';
    return row !== undefined && (row.locked || row.visible) ? 'alone' : 'stale';
  });
}

/** One settlement as the JSON object SETTLE's recordset reads; `cascade` allows a failure or cancel with dependents. */
function settleRecord(s: Settlement, cascade: boolean): Record<string, unknown> {
  return {
    id: s.id,
    token: s.leaseToken,
    state: s.state,
    attempt: s.attempt,
    run_at: s.state === 'enqueued' && s.runAt !== undefined ? s.runAt : null,
    set_output: s.outputJson !== undefined,
    output_json: s.outputJson ?? null,
    set_error: s.lastError !== undefined,
    last_error: storableText(s.lastError ?? null),
    now: s.now,
    run_id: s.runId,
    outcome: s.outcome,
    error: storableText(s.error),
    stop_reason: s.stopReason,
    rule: s.rule ?? null,
    cascade,
  };
}

/*
 * Purpose: wait for the row lock on a running item under its token (the transactional path).
 * Parameters: id, lease_token.
 */
const LOCK_OWNED = defineStatement(
  'settle-lock',
  (s) => `select seq from ${s.quoted}.work where id = $1::text and state = 'running' and lease_token = $2::bigint for no key update`,
);

/**
 * True when the result was applied; false (and nothing changed) when the token is stale.
 *
 * @example
 * await settleWork(db, { id, leaseToken, runId, now, state: 'succeeded', attempt: 1, outputJson: '{}',
 *   outcome: 'succeeded', error: null, stopReason: null });
 */
export async function settleWork(db: Db, s: Settlement): Promise<boolean> {
  const [outcome] = await settleMany(db, [s]);
  if (outcome !== 'alone') return outcome === 'applied';
  // A row to wait for, or a failure to cascade from: a transaction that waits for the row lock first.
  return db.transaction(async (tx) => {
    const owned = await tx.query(LOCK_OWNED(tx.names), [s.id, s.leaseToken]);
    if (owned.length === 0) return false;
    const [applied] = await settleRows(tx, [s], true);
    if (applied?.seq == null) return false;
    if (s.state === 'failed' || s.state === 'cancelled') await cascadeFinished(tx, s.now, [Number(applied.seq)]);
    return true;
  });
}
