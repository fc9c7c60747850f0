/**
 * claimWork: takes up to `limit` due items for some task names, makes them `running` under a new
 * lease and fencing token, and opens a journal row for each. Without per-task limits that is one
 * statement: `for update skip locked` over work_claim_idx, so any number of workers claim at once
 * without waiting on each other and never take the same row. It must never scan: every read is a
 * bounded index range, however many items are due, waiting in the future, or running.
 */
import type { ClaimedWork, ClaimOptions, DeviceConditions } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';
import type { SchemaNames } from '../schema-name.js';
import { unpackWork, workJson } from './work-row.js';

/**
 * The distinct priorities of enqueued work, highest first, one index seek each (a loose index scan
 * of work_claim_idx); evaluated lazily, so a claim satisfied at the top priority reads one.
 */
const RANKS = (s: SchemaNames): string => `
ranks (p) as (
  (select priority from ${s.quoted}.work where state = 'enqueued' order by priority desc limit 1)
  union all
  select (select w.priority from ${s.quoted}.work as w where w.state = 'enqueued' and w.priority < r.p order by w.priority desc limit 1)
  from ranks as r
  where r.p is not null
)`;

/**
 * Due items of the given task names in claim order, locked as they are read, skipping rows other
 * transactions hold: per priority (from RANKS, best first) one range `priority = p and run_at <=
 * now` of work_claim_idx, already in (run_at, seq) order, so the nested loop yields claim order
 * without a sort and stops reading once the outer limit is met (only rows it returns are locked).
 * Parameters used: $1 now, $4 limit, $5 task names, $6 unmet constraint bits (null: no filter),
 * $7 battery, $8 memory in use.
 */
const PICK = (s: SchemaNames, columns: string): string => `
select ${columns}
from ranks as r
cross join lateral (
  select w.seq, w.priority, w.run_at
  from ${s.quoted}.work as w
  where w.state = 'enqueued' and w.priority = r.p and w.run_at <= $1::bigint and w.task_name = any($5::text[])
    and ($6::integer is null or ((w.constraint_mask & $6::integer) = 0
      and (w.min_battery is null or w.min_battery <= $7::double precision)
      and (w.max_memory is null or w.max_memory > $8::double precision)))
  order by w.run_at, w.seq
  limit $4::bigint
  for update skip locked
) as c
where r.p is not null
limit $4::bigint`;

/**
 * Makes the picked rows running and opens their journal rows; `picked` is a CTE of seq. The update
 * finds each row by seq (work_pkey) and checks no state: `picked` locked the rows `for update`,
 * which re-checks `state = 'enqueued'` on the row it locks, and this transaction holds them. A
 * state filter here would let the planner drive the join from a partial index over enqueued work
 * (work_wake_idx) instead, which the statistics of a table of mostly finished work (analyzed while
 * little was enqueued) price as empty: every claim would then read the whole backlog. Also looks
 * at the first entry of work_lease_idx: when a lease has run out (a worker died), it NOTIFYs with
 * an empty payload (no task name is empty), so listening workers reconcile now. A busy engine
 * claims after every settle but reconciles only when woken or when a timer fires, and a saturated
 * one arms no timer, so without this a dead worker's items would wait until the whole queue
 * drained instead of at most a lease time. Every claim repeats the nudge until someone reconciles
 * (or, if the row is locked, longer), so listeners take at most one per second of it. The notifying
 * row comes back with a null `j` and is dropped.
 * Parameters used: $1 now, $2 worker id, $3 lease expiry, and `channel` (the channel's parameter).
 */
