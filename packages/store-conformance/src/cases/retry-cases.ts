/**
 * Conformance cases for retry: only failed or cancelled items go back to the queue, due at once
 * with a fresh attempt count; every other state and unknown ids are refused without a change.
 */
import { expect, it } from 'vitest';
import { settlementFor, type StoreHarness } from '../store-harness.js';

/**
 * Registers the retry cases.
 *
 * @example
 * describe('retry', () => retryCases(createStoreHarness(target)));
 */
export function retryCases(h: StoreHarness): void {
  it('puts a failed item back: enqueued, due now, attempt 0, finishedAt cleared, claimable', async () => {
    await h.enqueue({ id: 'w', runAt: 0 });
    const claimed = await h.claimOne('w', { now: 0 });
    await h.store.settle(settlementFor(claimed, { now: 10, state: 'failed', lastError: 'boom', outcome: 'failed', error: 'boom' }));
    expect(await h.store.retry('w', 500)).toBe(true);
    expect(await h.store.get('w')).toMatchObject({ state: 'enqueued', runAt: 500, attempt: 0, finishedAt: null, updatedAt: 500 });
    const again = await h.claimOne('w', { now: 500 });
    expect(again.spec.attempt).toBe(1);
    expect(again.spec.leaseToken).toBeGreaterThan(claimed.spec.leaseToken);
  });

  it('puts a cancelled item back', async () => {
    await h.enqueue({ id: 'w', runAt: 100 });
    await h.store.cancel({ ids: ['w'], now: 5 });
    expect(await h.store.retry('w', 50)).toBe(true);
    expect(await h.store.get('w')).toMatchObject({ state: 'enqueued', runAt: 50, attempt: 0, finishedAt: null });
    expect((await h.claim({ now: 50 })).map((c) => c.spec.id)).toEqual(['w']);
  });

  it('refuses enqueued, blocked, running and succeeded items and unknown ids, changing nothing', async () => {
    await h.enqueue({ id: 'running' }, { id: 'succeeded' }, { id: 'enqueued', runAt: 10 }, { id: 'blocked', state: 'blocked' });
    await h.claimOne('running');
    const s = await h.claimOne('succeeded');
    await h.store.settle(settlementFor(s, { now: 1 }));
    const before = await h.store.query({});
    for (const id of ['running', 'succeeded', 'enqueued', 'blocked', 'unknown']) {
      expect(await h.store.retry(id, 5)).toBe(false);
    }
    expect(await h.store.query({})).toStrictEqual(before);
  });
}
