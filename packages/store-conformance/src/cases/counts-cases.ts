/**
 * Conformance cases for counts: one row per task name and state that has items, with `due` counting
 * the enqueued items whose runAt has come. Row order is not part of the contract.
 */
import { expect, it } from 'vitest';
import type { CountRow } from '@offstage/core';
import { settlementFor, type StoreHarness } from '../store-harness.js';

const byKey = (a: CountRow, b: CountRow): number => a.taskName.localeCompare(b.taskName) || a.state.localeCompare(b.state);

/**
 * Registers the counts cases.
 *
 * @example
 * describe('counts', () => countsCases(createStoreHarness(target)));
 */
export function countsCases(h: StoreHarness): void {
  it('is empty for an empty store', async () => {
    expect(await h.store.counts(0)).toEqual([]);
  });

  it('counts by task name and state, only non-zero rows, with due for enqueued items', async () => {
    await h.enqueue(
      { id: 's1', taskName: 'sync', runAt: 0 },
      { id: 's2', taskName: 'sync', runAt: 50 },
      { id: 's3', taskName: 'sync', runAt: 100 },
      { id: 's4', taskName: 'sync', state: 'blocked' },
      { id: 'u1', taskName: 'upload' },
      { id: 'u2', taskName: 'upload' },
      { id: 'u3', taskName: 'upload' },
    );
    const taskNames = ['upload'];
    await h.claimOne('u1', { taskNames });
    const u2 = await h.claimOne('u2', { taskNames });
    const u3 = await h.claimOne('u3', { taskNames });
    await h.store.settle(settlementFor(u2, { now: 1 }));
    await h.store.settle(settlementFor(u3, { now: 1, state: 'failed', outcome: 'failed', error: 'x' }));

    const expected: CountRow[] = [
      { taskName: 'sync', state: 'enqueued', count: 3, due: 2 },
      { taskName: 'sync', state: 'blocked', count: 1, due: 0 },
      { taskName: 'upload', state: 'running', count: 1, due: 0 },
      { taskName: 'upload', state: 'succeeded', count: 1, due: 0 },
      { taskName: 'upload', state: 'failed', count: 1, due: 0 },
    ];
    expect((await h.store.counts(50)).sort(byKey)).toEqual(expected.sort(byKey));
    const dueAt = async (now: number) => (await h.store.counts(now)).find((r) => r.taskName === 'sync' && r.state === 'enqueued')?.due;
    expect(await dueAt(49)).toBe(1);
    expect(await dueAt(100)).toBe(3);
  });

  it('follows items as they change state', async () => {
    await h.enqueue({ id: 'a' }, { id: 'b' });
    await h.store.cancel({ ids: ['a'], now: 1 });
    const expected: CountRow[] = [
      { taskName: 'noop', state: 'cancelled', count: 1, due: 0 },
      { taskName: 'noop', state: 'enqueued', count: 1, due: 1 },
    ];
    expect((await h.store.counts(1)).sort(byKey)).toEqual(expected.sort(byKey));
    await h.store.cancel({ ids: ['b'], now: 2 });
    expect(await h.store.counts(2)).toEqual([{ taskName: 'noop', state: 'cancelled', count: 2, due: 0 }]);
  });
}
