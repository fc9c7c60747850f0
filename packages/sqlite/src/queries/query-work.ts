/**
 * queryWork: lists items matching a filter, newest first (createdAt, then insertion order), a page
 * at a time. Read only. Filters combine with AND; each list matches any of its values.
 */
import type { WorkQuery, WorkSpec } from '@offstage/core';
import type { SqliteDriver, SqliteValue } from '../driver/sqlite-driver.js';
import { pageBounds } from './page-bounds.js';
import { unpackWork, WORK_JSON, type PackedRow } from './work-row.js';

/**
 * Items matching `query`.
 *
 * @example
 * queryWork(db, { states: ['failed'], tags: ['user:42'], limit: 20 });
 */
export function queryWork(db: SqliteDriver, query: WorkQuery): WorkSpec[] {
  const where: string[] = [];
  const params: SqliteValue[] = [];
  if (query.ids !== undefined) {
    where.push('id in (select value from json_each(?))');
    params.push(JSON.stringify(query.ids));
  }
  if (query.states !== undefined) {
    where.push('state in (select value from json_each(?))');
    params.push(JSON.stringify(query.states));
  }
  if (query.taskNames !== undefined) {
    where.push('task_name in (select value from json_each(?))');
    params.push(JSON.stringify(query.taskNames));
  }
  if (query.tags !== undefined) {
    where.push('seq in (select work_seq from work_tags where tag in (select value from json_each(?)))');
    params.push(JSON.stringify(query.tags));
  }
  if (query.uniqueNames !== undefined) {
    where.push('unique_name in (select value from json_each(?))');
    params.push(JSON.stringify(query.uniqueNames));
  }
  if (query.dependentsOf !== undefined) {
    where.push('seq in (select d.work_seq from work_deps as d join work as p on p.seq = d.prerequisite_seq where p.id = ?)');
    params.push(query.dependentsOf);
  }
  const [limit, offset] = pageBounds(query.limit, query.offset);
  params.push(limit, offset);
  // Purpose: one page of matching items, newest first (the driver caches one statement per filter shape).
  // Parameters: per given filter, in the order ids, states, task names, tags, unique names (each a
  // JSON array), dependentsOf (an id); limit; offset.
  const sql = `select ${WORK_JSON} from work${where.length > 0 ? ` where ${where.join(' and ')}` : ''}
order by created_at desc, seq desc limit ? offset ?`;
  return db.all<PackedRow>(sql, params).map((row) => unpackWork(row.j).spec);
}
