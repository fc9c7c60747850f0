/**
 * queryRuns: lists journal rows matching a filter, newest first (startedAt, then row id), a page at
 * a time. Read only. An open row has no outcome, so an outcome filter never matches it.
 */
import type { RunQuery, RunRecord } from '@offstage/core';
import type { SqliteDriver, SqliteValue } from '../driver/sqlite-driver.js';
import { pageBounds } from './page-bounds.js';
import { RUN_JSON, unpackRun, type PackedRow } from './work-row.js';

/**
 * Journal rows matching `query`.
 *
 * @example
 * queryRuns(db, { workId: 'a' });
 */
export function queryRuns(db: SqliteDriver, query: RunQuery): RunRecord[] {
  const where: string[] = [];
  const params: SqliteValue[] = [];
  if (query.workId !== undefined) {
    where.push('work_seq = (select seq from work where id = ?)');
    params.push(query.workId);
  }
  if (query.taskNames !== undefined) {
    where.push('task_name in (select value from json_each(?))');
    params.push(JSON.stringify(query.taskNames));
  }
  if (query.outcomes !== undefined) {
    where.push('outcome in (select value from json_each(?))');
    params.push(JSON.stringify(query.outcomes));
  }
  if (query.since !== undefined) {
    where.push('started_at >= ?');
    params.push(query.since);
  }
  const [limit, offset] = pageBounds(query.limit, query.offset);
  params.push(limit, offset);
  // Purpose: one page of matching journal rows, newest first (one cached statement per filter shape).
  // Parameters: work_id, JSON task names, JSON outcomes, since (each only when given); limit; offset.
  const sql = `select ${RUN_JSON} from runs${where.length > 0 ? ` where ${where.join(' and ')}` : ''}
order by started_at desc, id desc limit ? offset ?`;
  return db.all<PackedRow>(sql, params).map((row) => unpackRun(row.j));
}
