/**
 * heartbeatWork: extends the lease of an item its owner is still running. It must never touch an
 * item whose token moved on (a reconcile or cancel got there first): the token is the fence.
 */
import type { HeartbeatOptions } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';

/*
 * Purpose: move the lease of a running item forward, only under its current token.
 * Parameters: lease_expires_at, id, lease_token.
 *
 * One statement needs no explicit transaction: SQLite takes the write lock as the statement
 * starts (it never reads first and upgrades), which is all `begin immediate` adds.
 */
const EXTEND_LEASE = `
update work set lease_expires_at = ?
where id = ? and state = 'running' and lease_token = ?`;

/**
 * True when the lease was extended; false when the caller no longer owns the item.
 *
 * @example
 * if (!heartbeatWork(db, { id, leaseToken, now, leaseMs: 30_000 })) abort.abort();
 */
export function heartbeatWork(db: SqliteDriver, options: HeartbeatOptions): boolean {
  // A lease that ran out but was not reconciled yet can still be renewed: the token is what
  // fences, and a reconcile that ran first has already bumped it.
  return db.run(EXTEND_LEASE, [options.now + options.leaseMs, options.id, options.leaseToken]).changes === 1;
}
