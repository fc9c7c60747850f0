/**
 * getWork: reads one work item by id (the unique id index). Read only.
 */
import type { WorkSpec } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';
import { unpackWork, workJson, type PackedRow } from './work-row.js';

/*
 * Purpose: one item by id.
 * Parameters: id.
 */
const GET_WORK = defineStatement('get', (s) => `select ${workJson('w')} from ${s.quoted}.work as w where w.id = $1::text`);

/**
 * The item, or undefined.
 *
 * @example
 * const spec = await getWork(db, 'a');
 */
export async function getWork(db: Db, id: string): Promise<WorkSpec | undefined> {
  const [row] = await db.query<PackedRow>(GET_WORK(db.names), [id]);
  return row === undefined ? undefined : unpackWork(row.j).spec;
}
