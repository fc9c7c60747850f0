/**
 * heartbeatWork: extends the lease of an item its owner is still running. It must never touch an
 * item whose token moved on (a reconcile or cancel got there first): the token is the fence.
 */
import type { HeartbeatOptions } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';

/*
 * Purpose: move the lease of a running item forward, only under its current token. A lease that
 * ran out but was not reconciled yet can still be renewed: a reconcile that ran first has already
 * bumped the token.
 * Parameters: lease_expires_at, id, lease_token.
 */
const EXTEND_LEASE = defineStatement(
  'heartbeat',
  (s) => `
update ${s.quoted}.work set lease_expires_at = $1::bigint
where id = $2::text and state = 'running' and lease_token = $3::bigint
returning 1 as ok`,
);

/**
 * True when the lease was extended; false when the caller no longer owns the item.
 *
 * @example
 * if (!(await heartbeatWork(db, { id, leaseToken, now, leaseMs: 30_000 }))) abort.abort();
 */
export async function heartbeatWork(db: Db, options: HeartbeatOptions): Promise<boolean> {
  const rows = await db.query(EXTEND_LEASE(db.names), [options.now + options.leaseMs, options.id, options.leaseToken]);
  return rows.length === 1;
}
