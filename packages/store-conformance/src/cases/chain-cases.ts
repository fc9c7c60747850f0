/**
 * Conformance cases for chains: an item with prerequisites waits `blocked` until all of them
 * succeed, then becomes due at max(runAt, now); a failed prerequisite fails its dependents and a
 * cancelled one cancels them, transitively, failed winning over cancelled. Every case names the
 * time of each step, so a store that resolves a chain late, early or at the wrong time fails.
 */
import { expect, it } from 'vitest';
import type { WorkQuery, WorkSpec } from '@offstage/core';
import { makeSpec } from '../make-spec.js';
import { settlementFor, type StoreHarness } from '../store-harness.js';

/**
 * Registers the chain cases.
 *
 * @example
 * describe('chains', () => chainCases(createStoreHarness(target)));
 */
export function chainCases(h: StoreHarness): void {
  /** An item whose task name is its id, so `h.finish` can run it alone. */
  const item = (id: string, prerequisites: string[] = [], extra: Partial<WorkSpec> = {}) => ({
    id,
    taskName: id,
    prerequisites,
    ...extra,
  });

  it('keeps a dependent blocked until every prerequisite succeeds, then enqueues it due at max(runAt, now)', async () => {
    await h.enqueue(item('a'), item('b'), item('late', ['a', 'b'], { runAt: 500 }), item('early', ['a', 'b'], { runAt: 50 }));
    expect(await h.store.get('late')).toMatchObject({ state: 'blocked', runAt: 500, updatedAt: 0 });

    await h.finish('a', 100);
    // One prerequisite left: nothing about the dependents changes, not even updatedAt.
    expect(await h.store.get('late')).toMatchObject({ state: 'blocked', runAt: 500, updatedAt: 0, finishedAt: null });
    expect(await h.store.get('early')).toMatchObject({ state: 'blocked', runAt: 50, updatedAt: 0 });

    await h.finish('b', 200);
    expect(await h.store.get('late')).toMatchObject({ state: 'enqueued', runAt: 500, updatedAt: 200, finishedAt: null, attempt: 0 });
    expect(await h.store.get('early')).toMatchObject({ state: 'enqueued', runAt: 200, updatedAt: 200, finishedAt: null, attempt: 0 });
    expect((await h.claim({ now: 499, taskNames: ['late', 'early'] })).map((c) => c.spec.id)).toEqual(['early']);
    expect((await h.claim({ now: 500, taskNames: ['late'] })).map((c) => c.spec.id)).toEqual(['late']);
  });

  it('never claims blocked items, and does not wake for them', async () => {
    await h.enqueue(item('a', [], { runAt: 1_000 }), item('b', ['a'], { runAt: 0, priority: 40 }));
    expect(await h.claim({ now: 999, taskNames: ['a', 'b'] })).toEqual([]);
    expect(await h.store.nextWakeAt({ taskNames: ['b'] })).toBeNull();
    expect((await h.claim({ now: 1_000, taskNames: ['a', 'b'] })).map((c) => c.spec.id)).toEqual(['a']);
    expect(await h.store.get('b')).toMatchObject({ state: 'blocked', attempt: 0, leaseToken: 0 });
  });

  it('unblocks a diamond A → (B, C) → D only after both B and C succeed', async () => {
    await h.enqueue(item('A'), item('B', ['A']), item('C', ['A']), item('D', ['B', 'C']));
    await h.finish('A', 10);
    expect(await h.store.get('B')).toMatchObject({ state: 'enqueued', runAt: 10, updatedAt: 10 });
    expect(await h.store.get('C')).toMatchObject({ state: 'enqueued', runAt: 10, updatedAt: 10 });
    expect(await h.store.get('D')).toMatchObject({ state: 'blocked', updatedAt: 0 });
    await h.finish('C', 20);
    expect(await h.store.get('D')).toMatchObject({ state: 'blocked', updatedAt: 0 });
    await h.finish('B', 30);
    expect(await h.store.get('D')).toMatchObject({ state: 'enqueued', runAt: 30, updatedAt: 30 });
    expect((await h.claim({ now: 30, taskNames: ['D'] })).map((c) => c.spec.id)).toEqual(['D']);
  });

  it('fails dependents transitively when a prerequisite fails, naming the failed prerequisite', async () => {
    await h.enqueue(item('a'), item('other'), item('b', ['a']), item('c', ['b']), item('d', ['other', 'b']), item('free', ['other']));
    await h.finish('a', 100, 'failed');
    const failed = { state: 'failed', finishedAt: 100, updatedAt: 100, attempt: 0, leaseOwner: null, leaseExpiresAt: null };
    expect(await h.store.get('b')).toMatchObject({ ...failed, lastError: 'Prerequisite a failed.' });
    // Each dependent names its own prerequisite that failed, not the root of the chain.
    expect(await h.store.get('c')).toMatchObject({ ...failed, lastError: 'Prerequisite b failed.' });
    // Failing does not wait for the other, still unfinished prerequisite.
    expect(await h.store.get('d')).toMatchObject({ ...failed, lastError: 'Prerequisite b failed.' });
    expect(await h.store.get('free')).toMatchObject({ state: 'blocked', lastError: null, finishedAt: null });
    expect(await h.store.get('other')).toMatchObject({ state: 'enqueued' });
    expect(await h.claim({ now: 1_000, taskNames: ['b', 'c', 'd'] })).toEqual([]);
  });

  it('cancels dependents transitively when a prerequisite is cancelled, returning only the ids selected', async () => {
    await h.enqueue(item('a'), item('pending'), item('b', ['a']), item('c', ['b']), item('both', ['pending', 'a']));
    await h.enqueue(item('r'), item('s', ['r']), item('t', ['s']));
    expect(await h.store.cancel({ ids: ['a'], now: 50 })).toEqual(['a']);
    const cancelled = { state: 'cancelled', finishedAt: 50, updatedAt: 50, lastError: null };
    expect(await h.store.get('b')).toMatchObject(cancelled);
    expect(await h.store.get('c')).toMatchObject(cancelled);
    // Cancelling does not wait for the other, still unfinished prerequisite.
    expect(await h.store.get('both')).toMatchObject(cancelled);
    expect(await h.store.get('pending')).toMatchObject({ state: 'enqueued', finishedAt: null });

    // A running prerequisite cancelled by the store, and one settled as cancelled by its runner.
    await h.claimOne('r', { now: 60, taskNames: ['r'] });
    expect(await h.store.cancel({ ids: ['r'], now: 70 })).toEqual(['r']);
    expect(await h.store.get('s')).toMatchObject({ ...cancelled, finishedAt: 70, updatedAt: 70 });
    expect(await h.store.get('t')).toMatchObject({ ...cancelled, finishedAt: 70, updatedAt: 70 });

    await h.enqueue(item('x'), item('y', ['x']));
    await h.finish('x', 80, 'cancelled');
    expect(await h.store.get('y')).toMatchObject({ ...cancelled, finishedAt: 80, updatedAt: 80 });
  });

  it('fails rather than cancels a dependent that has both a failed and a cancelled prerequisite', async () => {
    await h.enqueue(item('ok'), item('cancelled'), item('broken'));
    await h.finish('ok', 1);
    await h.store.cancel({ ids: ['cancelled'], now: 2 });
    await h.finish('broken', 3, 'failed');
    // The cancelled prerequisite comes first in the list, so "first finished one wins" fails here.
    await h.enqueue(item('dep', ['ok', 'cancelled', 'broken'], { createdAt: 10 }));
    expect(await h.store.get('dep')).toMatchObject({ state: 'failed', lastError: 'Prerequisite broken failed.', finishedAt: 10, updatedAt: 10 });
  });

  it('resolves a new item at once against prerequisites that already finished, at its createdAt', async () => {
    await h.enqueue(item('done'), item('broken'), item('dropped'), item('waiting'));
    await h.finish('done', 10);
    await h.finish('broken', 20, 'failed');
    await h.store.cancel({ ids: ['dropped'], now: 30 });
    await h.enqueue(
      item('ready', ['done'], { createdAt: 1_000, runAt: 500 }),
      item('later', ['done'], { createdAt: 1_000, runAt: 5_000 }),
      item('failing', ['done', 'broken'], { createdAt: 1_001 }),
      item('cancelling', ['dropped'], { createdAt: 1_002 }),
      // Prerequisites earlier in the same batch count, resolved or not.
      item('after-failing', ['failing'], { createdAt: 1_003 }),
      item('after-ready', ['ready'], { createdAt: 1_004 }),
      item('after-waiting', ['waiting', 'done'], { createdAt: 1_005 }),
    );
    expect(await h.store.get('ready')).toMatchObject({ state: 'enqueued', runAt: 1_000, updatedAt: 1_000, finishedAt: null });
    expect(await h.store.get('later')).toMatchObject({ state: 'enqueued', runAt: 5_000, updatedAt: 1_000 });
    expect(await h.store.get('failing')).toMatchObject({ state: 'failed', lastError: 'Prerequisite broken failed.', finishedAt: 1_001, updatedAt: 1_001 });
    expect(await h.store.get('cancelling')).toMatchObject({ state: 'cancelled', lastError: null, finishedAt: 1_002, updatedAt: 1_002 });
    expect(await h.store.get('after-failing')).toMatchObject({ state: 'failed', lastError: 'Prerequisite failing failed.', finishedAt: 1_003 });
    expect(await h.store.get('after-ready')).toMatchObject({ state: 'blocked', finishedAt: null, updatedAt: 0 });
    expect(await h.store.get('after-waiting')).toMatchObject({ state: 'blocked', finishedAt: null, updatedAt: 0 });
    expect((await h.claim({ now: 1_000, taskNames: ['ready', 'later'] })).map((c) => c.spec.id)).toEqual(['ready']);
  });

  it('rejects a batch with an unknown or not-yet-inserted prerequisite and stores none of it', async () => {
    await h.enqueue(item('stored'));
    const before = await h.store.query({});
    await expect(h.store.enqueue([makeSpec(item('x1', ['stored'])), makeSpec(item('x2', ['nope']))])).rejects.toThrow();
    // A prerequisite must come earlier in the batch: a forward reference is as unknown as a missing id.
    await expect(h.store.enqueue([makeSpec(item('y1', ['y2'])), makeSpec(item('y2'))])).rejects.toThrow();
    await expect(h.store.enqueue([makeSpec(item('self', ['self']))])).rejects.toThrow();
    expect(await h.store.query({})).toStrictEqual(before);
    expect(await h.store.query({ dependentsOf: 'stored' })).toEqual([]);
    // The rejected ids are free: nothing half-inserted blocks a corrected batch.
    await h.enqueue(item('x1', ['stored']), item('x2', ['x1']));
    expect((await h.store.query({ dependentsOf: 'x1' })).map((s) => s.id)).toEqual(['x2']);
  });

  it('does not resolve dependents on a settle back to enqueued (a retry or a periodic run), nor on reconcile', async () => {
    await h.enqueue(
      item('periodic', [], { schedule: { kind: 'interval', intervalMs: 1_000, flexMs: 0, endOnFailure: false } }),
      item('flaky'),
      item('lost'),
      item('d1', ['periodic']),
      item('d2', ['flaky']),
      item('d3', ['lost']),
    );
    const p = await h.claimOne('periodic', { now: 0, taskNames: ['periodic'] });
    await h.store.settle(settlementFor(p, { now: 10, state: 'enqueued', runAt: 1_010, attempt: 0, outputJson: '{"n":1}', lastError: null }));
    const f = await h.claimOne('flaky', { now: 0, taskNames: ['flaky'] });
    await h.store.settle(settlementFor(f, { now: 10, state: 'enqueued', runAt: 40, outcome: 'retrying', error: 'x', lastError: 'x' }));
    await h.claimOne('lost', { now: 0, taskNames: ['lost'], leaseMs: 5 });
    expect(await h.store.reconcile(10)).toEqual(['lost']);
    for (const id of ['d1', 'd2', 'd3']) expect(await h.store.get(id)).toMatchObject({ state: 'blocked', updatedAt: 0 });
  });

  it('leaves a blocked item without prerequisites blocked: no chain decides for it', async () => {
    await h.enqueue({ id: 'orphan', state: 'blocked', runAt: 0 }, item('a'));
    await h.finish('a', 10);
    await h.enqueue(item('b', ['a'], { createdAt: 20 }));
    expect(await h.store.get('orphan')).toMatchObject({ state: 'blocked', updatedAt: 0 });
    expect(await h.claim({ now: 100 })).toEqual([]);
  });

  it('queries dependentsOf: the items listing an id among their prerequisites, in any state, newest first', async () => {
    await h.enqueue(item('a'), item('b'), item('c', ['a'], { createdAt: 1 }), item('d', ['b', 'a'], { createdAt: 3 }), item('e', ['b'], { createdAt: 2 }));
    await h.enqueue(item('f', ['d', 'a'], { createdAt: 2 }));
    const ids = async (query: WorkQuery) => (await h.store.query(query)).map((s) => s.id);
    expect(await ids({ dependentsOf: 'a' })).toEqual(['d', 'f', 'c']);
    expect(await ids({ dependentsOf: 'b' })).toEqual(['d', 'e']);
    expect(await ids({ dependentsOf: 'c' })).toEqual([]);
    expect(await ids({ dependentsOf: 'missing' })).toEqual([]);
    await h.store.cancel({ ids: ['c'], now: 5 });
    expect(await ids({ dependentsOf: 'a', states: ['blocked'] })).toEqual(['d', 'f']);
    expect(await ids({ dependentsOf: 'a', states: ['cancelled'] })).toEqual(['c']);
    expect(await ids({ dependentsOf: 'a', limit: 1, offset: 1 })).toEqual(['f']);
  });
}
