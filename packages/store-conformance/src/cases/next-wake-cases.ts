/**
 * Conformance cases for nextWakeAt: the earliest runAt of enqueued work for the worker's task names,
 * or the earliest expiry of a lease someone else holds. A worker's own leases, finished and blocked
 * items, and other task names must never make it wake.
 */
import { expect, it } from 'vitest';
import { settlementFor, WORKER_A, WORKER_B, type StoreHarness } from '../store-harness.js';

/**
 * Registers the nextWakeAt cases.
 *
 * @example
 * describe('nextWakeAt', () => nextWakeCases(createStoreHarness(target)));
 */
export function nextWakeCases(h: StoreHarness): void {
  it('is null when nothing is pending', async () => {
    expect(await h.store.nextWakeAt({ taskNames: ['noop'] })).toBeNull();
    await h.enqueue({ id: 'other', taskName: 'other', runAt: 5 });
    expect(await h.store.nextWakeAt({ taskNames: ['noop'] })).toBeNull();
    expect(await h.store.nextWakeAt({ taskNames: [] })).toBeNull();
  });

  it('is the earliest runAt of enqueued items for the given task names', async () => {
    await h.enqueue(
      { id: 's1', taskName: 'sync', runAt: 500 },
      { id: 'u1', taskName: 'upload', runAt: 300 },
      { id: 's2', taskName: 'sync', runAt: 700, priority: 30 },
      { id: 'e1', taskName: 'email', runAt: 100 },
    );
    expect(await h.store.nextWakeAt({ taskNames: ['sync'] })).toBe(500);
    expect(await h.store.nextWakeAt({ taskNames: ['upload'] })).toBe(300);
    expect(await h.store.nextWakeAt({ taskNames: ['sync', 'upload'] })).toBe(300);
    expect(await h.store.nextWakeAt({ taskNames: ['unknown'] })).toBeNull();
  });

  it('returns a runAt that is already past as it is (work is due now)', async () => {
    await h.enqueue({ id: 'a', runAt: 0 }, { id: 'b', runAt: 1_000 });
    expect(await h.store.nextWakeAt({ taskNames: ['noop'] })).toBe(0);
  });

  it('counts the lease expiry of running items held by others, never by the excluded owner', async () => {
    await h.enqueue({ id: 'held', taskName: 'sync' }, { id: 'later', taskName: 'sync', runAt: 5_000 }, { id: 'elsewhere', taskName: 'upload' });
    await h.claimOne('held', { now: 0, workerId: WORKER_B, leaseMs: 1_000, taskNames: ['sync'] });
    await h.claimOne('elsewhere', { now: 0, workerId: WORKER_B, leaseMs: 10, taskNames: ['upload'] });
    expect(await h.store.nextWakeAt({ taskNames: ['sync'], excludeOwner: WORKER_A })).toBe(1_000);
    expect(await h.store.nextWakeAt({ taskNames: ['sync'] })).toBe(1_000);
    expect(await h.store.nextWakeAt({ taskNames: ['sync'], excludeOwner: WORKER_B })).toBe(5_000);
    expect(await h.store.nextWakeAt({ taskNames: ['upload'], excludeOwner: WORKER_B })).toBeNull();
    expect(await h.store.nextWakeAt({ taskNames: ['upload'], excludeOwner: WORKER_A })).toBe(10);
  });

  it('follows a heartbeat that moves the lease', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 0, workerId: WORKER_B, leaseMs: 1_000 });
    await h.store.heartbeat({ id: 'w', leaseToken: claimed.spec.leaseToken, now: 900, leaseMs: 1_000 });
    expect(await h.store.nextWakeAt({ taskNames: ['noop'], excludeOwner: WORKER_A })).toBe(1_900);
  });

  it('ignores blocked, succeeded, failed and cancelled items', async () => {
    await h.enqueue(
      { id: 'succeeded', runAt: 0 },
      { id: 'failed', runAt: 0 },
      { id: 'blocked', state: 'blocked', runAt: 10 },
      { id: 'cancelled', runAt: 20 },
      { id: 'cancelled-running', runAt: 0 },
    );
    const s = await h.claimOne('succeeded', { now: 0 });
    const f = await h.claimOne('failed', { now: 0 });
    await h.claimOne('cancelled-running', { now: 0, workerId: WORKER_B });
    await h.store.settle(settlementFor(s, { now: 1 }));
    await h.store.settle(settlementFor(f, { now: 1, state: 'failed', outcome: 'failed', error: 'x' }));
    await h.store.cancel({ ids: ['cancelled', 'cancelled-running'], now: 2 });
    expect(await h.store.nextWakeAt({ taskNames: ['noop'], excludeOwner: WORKER_A })).toBeNull();
    await h.enqueue({ id: 'pending', runAt: 900 });
    expect(await h.store.nextWakeAt({ taskNames: ['noop'], excludeOwner: WORKER_A })).toBe(900);
  });

  it('follows a settle that re-queues work for later', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 0, workerId: WORKER_A });
    expect(await h.store.nextWakeAt({ taskNames: ['noop'], excludeOwner: WORKER_A })).toBeNull();
    await h.store.settle(settlementFor(claimed, { now: 10, state: 'enqueued', runAt: 30_010, outcome: 'retrying', error: 'x' }));
    expect(await h.store.nextWakeAt({ taskNames: ['noop'], excludeOwner: WORKER_A })).toBe(30_010);
  });
}
