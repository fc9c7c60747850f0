/**
 * applyChainRule: the WorkStore chain rule, run inside the transaction that finished items or
 * inserted blocked ones. A `blocked` item with a failed prerequisite fails ("Prerequisite <id>
 * failed."), else with a cancelled one is cancelled, else once every prerequisite succeeded is
 * enqueued at max(runAt, now); failing or cancelling finishes it, so its own dependents are checked
 * next, until nothing changes. It must never look beyond the items the change can reach: each round
 * reads the dependents of the items the previous round finished through work_deps_prerequisite_idx
 * and their prerequisites through work_deps' primary key, so a chain of n steps costs n small
 * rounds, never a scan of the table.
 *
 * Why it never has to release and fail in one pass: after every transaction, no blocked item has a
 * failed or cancelled prerequisite (this rule would have finished it), so the dependents of a
 * succeeded item can only become enqueued, and those of a failed or cancelled item can never be.
 * Only items just inserted can need any of the three outcomes.
 */
import type { SqliteDriver, SqliteValue } from '../driver/sqlite-driver.js';

/**
 * The items a round looks at: the dependents of items finished just before it, and items just
 * inserted blocked. Parameters: JSON array of finished seq, JSON array of inserted seq.
 */
const CANDIDATES = `
  select d.work_seq from work_deps as d where d.prerequisite_seq in (select value from json_each(?))
  union all
  select value from json_each(?)`;

/** A prerequisite of the outer `work` row in one of some states (a primary-key range of work_deps). */
const PREREQUISITE_IN = (states: string): string => `
  select 1 from work_deps as d join work as p on p.seq = d.prerequisite_seq
  where d.work_seq = work.seq and p.state in (${states})`;

/*
 * Purpose: fail the candidates that have a failed prerequisite, naming the first failed one in the
 * order the item lists them (min(key) of its prerequisites_json: an aggregate, so no sort).
 * Parameters: finished_at (null: each row's created_at), updated_at (likewise), then CANDIDATES'.
 */
const FAIL_BLOCKED = `
update work
set state = 'failed',
    last_error = 'Prerequisite ' || (
      select json_extract(work.prerequisites_json, '$[' || min(j.key) || ']')
      from json_each(work.prerequisites_json) as j join work as p on p.id = j.value
      where p.state = 'failed') || ' failed.',
    finished_at = coalesce(?, created_at),
    updated_at = coalesce(?, created_at)
where seq in (${CANDIDATES}) and state = 'blocked' and exists (${PREREQUISITE_IN(`'failed'`)})
returning seq, id`;

/*
 * Purpose: cancel the candidates that have a cancelled prerequisite (run after FAIL_BLOCKED, so
 * a failed prerequisite wins over a cancelled one).
 * Parameters: finished_at (null: each row's created_at), updated_at (likewise), then CANDIDATES'.
 */
const CANCEL_BLOCKED = `
update work
set state = 'cancelled', finished_at = coalesce(?, created_at), updated_at = coalesce(?, created_at)
where seq in (${CANDIDATES}) and state = 'blocked' and exists (${PREREQUISITE_IN(`'cancelled'`)})
returning seq, id`;

/**
 * The outer `work` row has prerequisites and every one of them succeeded. A blocked item with none
 * waits on no chain, so the rule leaves it blocked (as MemoryStore, the reference, does).
 */
const ALL_SUCCEEDED = `exists (select 1 from work_deps as d where d.work_seq = work.seq)
  and not exists (${PREREQUISITE_IN(`'enqueued', 'blocked', 'running', 'failed', 'cancelled'`)})`;

/*
 * Purpose: enqueue the candidates whose prerequisites all succeeded.
 * Parameters: now for run_at (null: each row's created_at), updated_at (likewise), then CANDIDATES'.
 */
const RELEASE_READY = `
update work
set state = 'enqueued', run_at = max(run_at, coalesce(?, created_at)), updated_at = coalesce(?, created_at)
where seq in (${CANDIDATES}) and state = 'blocked' and ${ALL_SUCCEEDED}`;

/*
 * Purpose: enqueue the dependents of one item that just succeeded, once all their prerequisites
 * have (the settle hot path: one seek of work_deps_prerequisite_idx, empty for most items; a
 * dependent found here has a prerequisite, so only the not-exists half of ALL_SUCCEEDED applies).
 * Parameters: now (run_at), updated_at, the succeeded item's seq.
 */
const RELEASE_DEPENDENTS_OF = `
update work
set state = 'enqueued', run_at = max(run_at, ?), updated_at = ?
where seq in (select d.work_seq from work_deps as d where d.prerequisite_seq = ?) and state = 'blocked'
  and not exists (${PREREQUISITE_IN(`'enqueued', 'blocked', 'running', 'failed', 'cancelled'`)})`;

/** What the chain rule changed, by id, in the order it changed them. */
export interface ChainChanges {
  failed: string[];
  cancelled: string[];
}

/**
 * Applies the chain rule after `finished` items (by seq) were failed or cancelled and `inserted`
 * blocked items (by seq) were stored, cascading until nothing changes (for items that succeeded,
 * use {@link releaseDependents}). `now` null means each changed item's own `created_at` (an
 * enqueue's items each carry their own `now`). Must run inside the caller's transaction. Returns
 * the ids it failed and cancelled (items it enqueued finish nothing, so they are not reported).
 *
 * @example
 * db.transaction(() => { const seqs = cancelSomething(); applyChainRule(db, now, seqs); });
 */
export function applyChainRule(db: SqliteDriver, now: number | null, finished: readonly number[], inserted: readonly number[] = []): ChainChanges {
  const changes: ChainChanges = { failed: [], cancelled: [] };
  let done = finished;
  let fresh = inserted;
  while (done.length > 0 || fresh.length > 0) {
    const params: SqliteValue[] = [now, now, JSON.stringify(done), JSON.stringify(fresh)];
    const failed = db.all<{ seq: number; id: string }>(FAIL_BLOCKED, params);
    const cancelled = db.all<{ seq: number; id: string }>(CANCEL_BLOCKED, params);
    // Dependents of failed or cancelled items can never be released; only fresh items may be.
    if (fresh.length > 0) db.run(RELEASE_READY, params);
    changes.failed.push(...failed.map((r) => r.id));
    changes.cancelled.push(...cancelled.map((r) => r.id));
    done = [...failed, ...cancelled].map((r) => r.seq);
    fresh = [];
  }
  return changes;
}

/**
 * The chain rule after one item succeeded: enqueues its blocked dependents whose prerequisites
 * have all succeeded now. Nothing cascades (enqueueing finishes nothing). Must run inside the
 * caller's transaction.
 *
 * @example
 * if (settled.state === 'succeeded') releaseDependents(db, seq, now);
 */
export function releaseDependents(db: SqliteDriver, seq: number, now: number): void {
  db.run(RELEASE_DEPENDENTS_OF, [now, now, seq]);
}
