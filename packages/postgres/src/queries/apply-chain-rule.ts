/**
 * The WorkStore chain rule, in the two places it runs. New items are resolved here in JavaScript,
 * before they are inserted, against their prerequisites' states as locked by the same transaction
 * (`resolveBatch`). Items that finish by failing or being cancelled pass their fate down to their
 * blocked dependents through one recursive CTE (`cascadeFinished`). Releasing dependents when a
 * prerequisite succeeds is a counter decrement done by settle itself (see settle-work.ts). It must
 * never leave a blocked item with a failed or cancelled prerequisite behind a commit.
 *
 * Why the cascade runs until it changes nothing, rather than once: its recursive CTE computes the
 * whole set of doomed dependents from one snapshot. A concurrent enqueue of a new dependent onto a
 * blocked item D holds D `for share`; this cascade's update of D then waits for that enqueue to
 * commit, but the new dependent was not in the snapshot, so it would stay blocked on a cancelled D
 * forever. The next pass starts from a new snapshot (a new statement) seeded with what the last one
 * changed, so it sees the late dependent and finishes it. With no such race it finds nothing.
 */
import type { WorkSpec, WorkState } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';

/**
 * A stored prerequisite as the inserting transaction locked it.
 *
 * @example
 * const locked: LockedPrerequisite = { seq: 41, state: 'running' };
 */
export interface LockedPrerequisite {
  seq: number;
  state: WorkState;
}

/**
 * A new item after the chain rule, and how many of its prerequisites have not succeeded.
 *
 * @example
 * const [{ spec, waitingOn }] = resolveBatch([dependent], locked, null);
 */
export interface ResolvedSpec {
  spec: WorkSpec;
  waitingOn: number;
}

/**
 * Applies the chain rule to a batch of new items in batch order, at `now` (null: each item's own
 * `createdAt`): a blocked item with a failed prerequisite fails (naming the first failed one in its
 * list), else with a cancelled one is cancelled, else once every prerequisite succeeded is enqueued
 * at max(runAt, now); otherwise it stays blocked, waiting on its unfinished prerequisites. Earlier
 * items of the batch count with the state this rule gave them. A blocked item without
 * prerequisites waits on no chain and is left as it is. Returns copies; the input is untouched.
 *
 * @example
 * resolveBatch([makeSpec({ id: 'b', prerequisites: ['a'] })], new Map([['a', { seq: 1, state: 'succeeded' }]]), 10)
 * // [{ spec: { ...b, state: 'enqueued', runAt: 10, updatedAt: 10 }, waitingOn: 0 }]
 */
export function resolveBatch(specs: readonly WorkSpec[], stored: ReadonlyMap<string, LockedPrerequisite>, now: number | null): ResolvedSpec[] {
  const batchStates = new Map<string, WorkState>();
  return specs.map((given) => {
    const spec = { ...given };
    let waitingOn = 0;
    if (spec.state === 'blocked' && spec.prerequisites.length > 0) {
      const stateOf = (id: string): WorkState | undefined => batchStates.get(id) ?? stored.get(id)?.state;
      const at = now ?? spec.createdAt;
      const failed = spec.prerequisites.find((id) => stateOf(id) === 'failed');
      const unfinished = new Set(spec.prerequisites.filter((id) => stateOf(id) !== 'succeeded'));
      if (failed !== undefined) {
        Object.assign(spec, { state: 'failed', lastError: `Prerequisite ${failed} failed.`, finishedAt: at, updatedAt: at });
      } else if (spec.prerequisites.some((id) => stateOf(id) === 'cancelled')) {
        Object.assign(spec, { state: 'cancelled', finishedAt: at, updatedAt: at });
      } else if (unfinished.size === 0) {
        Object.assign(spec, { state: 'enqueued', runAt: Math.max(spec.runAt, at), updatedAt: at });
      } else {
        waitingOn = unfinished.size;
      }
    }
    batchStates.set(spec.id, spec.state);
    return { spec, waitingOn };
  });
}

/*
 * Purpose: fail or cancel, in one statement, every blocked item downstream of items that just
 * failed or were cancelled: a doomed item fails if any path to it starts at a failure (failure
 * wins), naming the first prerequisite in its own list that failed or fails now; else it is
 * cancelled. The walk only passes through blocked items (anything else has already left the chain).
 * Parameters: now (finished_at, updated_at), the seeds' seq (bigint[]).
 */
const CASCADE = defineStatement(
  'cascade-finished',
  (s) => `
with recursive doomed (seq, failed) as (
  select d.work_seq, p.state = 'failed'
  from ${s.quoted}.work_deps as d
  join ${s.quoted}.work as p on p.seq = d.prerequisite_seq
  join ${s.quoted}.work as w on w.seq = d.work_seq
  where d.prerequisite_seq = any($2::bigint[]) and p.state in ('failed', 'cancelled') and w.state = 'blocked'
  union
  select d.work_seq, doomed.failed
  from doomed
  join ${s.quoted}.work_deps as d on d.prerequisite_seq = doomed.seq
  join ${s.quoted}.work as w on w.seq = d.work_seq
  where w.state = 'blocked'
),
verdict as (
  select seq, bool_or(failed) as failed from doomed group by seq
)
update ${s.quoted}.work as w
set state = case when v.failed then 'failed' else 'cancelled' end,
    last_error = case when v.failed then 'Prerequisite ' || (
        select u.id
        from unnest(w.prerequisites) with ordinality as u (id, ord)
        join ${s.quoted}.work as p on p.id = u.id
        left join verdict as pv on pv.seq = p.seq
        where p.state = 'failed' or pv.failed
        order by u.ord
        limit 1) || ' failed.'
      else w.last_error end,
    finished_at = $1::bigint,
    updated_at = $1::bigint
from verdict as v
where w.seq = v.seq and w.state = 'blocked'
returning w.seq`,
);

/**
 * Fails or cancels the blocked dependents of `seqs` (items this transaction just failed or
 * cancelled), transitively, at `now`, repeating from a fresh snapshot until nothing changes (see
 * the race note above). Must run inside the caller's transaction. Returns how many items changed.
 *
 * @example
 * await db.transaction(async (tx) => cascadeFinished(tx, now, await cancelSomething(tx)));
 */
export async function cascadeFinished(tx: Db, now: number, seqs: readonly number[]): Promise<number> {
  let changed = 0;
  let seeds = seqs;
  while (seeds.length > 0) {
    const rows = await tx.query<{ seq: string }>(CASCADE(tx.names), [now, seeds]);
    changed += rows.length;
    seeds = rows.map((r) => Number(r.seq));
  }
  return changed;
}
