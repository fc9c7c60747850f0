/**
 * lastRuns: the most recent journal row (highest id) of each given item, one index seek per item.
 * Read only.
 */
import type { RunRecord } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';
import { runJson, unpackRun, type PackedRow } from './work-row.js';

/*
 * Purpose: the newest journal row of each listed item (the id index, then runs_work_idx backwards).
 * Parameters: work ids (text[]).
 */
const LAST_RUNS = defineStatement(
  'last-runs',
  (s) => `
select ${runJson('r')}
from ${s.quoted}.work as w
cross join lateral (select * from ${s.quoted}.runs as x where x.work_seq = w.seq order by x.id desc limit 1) as r
where w.id = any($1::text[])`,
);

/**
 * Work id to its last journal row; items without one are absent.
 *
 * @example
 * const last = (await lastRuns(db, ['a', 'b'])).get('a');
 */
export async function lastRuns(db: Db, workIds: readonly string[]): Promise<Map<string, RunRecord>> {
  const result = new Map<string, RunRecord>();
  if (workIds.length === 0) return result;
  for (const row of await db.query<PackedRow>(LAST_RUNS(db.names), [[...new Set(workIds)]])) {
    const run = unpackRun(row.j);
    result.set(run.workId, run);
  }
  return result;
}
