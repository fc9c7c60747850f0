/**
 * queryRuns: lists journal rows matching a filter, newest first (startedAt, then row id), a page at
 * a time. Read only. An open row has no outcome, so an outcome filter never matches it.
 */
import type { RunQuery, RunRecord } from '@offstage/core';
import type { Db } from '../db.js';
import { pageBounds } from './page-bounds.js';
import { runJson, unpackRun, type PackedRow } from './work-row.js';

/**
 * Journal rows matching `query`.
 *
 * @example
 * await queryRuns(db, { workId: 'a' });
 */
export async function queryRuns(db: Db, query: RunQuery): Promise<RunRecord[]> {
  const s = db.names.quoted;
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown, type: string): string => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  if (query.workId !== undefined) where.push(`r.work_seq = (select seq from ${s}.work where id = ${param(query.workId, 'text')})`);
  if (query.taskNames !== undefined) where.push(`r.task_name = any(${param(query.taskNames, 'text[]')})`);
  if (query.outcomes !== undefined) where.push(`r.outcome = any(${param(query.outcomes, 'text[]')})`);
  if (query.since !== undefined) where.push(`r.started_at >= ${param(query.since, 'bigint')}`);
  const [limit, offset] = pageBounds(query.limit, query.offset);
  // Purpose: one page of matching journal rows, newest first (runs_started_idx read backwards).
  // Parameters: work id (text), task names (text[]), outcomes (text[]), since (bigint), each only
  // when given; then limit (null: all) and offset.
  const text = `select ${runJson('r')} from ${s}.runs as r${where.length > 0 ? ` where ${where.join(' and ')}` : ''}
order by r.started_at desc, r.id desc limit ${param(limit, 'bigint')} offset ${param(offset, 'bigint')}`;
  const rows = await db.query<PackedRow>({ text }, params);
  return rows.map((row) => unpackRun(row.j));
}
