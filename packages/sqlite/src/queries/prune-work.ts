/**
 * pruneWork: deletes finished work that finished before a cutoff, with its whole journal, and
 * journal rows of any work that ended before a second cutoff, in one transaction. It must never
 * delete unfinished work, a finished prerequisite of unfinished work (the chain rule and the input
 * merger still read it), or an open journal row (a live attempt), however old.
 */
import type { PruneOptions } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';

/**
 * Finished before the cutoff (a work_finished_idx range) and no unfinished item lists it as a
 * prerequisite (a seek of work_deps_prerequisite_idx per candidate, then each dependent by seq).
 */
const PRUNABLE = `finished_at < ? and state in ('succeeded', 'failed', 'cancelled')
  and not exists (
    select 1 from work_deps as d join work as w on w.seq = d.work_seq
    where d.prerequisite_seq = work.seq and w.state in ('enqueued', 'blocked', 'running'))`;

/*
 * Purpose: delete the whole journal of the finished work about to be pruned (counted, so not left
 * to the cascade). Parameters: finished before.
 */
const DELETE_RUNS_OF_PRUNED = `delete from runs where work_seq in (select seq from work where ${PRUNABLE})`;

/*
 * Purpose: delete journal rows that ended before the cutoff; started_at <= ended_at, so the
 * started_at range of runs_started_idx bounds the scan to old rows. Parameters: cutoff, cutoff.
 */
const DELETE_OLD_RUNS = 'delete from runs where started_at < ? and ended_at < ?';

/*
 * Purpose: delete finished work (work_finished_idx range; tags and chain edges go by cascade).
 * Parameters: finished before.
 */
const DELETE_FINISHED_WORK = `delete from work where ${PRUNABLE}`;

/**
 * How many items and journal rows were deleted.
 *
 * @example
 * pruneWork(db, { finishedBefore: now - 7 * 86_400_000 });
 */
export function pruneWork(db: SqliteDriver, options: PruneOptions): { work: number; runs: number } {
  const { finishedBefore } = options;
  const runsEndedBefore = options.runsEndedBefore ?? finishedBefore;
  return db.transaction(() => {
    const runsOfPruned = db.run(DELETE_RUNS_OF_PRUNED, [finishedBefore]).changes;
    const oldRuns = db.run(DELETE_OLD_RUNS, [runsEndedBefore, runsEndedBefore]).changes;
    const work = db.run(DELETE_FINISHED_WORK, [finishedBefore]).changes;
    return { work, runs: runsOfPruned + oldRuns };
  });
}
