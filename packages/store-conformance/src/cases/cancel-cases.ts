/**
 * Conformance cases for cancel: by ids, by tags, or all; only enqueued, blocked and running items
 * change; a running owner is fenced off and its open journal row closed. A cancel with no selector
 * must cancel nothing (never "everything").
 */
import { expect, it } from 'vitest';
import { settlementFor, type StoreHarness } from '../store-harness.js';

/**
 * Registers the cancel cases.
 *
 * @example
 * describe('cancel', () => cancelCases(createStoreHarness(target)));
 */
export function cancelCases(h: StoreHarness): void {
  it('cancels an enqueued item by id: cancelled, finishedAt set, never claimed', async () => {
    await h.enqueue({ id: 'a' }, { id: 'b' });
    expect(await h.store.cancel({ ids: ['a'], now: 50 })).toEqual(['a']);
    expect(await h.store.get('a')).toMatchObject({ state: 'cancelled', finishedAt: 50, updatedAt: 50, leaseOwner: null, leaseExpiresAt: null });
    expect(await h.store.get('b')).toMatchObject({ state: 'enqueued', finishedAt: null });
    expect((await h.claim({ now: 100 })).map((c) => c.spec.id)).toEqual(['b']);
  });

  it('cancels a running item: token bumped, lease cleared, open run closed as cancelled, owner fenced off', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 10 });
    expect(await h.store.cancel({ ids: ['w'], now: 40 })).toEqual(['w']);
    const item = await h.store.get('w');
    expect(item).toMatchObject({ state: 'cancelled', finishedAt: 40, leaseOwner: null, leaseExpiresAt: null, attempt: 1 });
    expect(item?.leaseToken).toBeGreaterThan(claimed.spec.leaseToken);
    expect(await h.store.runs({ workId: 'w' })).toStrictEqual([
      { ...claimed.run, endedAt: 40, outcome: 'cancelled', stopReason: 'cancelled', error: null },
    ]);
    expect(await h.store.settle(settlementFor(claimed, { now: 50, outputJson: '{"late":true}' }))).toBe(false);
    expect(await h.store.heartbeat({ id: 'w', leaseToken: claimed.spec.leaseToken, now: 50, leaseMs: 1_000 })).toBe(false);
    expect(await h.store.get('w')).toStrictEqual(item);
    // The lease is gone, so reconcile has nothing to return either.
    expect(await h.store.reconcile(1_000_000)).toEqual([]);
  });

  it('cancels a blocked item', async () => {
    await h.enqueue({ id: 'dep', state: 'blocked' });
    expect(await h.store.cancel({ ids: ['dep'], now: 7 })).toEqual(['dep']);
    expect(await h.store.get('dep')).toMatchObject({ state: 'cancelled', finishedAt: 7 });
  });

  it('cancels by tag: items carrying any of the tags', async () => {
    await h.enqueue(
      { id: 'a', tags: ['sync'] },
      { id: 'b', tags: ['user:1', 'upload'] },
      { id: 'c', tags: ['user:2'] },
      { id: 'd', tags: [] },
      { id: 'e', tags: ['sync', 'user:2'], state: 'blocked' },
    );
    await h.claimOne('a', { now: 0 });
    expect((await h.store.cancel({ tags: ['sync', 'upload'], now: 9 })).sort()).toEqual(['a', 'b', 'e']);
    expect((await h.store.query({ states: ['cancelled'] })).map((s) => s.id).sort()).toEqual(['a', 'b', 'e']);
    expect((await h.store.query({ states: ['enqueued'] })).map((s) => s.id).sort()).toEqual(['c', 'd']);
  });

  it('cancels all enqueued, blocked and running items and leaves finished ones untouched', async () => {
    await h.enqueue(
      { id: 'running' },
      { id: 'succeeded' },
      { id: 'failed' },
      { id: 'queued', runAt: 1_000 },
      { id: 'blocked', state: 'blocked' },
    );
    await h.claimOne('running', { now: 0 });
    const s = await h.claimOne('succeeded', { now: 0 });
    const f = await h.claimOne('failed', { now: 0 });
    await h.store.settle(settlementFor(s, { now: 1 }));
    await h.store.settle(settlementFor(f, { now: 1, state: 'failed', outcome: 'failed', error: 'x' }));
    const finished = [await h.store.get('succeeded'), await h.store.get('failed')];

    expect((await h.store.cancel({ all: true, now: 10 })).sort()).toEqual(['blocked', 'queued', 'running']);
    expect([await h.store.get('succeeded'), await h.store.get('failed')]).toStrictEqual(finished);
    expect((await h.store.query({ states: ['cancelled'] })).map((x) => x.id).sort()).toEqual(['blocked', 'queued', 'running']);
  });

  it('does not return or change items that are already finished, and ignores unknown ids', async () => {
    await h.enqueue({ id: 'done' }, { id: 'gone' });
    const done = await h.claimOne('done');
    await h.store.settle(settlementFor(done, { now: 5 }));
    await h.store.cancel({ ids: ['gone'], now: 6 });
    const before = await h.store.query({});
    expect(await h.store.cancel({ ids: ['done', 'gone', 'unknown'], now: 20 })).toEqual([]);
    expect(await h.store.cancel({ all: true, now: 30 })).toEqual([]);
    expect(await h.store.query({})).toStrictEqual(before);
    expect((await h.store.get('gone'))?.finishedAt).toBe(6);
  });

  it('cancels nothing when no selector is given', async () => {
    await h.enqueue({ id: 'a', tags: ['t'] });
    expect(await h.store.cancel({ now: 1 })).toEqual([]);
    expect(await h.store.cancel({ ids: [], now: 1 })).toEqual([]);
    expect(await h.store.cancel({ tags: [], now: 1 })).toEqual([]);
    expect(await h.store.cancel({ all: false, now: 1 })).toEqual([]);
    expect((await h.store.get('a'))?.state).toBe('enqueued');
  });
}