const CLAIM_PICKED = (s: SchemaNames, channel: string): string => `
claimed as (
  update ${s.quoted}.work as w
  set state = 'running', attempt = w.attempt + 1, lease_token = w.lease_token + 1,
      lease_owner = $2::text, lease_expires_at = $3::bigint, updated_at = $1::bigint
  from picked
  where w.seq = picked.seq
  returning w.*
),
opened as (
  insert into ${s.quoted}.runs (work_seq, work_id, task_name, attempt, worker_id, started_at)
  select seq, id, task_name, attempt, $2::text, $1::bigint from claimed
  returning id, work_seq
),
lapsed as (
  select 1 from ${s.quoted}.work
  where state = 'running' and lease_expires_at <= $1::bigint
  order by lease_expires_at
  limit 1
),
woken as (select pg_notify(${channel}::text, '') from lapsed)
select ${workJson('c')}, o.id as run_id
from claimed as c join opened as o on o.work_seq = c.seq
union all
select null, null from woken`;

/**
 * Purpose: choose and claim the best `limit` due items of some task names, in one statement.
 * Parameters: now, worker id (lease owner), lease expiry, limit (null: no limit), task names,
 *   unmet constraint bits (null: no filter), battery, memory in use, the notification channel.
 *
 * @example
 * await db.query(CLAIM(db.names), [now, workerId, now + leaseMs, 8, ['email'], null, null, null, db.names.channel]);
 */
export const CLAIM = defineStatement(
  'claim',
  (s) => `
with recursive ${RANKS(s)},
picked as (${PICK(s, 'c.seq')}),
${CLAIM_PICKED(s, '$9')}`,
);

/*
 * Purpose: lock (without claiming) the best `limit` due items of some task names, for a claim
 * under per-task limits that merges several such groups.
 * Parameters: as CLAIM ($2 and $3 unused but typed, so both share one parameter list).
 */
const PICK_GROUP = defineStatement(
  'claim-pick-group',
  (s) => `
with recursive ${RANKS(s)}
${PICK(s, 'c.seq, c.priority, c.run_at, $2::text as worker, $3::bigint as lease')}`,
);

/*
 * Purpose: claim rows this transaction already locked (a claim under per-task limits).
 * Parameters: now, worker id, lease expiry, the chosen seq (bigint[]), the notification channel.
 */
const CLAIM_CHOSEN = defineStatement(
  'claim-chosen',
  (s) => `
with picked as (select unnest($4::bigint[]) as seq),
${CLAIM_PICKED(s, '$5')}`,
);

/*
 * Purpose: serialise the claims of per-task-limited tasks: each claimer takes a transaction-scoped
 * advisory lock per limited task, in name order (so two claimers never wait on each other in a
 * cycle), before it counts what runs.
 * Parameters: the schema's lock class name, the limited task names in order (text[]).
 */
const LOCK_LIMITED = defineStatement(
  'claim-lock-limited',
  () => `select count(pg_advisory_xact_lock(hashtext($1::text), hashtext(t))) from unnest($2::text[]) as t`,
);

/*
 * Purpose: how many items of each limited task are running now (work_running_task_idx).
 * Parameters: the limited task names (text[]).
 */
const COUNT_RUNNING = defineStatement(
  'claim-count-running',
  (s) => `select task_name, count(*) as n from ${s.quoted}.work where state = 'running' and task_name = any($1::text[]) group by task_name`,
);

interface ClaimRow {
  /** Null on the row that only carried a lapsed-lease notification. */
  j: string | null;
  run_id: string | null;
}

interface Candidate {
  seq: string;
  priority: number;
  run_at: string;
}

/**
 * Claims due work for `options.taskNames`, best first: priority high first, then `runAt`, then
 * insertion order. Returns the claimed items in that order.
 *
 * With `taskLimits`, the claim runs in a transaction that first takes an advisory lock per limited
 * task. The race this closes: two workers each count 1 running item of a task limited to 2, both
 * claim one more, and 3 run. Under the lock the second claimer counts only after the first has
 * committed its claim. Claimers that pass no limit for a task take no lock and are not counted
 * against; the limit binds the engines that declare it.
 *
 * @example
 * const claimed = await claimWork(db, { now, workerId: 'w1', leaseMs: 30_000, limit: 8, taskNames: ['email'] });
 */
