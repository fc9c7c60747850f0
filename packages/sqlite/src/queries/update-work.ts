/**
 * updateWork: changes some fields of an unfinished item in place (a unique periodic `update`, an
 * operator's edit), keeping its id, state, lease and history. It must never touch a finished item,
 * and never write a column outside WorkUpdate's fields, whatever else the caller's object carries.
 */
import type { WorkUpdate } from '@offstage/core';
import type { SqliteDriver, SqliteValue } from '../driver/sqlite-driver.js';

/** Each WorkUpdate field as the columns it is stored in and their values. */
const COLUMNS: { [K in keyof Required<WorkUpdate>]: (value: Required<WorkUpdate>[K]) => [column: string, value: SqliteValue][] } = {
  inputJson: (v) => [['input_json', v]],
  tags: (v) => [['tags_json', JSON.stringify(v)]],
  priority: (v) => [['priority', v]],
  runAt: (v) => [['run_at', v]],
  maxAttempts: (v) => [['max_attempts', v]],
  backoff: (v) => [
    ['backoff_policy', v?.policy ?? null],
    ['backoff_initial_ms', v?.initialDelayMs ?? null],
    ['backoff_max_ms', v?.maxDelayMs ?? null],
  ],
  timeoutMs: (v) => [['timeout_ms', v]],
  schedule: (v) => [['schedule_json', v === null ? null : JSON.stringify(v)]],
  constraints: (v) => [['constraints_json', v === null ? null : JSON.stringify(v)]],
  constraintMask: (v) => [['constraint_mask', v]],
  minBattery: (v) => [['min_battery', v]],
  maxMemory: (v) => [['max_memory', v]],
};

const FIELDS = Object.keys(COLUMNS) as (keyof WorkUpdate)[];

/*
 * Purpose: drop an item's tag index rows before its new tags go in.
 * Parameters: work_seq.
 */
const DELETE_TAGS = 'delete from work_tags where work_seq = ?';

/*
 * Purpose: index one tag of an item (a tag listed twice is indexed once).
 * Parameters: work_seq, tag.
 */
const INSERT_TAG = 'insert or ignore into work_tags (work_seq, tag) values (?, ?)';

/**
 * Applies `fields` (those not undefined) to item `id` and sets `updatedAt`; false when the item is
 * missing or finished. Runs in its own transaction.
 *
 * @example
 * updateWork(db, 'sync', { inputJson: '{"full":true}', runAt: now }, now);
 */
export function updateWork(db: SqliteDriver, id: string, fields: WorkUpdate, now: number): boolean {
  return db.transaction(() => updateWorkIn(db, id, fields, now));
}

/**
 * {@link updateWork} inside the caller's transaction (a unique plan's updates).
 *
 * @example
 * db.transaction(() => plan.update.forEach(({ id, fields }) => updateWorkIn(db, id, fields, now)));
 */
export function updateWorkIn(db: SqliteDriver, id: string, fields: WorkUpdate, now: number): boolean {
  const sets: string[] = [];
  const params: SqliteValue[] = [];
  for (const field of FIELDS) {
    const value = fields[field];
    if (value === undefined) continue;
    for (const [column, stored] of (COLUMNS[field] as (v: typeof value) => [string, SqliteValue][])(value)) {
      sets.push(`${column} = ?`);
      params.push(stored);
    }
  }
  // Purpose: write the given fields of one unfinished item (one cached statement per set of fields).
  // Parameters: each given column's value in FIELDS order, updated_at, id.
  // State is checked in the same statement, so an item that finishes meanwhile (another process
  // settling it) is never edited after the fact.
  const sql = `update work set ${[...sets, 'updated_at = ?'].join(', ')}
where id = ? and state in ('enqueued', 'blocked', 'running')
returning seq`;
  const row = db.get<{ seq: number }>(sql, [...params, now, id]);
  if (row === undefined) return false;
  if (fields.tags !== undefined) {
    db.run(DELETE_TAGS, [row.seq]);
    for (const tag of fields.tags) db.run(INSERT_TAG, [row.seq, tag]);
  }
  return true;
}
