/**
 * enqueueUniqueWork: unique work in one transaction that holds an advisory lock on the unique
 * name: reads every item of the name, asks the caller's pure plan what to do, and applies it
 * (cancels, updates, inserts, chain rule), all or none. It must never let two enqueues of one name
 * both see "nothing there" and both insert, in this process or another.
 */
import type { UniquePlan, WorkSpec } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';
import { cancelByIds } from './cancel-work.js';
import { assertDistinctIds, insertWork } from './enqueue-work.js';
import { updateWorkIn } from './update-work.js';
import { unpackWork, workJson, type PackedRow } from './work-row.js';

/*
 * Purpose: serialise unique enqueues of one name across every connection and process, until this
 * transaction ends.
 * Parameters: '<schema>:<unique name>'.
 */
const LOCK_NAME = defineStatement('unique-lock', () => `select pg_advisory_xact_lock(hashtext($1::text))`);

/*
 * Purpose: every item of one unique name, in any state, oldest (first inserted) first
 * (work_unique_idx, in order).
 * Parameters: unique_name.
 */
const SELECT_BY_UNIQUE_NAME = defineStatement(
  'unique-select',
  (s) => `select ${workJson('w')} from ${s.quoted}.work as w where w.unique_name = $1::text order by w.seq`,
);

/**
 * Runs `plan` on the items under `uniqueName` and applies what it returns; returns the items it
 * read (as they were before any change) and the ids it cancelled. If `plan` throws, or an insert
 * is refused (duplicate id, unknown prerequisite), everything rolls back and the error propagates.
 *
 * The race this closes: two processes enqueue `nightly-sync` at once. Under READ COMMITTED, were
 * the read not behind a lock, both could read "no unfinished item", both plan an insert and both
 * commit, leaving two items under one name (no unique index can say "one unfinished item per
 * name"). The advisory lock on `schema:name`, taken before the read, makes the second transaction
 * wait until the first commits; its read, a new statement, then sees the first one's insert.
 *
 * @example
 * await db.transaction((tx) => enqueueUniqueWork(tx, 'nightly-sync', now, (existing) =>
 *   existing.some((s) => s.state === 'enqueued') ? { insert: [], cancel: [], update: [] } : { insert: [spec], cancel: [], update: [] }));
 */
export async function enqueueUniqueWork(
  tx: Db,
  uniqueName: string,
  now: number,
  plan: (existing: WorkSpec[]) => UniquePlan,
): Promise<{ existing: WorkSpec[]; cancelled: string[] }> {
  await tx.query(LOCK_NAME(tx.names), [`${tx.names.name}:${uniqueName}`]);
  const rows = await tx.query<PackedRow>(SELECT_BY_UNIQUE_NAME(tx.names), [uniqueName]);
  // The plan runs synchronously between two statements of this transaction, on its own copies:
  // whatever it does to them reaches neither the store nor the result.
  const decided: unknown = plan(rows.map((row) => unpackWork(row.j).spec));
  if (typeof (decided as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError(`The plan for unique work "${uniqueName}" returned a promise; it must decide synchronously, from the items it is given.`);
  }
  const { insert, cancel, update } = decided as UniquePlan;
  assertDistinctIds(insert);
  const cancelled = await cancelByIds(tx, cancel, now);
  for (const { id, fields } of update) await updateWorkIn(tx, id, fields, now);
  await insertWork(tx, insert, now);
  return { existing: rows.map((row) => unpackWork(row.j).spec), cancelled };
}
