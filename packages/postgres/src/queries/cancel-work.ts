/**
 * cancelWork: cancels matching `enqueued`, `blocked` or `running` items and closes their open
 * journal rows, then applies the chain rule to their dependents, in one transaction. It must never
 * touch a finished item, and it bumps the fencing token so a worker still running a cancelled item
 * has its heartbeat and settle refused. A cancel racing a settle of the same item waits for the
 * settle's row lock and then re-checks the state, so a just-succeeded item is never cancelled.
 */
import type { CancelOptions } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';
import type { SchemaNames } from '../schema-name.js';
import { cascadeFinished } from './apply-chain-rule.js';

/** Cancels the rows of `work` matching `where`, closes their open journal rows, returns them. */
const CANCEL = (s: SchemaNames, where: string): string => `
with cancelled as (
  update ${s.quoted}.work
  set state = 'cancelled', finished_at = $1::bigint, updated_at = $1::bigint,
      lease_token = lease_token + 1, lease_owner = null, lease_expires_at = null
  where state in ('enqueued', 'blocked', 'running') and (${where})
  returning seq, id
),
closed as (
  update ${s.quoted}.runs as r
  set ended_at = $1::bigint, outcome = 'cancelled', stop_reason = 'cancelled'
  from cancelled as c
  where r.work_seq = c.seq and r.ended_at is null
)
select seq, id from cancelled`;

/*
 * Purpose: cancel items by id.
 * Parameters: now, ids (text[]).
 */
const CANCEL_BY_IDS = defineStatement('cancel-by-ids', (s) => CANCEL(s, 'id = any($2::text[])'));

/*
 * Purpose: cancel items carrying any of some tags (work_tags_tag_idx), or having one of some ids.
 * Parameters: now, ids (text[]), tags (text[]).
 */
const CANCEL_BY_TAGS = defineStatement('cancel-by-tags', (s) =>
  CANCEL(s, `id = any($2::text[]) or seq in (select work_seq from ${s.quoted}.work_tags where tag = any($3::text[]))`),
);

/*
 * Purpose: cancel every unfinished item (a scan; an operator's command, not a hot path).
 * Parameters: now.
 */
const CANCEL_ALL = defineStatement('cancel-all', (s) => CANCEL(s, 'true'));

/**
 * Cancels by `ids`, `tags` (items carrying any of them, or listed in `ids`) or `all`; returns the
 * ids cancelled: in the order given when selecting by ids only, else in insertion order. Blocked
 * dependents the chain rule cancels (or fails) as a result are not listed: only what the selector
 * matched is.
 *
 * @example
 * await cancelWork(db, { tags: ['user:42'], now });
 */
export async function cancelWork(db: Db, options: CancelOptions): Promise<string[]> {
  const { now } = options;
  const ids = [...new Set(options.ids ?? [])];
  const tags = [...new Set(options.tags ?? [])];
  const all = options.all === true;
  if (!all && ids.length === 0 && tags.length === 0) return [];
  return db.transaction(async (tx) => {
    if (!all && tags.length === 0) return cancelByIds(tx, ids, now);
    const rows = all
      ? await tx.query<{ seq: string; id: string }>(CANCEL_ALL(tx.names), [now])
      : await tx.query<{ seq: string; id: string }>(CANCEL_BY_TAGS(tx.names), [now, ids, tags]);
    const seqs = rows.map((r) => Number(r.seq));
    await cascadeFinished(tx, now, seqs);
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((r) => r.id);
  });
}

/**
 * Cancels the unfinished items among `ids` inside the caller's transaction, closes their journal
 * rows and applies the chain rule; returns the ids cancelled, in the order given (each once).
 *
 * @example
 * await db.transaction((tx) => cancelByIds(tx, plan.cancel, now));
 */
export async function cancelByIds(tx: Db, ids: readonly string[], now: number): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx.query<{ seq: string; id: string }>(CANCEL_BY_IDS(tx.names), [now, [...new Set(ids)]]);
  await cascadeFinished(tx, now, rows.map((r) => Number(r.seq)));
  const hit = new Set(rows.map((r) => r.id));
  return [...new Set(ids)].filter((id) => hit.has(id));
}
