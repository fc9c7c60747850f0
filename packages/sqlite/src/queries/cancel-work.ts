/**
 * cancelWork: cancels matching `enqueued`, `blocked` or `running` items and closes their open
 * journal rows, then applies the chain rule to their dependents, in one transaction. It must never
 * touch a finished item, and it bumps the fencing token so a worker still running a cancelled item
 * has its heartbeat and settle refused.
 */
import type { CancelOptions } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';
import { applyChainRule } from './apply-chain-rule.js';

const CANCEL_SET = `
update work
set state = 'cancelled', finished_at = ?, updated_at = ?,
    lease_token = lease_token + 1, lease_owner = null, lease_expires_at = null`;

const CANCELLABLE = `state in ('enqueued', 'blocked', 'running')`;

/*
 * Purpose: cancel items by id.
 * Parameters: finished_at, updated_at, JSON array of ids.
 */
const CANCEL_BY_IDS = `${CANCEL_SET}
where id in (select value from json_each(?)) and ${CANCELLABLE}
returning id, seq`;

/*
 * Purpose: cancel items carrying any of some tags, or having one of some ids.
 * Parameters: finished_at, updated_at, JSON array of ids, JSON array of tags.
 */
const CANCEL_BY_TAGS = `${CANCEL_SET}
where ${CANCELLABLE}
  and (id in (select value from json_each(?))
       or seq in (select work_seq from work_tags where tag in (select value from json_each(?))))
returning id, seq`;

/*
 * Purpose: cancel every unfinished item (a scan; this is an operator's command, not a hot path).
 * Parameters: finished_at, updated_at.
 */
const CANCEL_ALL = `${CANCEL_SET}
where ${CANCELLABLE}
returning id, seq`;

/*
 * Purpose: close the open journal rows of cancelled items.
 * Parameters: ended_at, JSON array of the items' seq.
 */
const CLOSE_RUNS = `
update runs set ended_at = ?, outcome = 'cancelled', stop_reason = 'cancelled'
where work_seq in (select value from json_each(?)) and ended_at is null`;

/**
 * Cancels by `ids`, `tags` (items carrying any of them, or listed in `ids`) or `all`; returns the
 * ids cancelled: in the order given when selecting by ids only, else in insertion order. Blocked
 * dependents the chain rule cancels (or fails) as a result are not listed: only what the selector
 * matched is, as MemoryStore does.
 *
 * @example
 * cancelWork(db, { tags: ['user:42'], now });
 */
export function cancelWork(db: SqliteDriver, options: CancelOptions): string[] {
  const { now } = options;
  const ids = [...new Set(options.ids ?? [])];
  const tags = [...new Set(options.tags ?? [])];
  const all = options.all === true;
  if (!all && ids.length === 0 && tags.length === 0) return [];
  return db.transaction(() => {
    if (!all && tags.length === 0) return cancelByIds(db, ids, now);
    const rows = all
      ? db.all<{ id: string; seq: number }>(CANCEL_ALL, [now, now])
      : db.all<{ id: string; seq: number }>(CANCEL_BY_TAGS, [now, now, JSON.stringify(ids), JSON.stringify(tags)]);
    rows.sort((a, b) => a.seq - b.seq);
    afterCancel(db, rows, now);
    return rows.map((r) => r.id);
  });
}

/**
 * Cancels the unfinished items among `ids` inside the caller's transaction, closes their journal
 * rows and applies the chain rule; returns the ids cancelled, in the order given (each once).
 *
 * @example
 * db.transaction(() => cancelByIds(db, plan.cancel, now));
 */
export function cancelByIds(db: SqliteDriver, ids: readonly string[], now: number): string[] {
  if (ids.length === 0) return [];
  const rows = db.all<{ id: string; seq: number }>(CANCEL_BY_IDS, [now, now, JSON.stringify(ids)]);
  afterCancel(db, rows, now);
  const hit = new Set(rows.map((r) => r.id));
  return [...new Set(ids)].filter((id) => hit.has(id));
}

/** Closes the cancelled items' open journal rows and applies the chain rule to their dependents. */
function afterCancel(db: SqliteDriver, rows: readonly { seq: number }[], now: number): void {
  if (rows.length === 0) return;
  const seqs = rows.map((r) => r.seq);
  db.run(CLOSE_RUNS, [now, JSON.stringify(seqs)]);
  applyChainRule(db, now, seqs);
}
