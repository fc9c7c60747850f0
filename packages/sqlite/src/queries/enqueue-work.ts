/**
 * enqueueWork: inserts a batch of new work items and their tags in one transaction, all or none.
 * It must never store part of a batch: a duplicate id anywhere rolls the whole batch back and the
 * error names that id.
 */
import type { WorkSpec } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';
import { sqliteCode } from '../to-store-error.js';

/*
 * Purpose: insert one new work item.
 * Parameters: every work column but seq, in table order.
 */
const INSERT_WORK = `
insert into work (
  id, task_name, state, input_json, output_json, progress_json, tags_json, priority, run_at, attempt,
  max_attempts, backoff_policy, backoff_initial_ms, backoff_max_ms, timeout_ms, last_error, created_at,
  updated_at, finished_at, lease_owner, lease_expires_at, lease_token
) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/*
 * Purpose: index one tag of an item (a tag listed twice is indexed once).
 * Parameters: work_seq, tag.
 */
const INSERT_TAG = 'insert or ignore into work_tags (work_seq, tag) values (?, ?)';

/**
 * Inserts `specs` exactly as given. Throws (and inserts nothing) when an id repeats within the
 * batch or already exists.
 *
 * @example
 * enqueueWork(db, [spec]);
 */
export function enqueueWork(db: SqliteDriver, specs: readonly WorkSpec[]): void {
  if (specs.length === 0) return;
  // A repeat inside the batch is caught here, so the message can say which kind of duplicate it is.
  const seen = new Set<string>();
  for (const { id } of specs) {
    if (seen.has(id)) throw duplicateError(id, 'the batch contains it twice');
    seen.add(id);
  }
  db.transaction(() => {
    for (const spec of specs) {
      let seq: number | bigint;
      try {
        seq = db.run(INSERT_WORK, [
          spec.id,
          spec.taskName,
          spec.state,
          spec.inputJson,
          spec.outputJson,
          spec.progressJson,
          JSON.stringify(spec.tags),
          spec.priority,
          spec.runAt,
          spec.attempt,
          spec.maxAttempts,
          spec.backoff.policy,
          spec.backoff.initialDelayMs,
          spec.backoff.maxDelayMs,
          spec.timeoutMs,
          spec.lastError,
          spec.createdAt,
          spec.updatedAt,
          spec.finishedAt,
          spec.leaseOwner,
          spec.leaseExpiresAt,
          spec.leaseToken,
        ]).lastInsertRowid;
      } catch (error) {
        // Throwing rolls back the rows already inserted for this batch.
        if (sqliteCode(error)?.startsWith('SQLITE_CONSTRAINT_UNIQUE')) {
          throw duplicateError(spec.id, 'an item with that id already exists', error);
        }
        throw error;
      }
      for (const tag of spec.tags) db.run(INSERT_TAG, [seq, tag]);
    }
  });
}

function duplicateError(id: string, where: string, cause?: unknown): Error {
  return new Error(`Cannot enqueue work "${id}": ${where}; nothing in the batch was enqueued. Use a unique id per item.`, { cause });
}
