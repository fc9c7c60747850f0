/**
 * Conformance cases for the owner-side writes heartbeat and setProgress: both apply only while the
 * item is running under the caller's token. A store that checks the token but not the state (an
 * enqueued item also has a token) must fail here.
 */
import { expect, it } from 'vitest';
import { settlementFor, type StoreHarness } from '../store-harness.js';

/**
 * Registers the heartbeat and setProgress cases.
 *
 * @example
 * describe('heartbeat and progress', () => heartbeatCases(createStoreHarness(target)));
 */
export function heartbeatCases(h: StoreHarness): void {
  it('heartbeat extends the lease of the current owner', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 0, leaseMs: 30_000 });
    expect(await h.store.heartbeat({ id: 'w', leaseToken: claimed.spec.leaseToken, now: 20_000, leaseMs: 60_000 })).toBe(true);
    expect(await h.store.get('w')).toMatchObject({ state: 'running', leaseExpiresAt: 80_000, leaseToken: 1, leaseOwner: 'worker-a', attempt: 1 });
    // The extended lease is what reconcile honours.
    expect(await h.store.reconcile(30_000)).toEqual([]);
    expect((await h.store.get('w'))?.state).toBe('running');
  });

  it('heartbeat refuses a stale token and leaves the lease alone', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 0 });
    expect(await h.store.heartbeat({ id: 'w', leaseToken: claimed.spec.leaseToken - 1, now: 10, leaseMs: 99_000 })).toBe(false);
    expect(await h.store.heartbeat({ id: 'w', leaseToken: claimed.spec.leaseToken + 1, now: 10, leaseMs: 99_000 })).toBe(false);
    expect((await h.store.get('w'))?.leaseExpiresAt).toBe(30_000);
  });

  it('heartbeat refuses after cancel, after settle, for an unknown id, and for an item that is not running', async () => {
    await h.enqueue({ id: 'cancelled' }, { id: 'settled' }, { id: 'waiting' });
    const c = await h.claimOne('cancelled');
    const s = await h.claimOne('settled');
    await h.store.cancel({ ids: ['cancelled'], now: 5 });
    await h.store.settle(settlementFor(s, { now: 5 }));
    const beat = (id: string, leaseToken: number) => h.store.heartbeat({ id, leaseToken, now: 10, leaseMs: 30_000 });
    expect(await beat('cancelled', c.spec.leaseToken)).toBe(false);
    expect(await beat('settled', s.spec.leaseToken)).toBe(false);
    expect(await beat('nope', 1)).toBe(false);
    // Enqueued with token 0: the token matches, but only running items hold a lease.
    expect(await beat('waiting', 0)).toBe(false);
    expect(await h.store.get('settled')).toMatchObject({ leaseExpiresAt: null, leaseOwner: null });
    expect(await h.store.get('cancelled')).toMatchObject({ leaseExpiresAt: null, leaseOwner: null });
    expect(await h.store.get('waiting')).toMatchObject({ state: 'enqueued', leaseExpiresAt: null });
  });

  it('setProgress stores progress for the current owner, visible through get', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w');
    expect(await h.store.setProgress('w', claimed.spec.leaseToken, '{"done":1,"of":3}', 10)).toBe(true);
    expect((await h.store.get('w'))?.progressJson).toBe('{"done":1,"of":3}');
    expect(await h.store.setProgress('w', claimed.spec.leaseToken, '{"done":2,"of":3}', 20)).toBe(true);
    expect(await h.store.get('w')).toMatchObject({ progressJson: '{"done":2,"of":3}', state: 'running', leaseToken: 1 });
  });

  it('setProgress refuses a stale token, after cancel, after settle, and when not running', async () => {
    await h.enqueue({ id: 'stale' }, { id: 'cancelled' }, { id: 'settled' }, { id: 'waiting' });
    const stale = await h.claimOne('stale');
    const c = await h.claimOne('cancelled');
    const s = await h.claimOne('settled');
    expect(await h.store.setProgress('stale', stale.spec.leaseToken, '{"v":1}', 1)).toBe(true);
    expect(await h.store.setProgress('stale', stale.spec.leaseToken + 1, '{"v":2}', 2)).toBe(false);
    expect((await h.store.get('stale'))?.progressJson).toBe('{"v":1}');

    await h.store.cancel({ ids: ['cancelled'], now: 5 });
    expect(await h.store.setProgress('cancelled', c.spec.leaseToken, '{"v":3}', 6)).toBe(false);
    expect((await h.store.get('cancelled'))?.progressJson).toBeNull();

    await h.store.settle(settlementFor(s, { now: 5 }));
    expect(await h.store.setProgress('settled', s.spec.leaseToken, '{"v":4}', 6)).toBe(false);
    expect((await h.store.get('settled'))?.progressJson).toBeNull();

    expect(await h.store.setProgress('waiting', 0, '{"v":5}', 6)).toBe(false);
    expect((await h.store.get('waiting'))?.progressJson).toBeNull();
    expect(await h.store.setProgress('nope', 1, '{"v":6}', 6)).toBe(false);
  });
}
