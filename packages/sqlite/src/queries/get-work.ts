/**
 * getWork: reads one work item by id (a lookup on the unique id index). Read only.
 */
import type { WorkSpec } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';
import { unpackWork, WORK_JSON, type PackedRow } from './work-row.js';

/*
 * Purpose: one item by id.
 * Parameters: id.
 */
const GET_WORK = `select ${WORK_JSON} from work where id = ?`;

/**
 * The item, or undefined.
 *
 * @example
 * const spec = getWork(db, 'a');
 */
export function getWork(db: SqliteDriver, id: string): WorkSpec | undefined {
  const row = db.get<PackedRow>(GET_WORK, [id]);
  return row === undefined ? undefined : unpackWork(row.j).spec;
}
