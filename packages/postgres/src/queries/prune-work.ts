/**
 * pruneWork: deletes finished work that finished before a cutoff, with its whole journal, and
 * journal rows of any work that ended before a second cutoff, in one statement. It must never
 * delete unfinished work, a finished prerequisite of unfinished work (the chain rule and the input
 * merger still read it), or an open journal row (a live attempt), however old.
 */
import type { PruneOptions } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';

/*
 * Purpose: delete prunable work (a work_finished_idx range, minus prerequisites an unfinished item
 * still lists), its journal rows, and old ended journal rows of other work, counting each once
 * (tags and chain edges go by cascade).
 *
 * Rows are taken `for update skip locked`: an enqueue chaining onto an old finished item holds it
 * `for share` until it commits, so prune skips it this time instead of deleting a prerequisite the
 * new item is about to name (or the enqueue, locking second, finds it gone and refuses the chain).
 * Parameters: finished before, runs ended before.
 */
const PRUNE = defineStatement(
  'prune',
  (s) => `
with doomed as (
  select w.seq from ${s.quoted}.work as w
  where w.finished_at < $1::bigint and w.state in ('succeeded', 'failed', 'cancelled')
    and not exists (
      select 1 from ${s.quoted}.work_deps as d join ${s.quoted}.work as x on x.seq = d.work_seq
      where d.prerequisite_seq = w.seq and x.state in ('enqueued', 'blocked', 'running'))
  for update of w skip locked
),
runs_of_doomed as (
  delete from ${s.quoted}.runs as r using doomed where r.work_seq = doomed.seq returning 1
),
old_runs as (
  delete from ${s.quoted}.runs as r
  where r.started_at < $2::bigint and r.ended_at < $2::bigint and r.work_seq not in (select seq from doomed)
  returning 1
),
work_gone as (
  delete from ${s.quoted}.work as w using doomed where w.seq = doomed.seq returning 1
)
select (select count(*) from work_gone) as work, (select count(*) from runs_of_doomed) + (select count(*) from old_runs) as runs`,
);

/**
 * How many items and journal rows were deleted.
 *
 * @example
 * await pruneWork(db, { finishedBefore: now - 7 * 86_400_000 });
 */
export async function pruneWork(db: Db, options: PruneOptions): Promise<{ work: number; runs: number }> {
  const { finishedBefore } = options;
  const runsEndedBefore = options.runsEndedBefore ?? finishedBefore;
  const [row] = await db.query<{ work: string; runs: string }>(PRUNE(db.names), [clamp(finishedBefore), clamp(runsEndedBefore)]);
  return { work: Number(row?.work ?? 0), runs: Number(row?.runs ?? 0) };
}

/** Cutoffs beyond bigint (Infinity, a huge number) mean "everything": the largest bigint; NaN means nothing. */
function clamp(cutoff: number): string {
  if (Number.isNaN(cutoff) || cutoff <= -9.2e18) return '-9223372036854775808';
  if (cutoff >= 9.2e18) return '9223372036854775807';
  // finished_at < 10.5 holds for exactly the integers that finished_at < 11 holds for.
  return String(Math.ceil(cutoff));
}
