/**
 * lastRuns: the most recent journal row (highest id) of each given item, one index seek per item.
 * Read only.
 */
import type { RunRecord } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';
import { RUN_JSON, unpackRun, type PackedRow } from './work-row.js';

/*
 * Purpose: the newest journal row of each listed item (id index, then runs_work_idx for max(id)).
 * Parameters: JSON array of work ids.
 */
const LAST_RUNS = `
select ${RUN_JSON}
from runs
where id in (
  select (select max(r.id) from runs as r where r.work_seq = w.seq)
  from json_each(?) as ids join work as w on w.id = ids.value)`;

/**
 * Work id to its last journal row; items without one are absent.
 *
 * @example
 * const last = lastRuns(db, ['a', 'b']).get('a');
 */
export function lastRuns(db: SqliteDriver, workIds: readonly string[]): Map<string, RunRecord> {
  const result = new Map<string, RunRecord>();
  if (workIds.length === 0) return result;
  for (const row of db.all<PackedRow>(LAST_RUNS, [JSON.stringify([...new Set(workIds)])])) {
    const run = unpackRun(row.j);
    result.set(run.workId, run);
  }
  return result;
}
