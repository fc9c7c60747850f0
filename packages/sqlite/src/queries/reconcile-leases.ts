/**
 * reconcileLeases: returns running items whose lease expired to the queue, uncharged, and closes
 * their journal rows as lost, in one transaction. It must never take an item whose lease is still
 * live, and it bumps the token so the vanished owner, should it come back, is fenced off.
 */
import type { SqliteDriver } from '../driver/sqlite-driver.js';

/*
 * Purpose: re-queue running items whose lease ran out (a range of work_lease_idx).
 * Parameters: updated_at, now.
 *
 * The attempt is not charged (attempt - 1): the owner vanished, which is not the work's fault.
 */
const REQUEUE_EXPIRED = `
update work
set state = 'enqueued', attempt = max(attempt - 1, 0), lease_token = lease_token + 1,
    lease_owner = null, lease_expires_at = null, updated_at = ?
where state = 'running' and lease_expires_at <= ?
returning id, seq`;

/*
 * Purpose: close the open journal rows of re-queued items as stopped by a lost lease.
 * Parameters: ended_at, JSON array of the items' seq.
 */
const CLOSE_RUNS = `
update runs set ended_at = ?, outcome = 'stopped', stop_reason = 'lease-lost'
where work_seq in (select value from json_each(?)) and ended_at is null`;

/**
 * Re-queues expired leases; returns their ids in insertion order.
 *
 * @example
 * const returned = reconcileLeases(db, now);
 */
export function reconcileLeases(db: SqliteDriver, now: number): string[] {
  return db.transaction(() => {
    const rows = db.all<{ id: string; seq: number }>(REQUEUE_EXPIRED, [now, now]);
    if (rows.length === 0) return [];
    rows.sort((a, b) => a.seq - b.seq);
    db.run(CLOSE_RUNS, [now, JSON.stringify(rows.map((r) => r.seq))]);
    return rows.map((r) => r.id);
  });
}