export async function claimWork(db: Db, options: ClaimOptions): Promise<ClaimedWork[]> {
  const { now, workerId, leaseMs } = options;
  // A limit no store could count up to is no limit (and must not reach a bigint parameter).
  const limit = options.limit >= Number.MAX_SAFE_INTEGER ? null : Math.floor(options.limit);
  const taskNames = [...new Set(options.taskNames)];
  if (!(limit === null || limit > 0) || taskNames.length === 0) return [];
  const conditions = conditionParams(options.conditions);
  const leaseExpiresAt = now + leaseMs;
  const limits = options.taskLimits;
  const limited = limits === undefined ? [] : taskNames.filter((name) => Object.hasOwn(limits, name) && !(limits[name]! >= Number.MAX_SAFE_INTEGER)).sort();
  let rows: ClaimRow[];
  if (limited.length === 0) {
    rows = await db.query<ClaimRow>(CLAIM(db.names), [now, workerId, leaseExpiresAt, limit, taskNames, ...conditions, db.names.channel]);
  } else {
    rows = await db.transaction(async (tx) => {
      await tx.query(LOCK_LIMITED(tx.names), [`${tx.names.name}#limit`, limited]);
      const running = new Map((await tx.query<{ task_name: string; n: string }>(COUNT_RUNNING(tx.names), [limited])).map((r) => [r.task_name, Number(r.n)]));
      const free = taskNames.filter((name) => !limited.includes(name));
      const groups: Array<{ names: string[]; limit: number | null }> = free.length > 0 ? [{ names: free, limit }] : [];
      for (const name of limited) {
        const max = limits?.[name];
        // A limit that is not a number or is below 1 leaves no room.
        const room = typeof max === 'number' && Number.isFinite(max) ? Math.floor(max) - (running.get(name) ?? 0) : 0;
        if (room > 0) groups.push({ names: [name], limit: limit === null ? room : Math.min(room, limit) });
      }
      const candidates: Candidate[] = [];
      for (const group of groups) {
        candidates.push(...(await tx.query<Candidate>(PICK_GROUP(tx.names), [now, workerId, leaseExpiresAt, group.limit, group.names, ...conditions])));
      }
      // Rows locked here but not chosen stay enqueued; their locks go with the commit.
      candidates.sort((a, b) => b.priority - a.priority || Number(a.run_at) - Number(b.run_at) || Number(a.seq) - Number(b.seq));
      const chosen = candidates.slice(0, limit ?? undefined).map((c) => c.seq);
      if (chosen.length === 0) return [];
      return tx.query<ClaimRow>(CLAIM_CHOSEN(tx.names), [now, workerId, leaseExpiresAt, chosen, tx.names.channel]);
    });
  }
  const claimed = rows.flatMap((row) => (row.j === null ? [] : [{ ...unpackWork(row.j), runId: Number(row.run_id) }]));
  // `returning` promises no order; the contract hands claims out in claim order.
  claimed.sort((a, b) => b.spec.priority - a.spec.priority || a.spec.runAt - b.spec.runAt || a.seq - b.seq);
  return claimed.map(({ spec, runId }) => ({
    spec,
    run: { id: runId, workId: spec.id, taskName: spec.taskName, attempt: spec.attempt, workerId, startedAt: now, endedAt: null, outcome: null, error: null, stopReason: null, rule: null },
  }));
}

/**
 * The filter parameters for DeviceConditions: unmet bits, battery, memory; all null (no filter)
 * when no conditions are given, which claims everything.
 *
 * @example
 * conditionParams({ unmet: 8, battery: 0.4, memory: 0.5 }) // [8, 0.4, 0.5]
 */
export function conditionParams(conditions: DeviceConditions | undefined): [number | null, number | null, number | null] {
  if (conditions === undefined) return [null, null, null];
  return [conditions.unmet, conditions.battery, conditions.memory];
}
