/**
 * enqueueUniqueWork: unique work in one `begin immediate` transaction: reads every item of a unique
 * name, asks the caller's pure plan what to do, and applies it (cancels, updates, inserts, chain
 * rule), all or none. It must never let two enqueues of one name both see "nothing there" and both
 * insert, in this process or another: see the race note on {@link enqueueUniqueWork}.
 */
import type { UniquePlan, WorkSpec } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';
import { applyChainRule } from './apply-chain-rule.js';
import { cancelByIds } from './cancel-work.js';
import { assertDistinctIds, insertWork } from './enqueue-work.js';
import { updateWorkIn } from './update-work.js';
import { unpackWork, WORK_JSON, type PackedRow } from './work-row.js';

/*
 * Purpose: every item of one unique name, in any state, oldest (first inserted) first: one range
 * of work_unique_idx, whose entries end with seq, so no sort.
 * Parameters: unique_name.
 */
const SELECT_BY_UNIQUE_NAME = `select ${WORK_JSON} from work where unique_name = ? order by seq`;

/**
 * Runs `plan` on the items under `uniqueName` and applies what it returns; returns the items it
 * read (as they were before any change) and the ids it cancelled. If `plan` throws, or an insert
 * is refused (duplicate id, unknown prerequisite), everything rolls back and the error propagates.
 *
 * The race this closes: two processes enqueue `nightly-sync` at once. Were the read a plain
 * `select` outside the write transaction (or inside a deferred one), both could read "no unfinished
 * item", both plan an insert and both commit, leaving two items under one name. The driver opens
 * the transaction with `begin immediate`, which takes SQLite's single write lock before the read,
 * so the second process waits (busy timeout) until the first commits and then reads its insert.
 *
 * @example
 * enqueueUniqueWork(db, 'nightly-sync', now, (existing) =>
 *   existing.some((s) => s.state === 'enqueued') ? { insert: [], cancel: [], update: [] } : { insert: [spec], cancel: [], update: [] });
 */
export function enqueueUniqueWork(
  db: SqliteDriver,
  uniqueName: string,
  now: number,
  plan: (existing: WorkSpec[]) => UniquePlan,
): { existing: WorkSpec[]; cancelled: string[] } {
  return db.transaction(() => {
    const rows = db.all<PackedRow>(SELECT_BY_UNIQUE_NAME, [uniqueName]);
    // The plan gets its own copies: whatever it does to them reaches neither the store nor the result.
    const decided: unknown = plan(rows.map((row) => unpackWork(row.j).spec));
    if (typeof (decided as { then?: unknown } | null)?.then === 'function') {
      throw new TypeError(`The plan for unique work "${uniqueName}" returned a promise; it must decide synchronously, from the items it is given.`);
    }
    const { insert, cancel, update } = decided as UniquePlan;
    assertDistinctIds(insert);
    const cancelled = cancelByIds(db, cancel, now);
    for (const { id, fields } of update) updateWorkIn(db, id, fields, now);
    const blocked = insertWork(db, insert);
    if (blocked.length > 0) applyChainRule(db, now, [], blocked);
    return { existing: rows.map((row) => unpackWork(row.j).spec), cancelled };
  });
}
