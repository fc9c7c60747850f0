/**
 * updateWork: changes some fields of an unfinished item in place (a unique periodic `update`, an
 * operator's edit), keeping its id, state, lease and history, and wakes listeners when the item is
 * enqueued (its due time or priority may have moved). It must never touch a finished item, and
 * never write a column outside WorkUpdate's fields, whatever else the caller's object carries.
 */
import type { WorkUpdate } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';

/** Each WorkUpdate field as the columns it is stored in: (column, SQL type, value). */
const COLUMNS: { [K in keyof Required<WorkUpdate>]: (value: Required<WorkUpdate>[K]) => Array<[column: string, type: string, value: unknown]> } = {
  inputJson: (v) => [['input_json', 'text', v]],
  tags: (v) => [['tags', 'text[]', [...v]]],
  priority: (v) => [['priority', 'integer', v]],
  runAt: (v) => [['run_at', 'bigint', v]],
  maxAttempts: (v) => [['max_attempts', 'integer', v]],
  backoff: (v) => [
    ['backoff_policy', 'text', v?.policy ?? null],
    ['backoff_initial_ms', 'bigint', v?.initialDelayMs ?? null],
    ['backoff_max_ms', 'bigint', v?.maxDelayMs ?? null],
  ],
  timeoutMs: (v) => [['timeout_ms', 'bigint', v]],
  schedule: (v) => [['schedule', 'json', v === null ? null : JSON.stringify(v)]],
  constraints: (v) => [['constraints', 'json', v === null ? null : JSON.stringify(v)]],
  constraintMask: (v) => [['constraint_mask', 'integer', v]],
  minBattery: (v) => [['min_battery', 'double precision', v]],
  maxMemory: (v) => [['max_memory', 'double precision', v]],
};

const FIELDS = Object.keys(COLUMNS) as (keyof WorkUpdate)[];

/*
 * Purpose: drop an item's tag index rows before its new tags go in.
 * Parameters: work seq.
 */
const UNTAG = defineStatement('untag', (s) => `delete from ${s.quoted}.work_tags where work_seq = $1::bigint`);

/*
 * Purpose: index an item's tags (a tag listed twice is indexed once).
 * Parameters: work seq, tags (text[]).
 */
const TAG = defineStatement(
  'tag',
  (s) => `insert into ${s.quoted}.work_tags (work_seq, tag) select distinct $1::bigint, t from unnest($2::text[]) as t`,
);

/**
 * Applies `fields` (those not undefined) to item `id` and sets `updatedAt`; false when the item is
 * missing or finished.
 *
 * @example
 * await updateWork(db, 'sync', { inputJson: '{"full":true}', runAt: now }, now);
 */
export async function updateWork(db: Db, id: string, fields: WorkUpdate, now: number): Promise<boolean> {
  if (fields.tags === undefined) return updateWorkIn(db, id, fields, now);
  return db.transaction((tx) => updateWorkIn(tx, id, fields, now));
}

/**
 * {@link updateWork} inside the caller's transaction (a unique plan's updates). Changing tags takes
 * more than one statement, so the caller must hold a transaction for that.
 *
 * @example
 * await db.transaction(async (tx) => { for (const u of plan.update) await updateWorkIn(tx, u.id, u.fields, now); });
 */
export async function updateWorkIn(db: Db, id: string, fields: WorkUpdate, now: number): Promise<boolean> {
  const s = db.names.quoted;
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const field of FIELDS) {
    const value = fields[field];
    if (value === undefined) continue;
    for (const [column, type, stored] of (COLUMNS[field] as (v: typeof value) => Array<[string, string, unknown]>)(value)) {
      params.push(stored);
      sets.push(`${column} = $${params.length}::${type}`);
    }
  }
  params.push(now, id, db.names.channel);
  const n = params.length;
  // Purpose: write the given fields of one unfinished item, and notify its task when it is enqueued.
  // Parameters: each given column's value in FIELDS order, updated_at, id, the notification channel.
  // The state is checked in the same statement, so an item that finishes meanwhile (another
  // process settling it) is never edited after the fact: the update waits for the settle's row
  // lock, then re-reads the state.
  const text = `
with changed as (
  update ${s}.work set ${[...sets, `updated_at = $${n - 2}::bigint`].join(', ')}
  where id = $${n - 1}::text and state in ('enqueued', 'blocked', 'running')
  returning seq, state, task_name
),
woken as (select pg_notify($${n}::text, task_name) from changed where state = 'enqueued')
select seq, (select count(*) from woken) as woken from changed`;
  const [row] = await db.query<{ seq: string }>({ text }, params);
  if (row === undefined) return false;
  if (fields.tags !== undefined) {
    await db.query(UNTAG(db.names), [row.seq]);
    await db.query(TAG(db.names), [row.seq, [...fields.tags]]);
  }
  return true;
}
