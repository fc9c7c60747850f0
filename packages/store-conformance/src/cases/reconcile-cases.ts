/**
 * Conformance cases for reconcile and the lost-lease race it resolves: a worker whose lease ran out
 * must not be able to overwrite the result of the worker that claimed the item after it (fencing).
 */
import { expect, it } from 'vitest';
import { settlementFor, WORKER_A, WORKER_B, type StoreHarness } from '../store-harness.js';

/**
 * Registers the reconcile and lost-lease cases.
 *
 * @example
 * describe('reconcile', () => reconcileCases(createStoreHarness(target)));
 */
export function reconcileCases(h: StoreHarness): void {
  it('lost lease end to end: reconcile re-queues without charging, the next owner wins, the old one is fenced off', async () => {
    await h.enqueue({ id: 'w' });
    const a = await h.claimOne('w', { now: 0, workerId: WORKER_A, leaseMs: 30_000 });
    expect(a.spec).toMatchObject({ attempt: 1, leaseToken: 1, leaseExpiresAt: 30_000 });

    // A stalls (GC pause, laptop lid); its lease runs out.
    expect(await h.store.reconcile(30_000)).toEqual(['w']);
    const requeued = await h.store.get('w');
    expect(requeued).toMatchObject({ state: 'enqueued', attempt: 0, leaseOwner: null, leaseExpiresAt: null, updatedAt: 30_000, finishedAt: null });
    expect(requeued?.leaseToken).toBeGreaterThan(a.spec.leaseToken);
    expect(await h.store.runs({ workId: 'w' })).toStrictEqual([
      { ...a.run, endedAt: 30_000, outcome: 'stopped', stopReason: 'lease-lost', error: null },
    ]);

    const b = await h.claimOne('w', { now: 30_001, workerId: WORKER_B });
    expect(b.spec.leaseToken).toBeGreaterThan(requeued?.leaseToken ?? Infinity);
    expect(b.spec).toMatchObject({ attempt: 1, leaseOwner: WORKER_B, state: 'running' });
    expect(b.run).toMatchObject({ attempt: 1, workerId: WORKER_B });

    // A wakes up and reports; every one of its writes is refused.
    expect(await h.store.heartbeat({ id: 'w', leaseToken: a.spec.leaseToken, now: 30_002, leaseMs: 30_000 })).toBe(false);
    expect(await h.store.setProgress('w', a.spec.leaseToken, '{"from":"a"}', 30_002)).toBe(false);
    expect(await h.store.settle(settlementFor(a, { now: 30_003, outputJson: '{"from":"a"}' }))).toBe(false);
    expect(await h.store.get('w')).toMatchObject({
      state: 'running',
      leaseOwner: WORKER_B,
      leaseToken: b.spec.leaseToken,
      progressJson: null,
      outputJson: null,
    });

    expect(await h.store.heartbeat({ id: 'w', leaseToken: b.spec.leaseToken, now: 30_004, leaseMs: 30_000 })).toBe(true);
    expect(await h.store.settle(settlementFor(b, { now: 30_005, outputJson: '{"from":"b"}' }))).toBe(true);
    expect(await h.store.get('w')).toMatchObject({ state: 'succeeded', outputJson: '{"from":"b"}', attempt: 1, finishedAt: 30_005 });

    const runs = await h.store.runs({ workId: 'w' });
    expect(runs.map((r) => [r.workerId, r.outcome, r.stopReason, r.endedAt])).toEqual([
      [WORKER_B, 'succeeded', null, 30_005],
      [WORKER_A, 'stopped', 'lease-lost', 30_000],
    ]);
  });

  it('leaves unexpired leases alone and takes only the expired ones (leaseExpiresAt <= now)', async () => {
    await h.enqueue({ id: 'short' }, { id: 'exact' }, { id: 'long' }, { id: 'waiting', runAt: 10 });
    await h.claimOne('short', { now: 0, leaseMs: 1_000 });
    await h.claimOne('exact', { now: 0, leaseMs: 5_000 });
    const long = await h.claimOne('long', { now: 0, leaseMs: 60_000 });

    expect(await h.store.reconcile(999)).toEqual([]);
    expect((await h.store.reconcile(5_000)).sort()).toEqual(['exact', 'short']);
    expect(await h.store.get('long')).toMatchObject({ state: 'running', leaseToken: long.spec.leaseToken, leaseExpiresAt: 60_000, attempt: 1 });
    expect((await h.store.runs({ workId: 'long' }))[0]).toMatchObject({ endedAt: null, outcome: null });
    expect(await h.store.get('waiting')).toMatchObject({ state: 'enqueued', leaseToken: 0, attempt: 0 });
    // Nothing left to reconcile until the long lease runs out.
    expect(await h.store.reconcile(5_000)).toEqual([]);
  });

  it('does not touch enqueued, blocked or finished items', async () => {
    await h.enqueue({ id: 'done' }, { id: 'blocked', state: 'blocked' }, { id: 'later', runAt: 5 });
    const done = await h.claimOne('done', { now: 0, leaseMs: 10 });
    await h.store.settle(settlementFor(done, { now: 5 }));
    const before = await h.store.query({});
    expect(await h.store.reconcile(1_000_000)).toEqual([]);
    expect(await h.store.query({})).toStrictEqual(before);
  });

  it('a re-queued item keeps its attempts from earlier, charged failures', async () => {
    await h.enqueue({ id: 'w' });
    const first = await h.claimOne('w', { now: 0 });
    await h.store.settle(settlementFor(first, { now: 1, state: 'enqueued', runAt: 1, outcome: 'retrying', error: 'e' }));
    const second = await h.claimOne('w', { now: 1, leaseMs: 100 });
    expect(second.spec.attempt).toBe(2);
    expect(await h.store.reconcile(101)).toEqual(['w']);
    expect((await h.store.get('w'))?.attempt).toBe(1);
    expect((await h.claimOne('w', { now: 101 })).spec.attempt).toBe(2);
  });
}
