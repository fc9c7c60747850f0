/**
 * Conformance cases for enqueueUnique: the plan sees every item of its name (and only those),
 * oldest first; its cancels, updates and inserts apply in one step with the chain rule after; a
 * plan that throws or an insert that is rejected changes nothing; two unique enqueues of one name
 * never interleave. The plans here are stand-ins for core's keep / replace / append policies.
 */
import { expect, it } from 'vitest';
import type { UniquePlan, WorkSpec } from '@offstage/core';
import { makeSpec, type SpecOverrides } from '../make-spec.js';
import { settlementFor, type StoreHarness } from '../store-harness.js';

/** A plan that does nothing. */
const NOTHING: UniquePlan = { insert: [], cancel: [], update: [] };

/** The leaves of a unique chain, as append finds them: the items no other item of the name depends on. */
function leaves(existing: WorkSpec[]): string[] {
  const depended = new Set(existing.flatMap((spec) => spec.prerequisites));
  return existing.filter((spec) => !depended.has(spec.id)).map((spec) => spec.id);
}

/**
 * Registers the unique-work cases.
 *
 * @example
 * describe('unique work', () => uniqueCases(createStoreHarness(target)));
 */
export function uniqueCases(h: StoreHarness): void {
  /** An item named `name`, whose task name is its id so `h.finish` can run it alone. */
  const named = (id: string, name: string | null, extra: Partial<SpecOverrides> = {}): SpecOverrides => ({ id, taskName: id, uniqueName: name, ...extra });

  it('hands the plan every item of the name in any state, oldest first, and only those', async () => {
    // Ids sort against insertion order, so a store ordering by id fails.
    await h.enqueue(named('z-done', 'sync'), named('y-other', 'upload'), named('x-plain', null), named('w-running', 'sync'));
    await h.enqueue(named('v-blocked', 'sync', { prerequisites: ['w-running'] }), named('u-dropped', 'sync'), named('t-queued', 'sync', { runAt: 9_000 }));
    await h.finish('z-done', 10);
    await h.claimOne('w-running', { now: 20, taskNames: ['w-running'] });
    await h.store.cancel({ ids: ['u-dropped'], now: 30 });
    const expected = await Promise.all(['z-done', 'w-running', 'v-blocked', 'u-dropped', 't-queued'].map((id) => h.store.get(id)));

    const seen: WorkSpec[][] = [];
    const result = await h.store.enqueueUnique('sync', 40, (existing) => {
      seen.push(structuredClone(existing));
      // The plan's copies are its own: changing them must not reach the store.
      for (const spec of existing) {
        spec.state = 'failed';
        spec.tags.push('mutated');
      }
      return NOTHING;
    });
    expect(seen).toStrictEqual([expected]);
    expect(result).toStrictEqual({ existing: expected, cancelled: [] });
    expect(await Promise.all(expected.map((spec) => h.store.get(spec?.id ?? '')))).toStrictEqual(expected);
  });

  it('hands the plan an empty list for a name nobody uses yet', async () => {
    await h.enqueue(named('a', 'other'), named('b', null));
    const calls: WorkSpec[][] = [];
    expect(await h.store.enqueueUnique('fresh', 0, (existing) => (calls.push(existing), NOTHING))).toStrictEqual({ existing: [], cancelled: [] });
    expect(calls).toStrictEqual([[]]);
  });

  it('keep-like: a plan that inserts nothing changes nothing', async () => {
    await h.enqueue(named('a', 'sync'), named('b', 'sync'));
    const before = await h.store.query({});
    const result = await h.store.enqueueUnique('sync', 50, (existing) =>
      existing.length ? NOTHING : { ...NOTHING, insert: [makeSpec(named('c', 'sync'))] },
    );
    expect(result.existing.map((s) => s.id)).toEqual(['a', 'b']);
    expect(result.cancelled).toEqual([]);
    expect(await h.store.query({})).toStrictEqual(before);
  });

  it('replace-like: cancels the existing work (a running owner fenced off) and inserts the new item', async () => {
    await h.enqueue(named('old-running', 'sync'), named('old-queued', 'sync'), named('old-done', 'sync'), named('bystander', 'upload'));
    await h.finish('old-done', 5);
    const claimed = await h.claimOne('old-running', { now: 10, taskNames: ['old-running'] });
    const replacement = makeSpec(named('new', 'sync', { createdAt: 50, updatedAt: 50, runAt: 50, inputJson: '{"v":2}' }));
    const before = await Promise.all(['old-running', 'old-queued', 'old-done'].map((id) => h.store.get(id)));

    const result = await h.store.enqueueUnique('sync', 50, (existing) => ({
      insert: [replacement],
      // Like core's replace, it lists every item; finished ones are not cancelled and not returned.
      cancel: existing.map((spec) => spec.id),
      update: [],
    }));

    // The result shows the items as the plan read them, before its own cancels.
    expect(result.existing).toStrictEqual(before);
    expect(result.cancelled.sort()).toEqual(['old-queued', 'old-running']);
    const running = await h.store.get('old-running');
    expect(running).toMatchObject({ state: 'cancelled', finishedAt: 50, updatedAt: 50, leaseOwner: null, leaseExpiresAt: null });
    expect(running?.leaseToken).toBeGreaterThan(claimed.spec.leaseToken);
    expect(await h.store.runs({ workId: 'old-running' })).toStrictEqual([
      { ...claimed.run, endedAt: 50, outcome: 'cancelled', error: null, stopReason: 'cancelled' },
    ]);
    expect(await h.store.settle(settlementFor(claimed, { now: 60 }))).toBe(false);
    expect(await h.store.get('old-queued')).toMatchObject({ state: 'cancelled', finishedAt: 50 });
    expect(await h.store.get('old-done')).toMatchObject({ state: 'succeeded', finishedAt: 5 });
    expect(await h.store.get('bystander')).toMatchObject({ state: 'enqueued' });
    expect(await h.store.get('new')).toStrictEqual(replacement);
    expect((await h.claim({ now: 50, taskNames: ['new'] })).map((c) => c.spec.id)).toEqual(['new']);
  });

  it('append-like: inserts items that wait on the existing leaves, resolved by the chain rule', async () => {
    const append = (id: string, now: number) => (existing: WorkSpec[]): UniquePlan => ({
      ...NOTHING,
      insert: [makeSpec(named(id, 'sync', { prerequisites: leaves(existing), createdAt: now, updatedAt: now, runAt: now }))],
    });
    await h.enqueue(named('first', 'sync'));
    await h.finish('first', 10);

    // The only leaf already succeeded: the appended item is due at once.
    await h.store.enqueueUnique('sync', 20, append('second', 20));
    expect(await h.store.get('second')).toMatchObject({ state: 'enqueued', prerequisites: ['first'], runAt: 20, updatedAt: 20 });

    // The leaf is now unfinished: the next one waits, and is enqueued when it succeeds.
    await h.store.enqueueUnique('sync', 30, append('third', 30));
    expect(await h.store.get('third')).toMatchObject({ state: 'blocked', prerequisites: ['second'] });
    await h.finish('second', 40);
    expect(await h.store.get('third')).toMatchObject({ state: 'enqueued', runAt: 40, updatedAt: 40 });

    // A failed leaf fails what is appended to it.
    await h.finish('third', 50, 'failed');
    await h.store.enqueueUnique('sync', 60, append('fourth', 60));
    expect(await h.store.get('fourth')).toMatchObject({ state: 'failed', lastError: 'Prerequisite third failed.', finishedAt: 60, updatedAt: 60 });
  });

  it('cancels an insert that waits on an item the same plan cancels', async () => {
    await h.enqueue(named('a', 'sync'));
    const result = await h.store.enqueueUnique('sync', 70, () => ({
      insert: [makeSpec(named('b', 'sync', { prerequisites: ['a'], createdAt: 70 }))],
      cancel: ['a'],
      update: [],
    }));
    expect(result.cancelled).toEqual(['a']);
    expect(await h.store.get('b')).toMatchObject({ state: 'cancelled', finishedAt: 70, updatedAt: 70 });
  });

  it('update-like: changes existing unfinished items in place, leaving finished ones alone', async () => {
    await h.enqueue(named('live', 'refresh', { runAt: 1_000 }), named('gone', 'refresh'));
    await h.finish('gone', 5);
    const gone = await h.store.get('gone');
    const schedule = { kind: 'interval', intervalMs: 7_200_000, flexMs: 0, endOnFailure: false } as const;
    const result = await h.store.enqueueUnique('refresh', 80, (existing) => ({
      ...NOTHING,
      update: existing.map((spec) => ({ id: spec.id, fields: { inputJson: '{"v":3}', schedule, priority: 20 } })),
    }));
    expect(result.cancelled).toEqual([]);
    expect(await h.store.get('live')).toMatchObject({ state: 'enqueued', inputJson: '{"v":3}', schedule, priority: 20, runAt: 1_000, updatedAt: 80 });
    expect(await h.store.get('gone')).toStrictEqual(gone);
  });

  it('changes nothing when the plan throws, and passes its error on', async () => {
    await h.enqueue(named('a', 'sync'), named('b', 'sync'));
    const before = await h.store.query({});
    const boom = new Error('plan refused');
    await expect(
      h.store.enqueueUnique('sync', 90, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await h.store.query({})).toStrictEqual(before);
    // The name is not left locked: the next unique enqueue proceeds.
    await h.store.enqueueUnique('sync', 91, () => ({ ...NOTHING, insert: [makeSpec(named('c', 'sync'))] }));
    expect((await h.store.query({ uniqueNames: ['sync'] })).map((s) => s.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('changes nothing when an insert is rejected, not even the cancels and updates of the same plan', async () => {
    await h.enqueue(named('a', 'sync'), named('b', 'sync'));
    const before = await h.store.query({});
    await expect(
      h.store.enqueueUnique('sync', 95, () => ({
        insert: [makeSpec(named('c', 'sync')), makeSpec(named('d', 'sync', { prerequisites: ['unknown'] }))],
        cancel: ['a'],
        update: [{ id: 'b', fields: { priority: 30 } }],
      })),
    ).rejects.toThrow();
    expect(await h.store.query({})).toStrictEqual(before);
  });

  it('serialises unique enqueues of one name: two keep plans started together leave exactly one item', async () => {
    const keep = (id: string) => (existing: WorkSpec[]): UniquePlan =>
      existing.length ? NOTHING : { ...NOTHING, insert: [makeSpec(named(id, 'once'))] };
    // Started without awaiting in between, so a store that reads both before either writes fails.
    const [first, second] = await Promise.all([h.store.enqueueUnique('once', 0, keep('one')), h.store.enqueueUnique('once', 0, keep('two'))]);
    const stored = await h.store.query({ uniqueNames: ['once'] });
    expect(stored).toHaveLength(1);
    const winner = stored[0]?.id;
    expect([first.existing.length, second.existing.length].sort()).toEqual([0, 1]);
    expect([...first.existing, ...second.existing].map((s) => s.id)).toEqual([winner]);
  });

  it('queries by uniqueNames: any of the names, never items without one', async () => {
    await h.enqueue(named('a', 'sync'), named('b', 'upload', { state: 'blocked' }), named('c', null), named('d', 'sync', { tags: ['x'] }));
    const ids = async (uniqueNames: string[], extra = {}) => (await h.store.query({ uniqueNames, ...extra })).map((s) => s.id).sort();
    expect(await ids(['sync'])).toEqual(['a', 'd']);
    expect(await ids(['sync', 'upload', 'missing'])).toEqual(['a', 'b', 'd']);
    expect(await ids(['sync'], { tags: ['x'] })).toEqual(['d']);
    expect(await ids(['upload'], { states: ['enqueued'] })).toEqual([]);
    expect(await ids([])).toEqual([]);
  });
}
