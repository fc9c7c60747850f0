/**
 * queryWork: lists items matching a filter, newest first (createdAt, then insertion order), a page
 * at a time. Read only. Filters combine with AND; each list matches any of its values, and an
 * empty list matches nothing.
 */
import type { WorkQuery, WorkSpec } from '@offstage/core';
import type { Db } from '../db.js';
import { pageBounds } from './page-bounds.js';
import { unpackWork, workJson, type PackedRow } from './work-row.js';

/**
 * Items matching `query`.
 *
 * @example
 * await queryWork(db, { states: ['failed'], tags: ['user:42'], limit: 20 });
 */
export async function queryWork(db: Db, query: WorkQuery): Promise<WorkSpec[]> {
  const s = db.names.quoted;
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown, type: string): string => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  if (query.ids !== undefined) where.push(`w.id = any(${param(query.ids, 'text[]')})`);
  if (query.states !== undefined) where.push(`w.state = any(${param(query.states, 'text[]')})`);
  if (query.taskNames !== undefined) where.push(`w.task_name = any(${param(query.taskNames, 'text[]')})`);
  if (query.tags !== undefined) where.push(`w.seq in (select work_seq from ${s}.work_tags where tag = any(${param(query.tags, 'text[]')}))`);
  if (query.uniqueNames !== undefined) where.push(`w.unique_name = any(${param(query.uniqueNames, 'text[]')})`);
  if (query.dependentsOf !== undefined) {
    where.push(
      `w.seq in (select d.work_seq from ${s}.work_deps as d join ${s}.work as p on p.seq = d.prerequisite_seq where p.id = ${param(query.dependentsOf, 'text')})`,
    );
  }
  const [limit, offset] = pageBounds(query.limit, query.offset);
  // Purpose: one page of matching items, newest first (work_created_idx read backwards).
  // Parameters: per given filter, in the order ids, states, task names, tags, unique names (each
  // text[]), dependentsOf (text); then limit (null: all) and offset.
  const text = `select ${workJson('w')} from ${s}.work as w${where.length > 0 ? ` where ${where.join(' and ')}` : ''}
order by w.created_at desc, w.seq desc limit ${param(limit, 'bigint')} offset ${param(offset, 'bigint')}`;
  const rows = await db.query<PackedRow>({ text }, params);
  return rows.map((row) => unpackWork(row.j).spec);
}
