/**
 * enqueueWork: inserts a batch of new work items, their tags and their chain edges in one
 * transaction, all or none, then applies the chain rule to the blocked ones. It must never store
 * part of a batch: a duplicate id or an unknown prerequisite anywhere rolls the whole batch back,
 * and the error names the id.
 */
import { DuplicateWorkError, InvalidChainError, type WorkSpec } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';
import { sqliteCode } from '../to-store-error.js';
import { applyChainRule } from './apply-chain-rule.js';

/*
 * Purpose: insert one new work item.
 * Parameters: every work column but seq, in table order.
 */
const INSERT_WORK = `
insert into work (
  id, task_name, state, input_json, output_json, progress_json, tags_json, priority, run_at, attempt,
  max_attempts, backoff_policy, backoff_initial_ms, backoff_max_ms, timeout_ms, unique_name, schedule_json,
  prerequisites_json, input_merger, constraints_json, constraint_mask, min_battery, max_memory, last_error,
  created_at, updated_at, finished_at, lease_owner, lease_expires_at, lease_token
) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/*
 * Purpose: index one tag of an item (a tag listed twice is indexed once).
 * Parameters: work_seq, tag.
 */
const INSERT_TAG = 'insert or ignore into work_tags (work_seq, tag) values (?, ?)';

/*
 * Purpose: find a prerequisite by id (the unique id index); earlier items of the batch are
 * already inserted, so this finds them too.
 * Parameters: id.
 */
const FIND_SEQ = 'select seq from work where id = ?';

/*
 * Purpose: store one chain edge (a prerequisite listed twice is stored once).
 * Parameters: work_seq, prerequisite_seq.
 */
const INSERT_DEP = 'insert or ignore into work_deps (work_seq, prerequisite_seq) values (?, ?)';

/**
 * Inserts `specs` exactly as given, and applies the chain rule to those stored `blocked` (each at
 * its own `createdAt`). Throws (and inserts nothing) when an id repeats within the batch or
 * already exists, or when a prerequisite is neither stored nor earlier in the batch.
 *
 * @example
 * enqueueWork(db, [first, { ...second, state: 'blocked', prerequisites: [first.id] }]);
 */
export function enqueueWork(db: SqliteDriver, specs: readonly WorkSpec[]): void {
  if (specs.length === 0) return;
  assertDistinctIds(specs);
  db.transaction(() => insertBatch(db, specs));
}

/**
 * The body of {@link enqueueWork}, inside a transaction the caller opened (and rolls back if this
 * throws), after {@link assertDistinctIds}: the store's group commit stores several batches in one
 * transaction this way.
 *
 * @example
 * db.transaction(() => insertBatch(db, specs));
 */
export function insertBatch(db: SqliteDriver, specs: readonly WorkSpec[]): void {
  const blocked = insertWork(db, specs);
  if (blocked.length > 0) applyChainRule(db, null, [], blocked);
}

/**
 * Throws when an id repeats within `specs`. Checked before any insert so the message can say which
 * kind of duplicate it is.
 *
 * @example
 * assertDistinctIds(plan.insert);
 */
export function assertDistinctIds(specs: readonly WorkSpec[]): void {
  const seen = new Set<string>();
  for (const { id } of specs) {
    if (seen.has(id)) throw new DuplicateWorkError(id, 'batch');
    seen.add(id);
  }
}

/**
 * Inserts `specs` in order with their tags and chain edges, inside the caller's transaction, and
 * returns the seq of those stored `blocked` (for the chain rule, which the caller applies).
 * Throwing leaves the caller to roll back.
 *
 * @example
 * db.transaction(() => applyChainRule(db, now, [], insertWork(db, specs)));
 */
export function insertWork(db: SqliteDriver, specs: readonly WorkSpec[]): number[] {
  const blocked: number[] = [];
  for (const spec of specs) {
    let seq: number;
    try {
      seq = Number(
        db.run(INSERT_WORK, [
          spec.id,
          spec.taskName,
          spec.state,
          spec.inputJson,
          spec.outputJson,
          spec.progressJson,
          spec.tags.length === 0 ? '[]' : JSON.stringify(spec.tags),
          spec.priority,
          spec.runAt,
          spec.attempt,
          spec.maxAttempts,
          spec.backoff?.policy ?? null,
          spec.backoff?.initialDelayMs ?? null,
          spec.backoff?.maxDelayMs ?? null,
          spec.timeoutMs,
          spec.uniqueName,
          spec.schedule === null ? null : JSON.stringify(spec.schedule),
          spec.prerequisites.length === 0 ? '[]' : JSON.stringify(spec.prerequisites),
          spec.inputMerger,
          spec.constraints === null ? null : JSON.stringify(spec.constraints),
          spec.constraintMask,
          spec.minBattery,
          spec.maxMemory,
          spec.lastError,
          spec.createdAt,
          spec.updatedAt,
          spec.finishedAt,
          spec.leaseOwner,
          spec.leaseExpiresAt,
          spec.leaseToken,
        ]).lastInsertRowid,
      );
    } catch (error) {
      if (sqliteCode(error)?.startsWith('SQLITE_CONSTRAINT_UNIQUE')) {
        throw new DuplicateWorkError(spec.id, 'stored', { cause: error });
      }
      throw error;
    }
    for (const tag of spec.tags) db.run(INSERT_TAG, [seq, tag]);
    for (const prerequisite of spec.prerequisites) {
      // The item itself is inserted by now, so without this check it would find itself.
      const found = prerequisite === spec.id ? undefined : db.get<{ seq: number }>(FIND_SEQ, [prerequisite]);
      if (found === undefined) throw unknownPrerequisiteError(spec.id, prerequisite);
      db.run(INSERT_DEP, [seq, found.seq]);
    }
    if (spec.state === 'blocked') blocked.push(seq);
  }
  return blocked;
}


function unknownPrerequisiteError(id: string, prerequisite: string): InvalidChainError {
  const what = prerequisite === id ? 'itself' : `"${prerequisite}", which is neither stored nor earlier in the batch`;
  return new InvalidChainError(
    `Cannot enqueue work "${id}": it lists as a prerequisite ${what}; nothing in the batch was enqueued. List only stored work or work earlier in the same batch.`,
  );
}
