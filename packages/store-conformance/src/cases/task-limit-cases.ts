/**
 * Conformance cases for claim's per-task limits and expedited rank: a limited task never has more
 * than its limit `running` across every worker, items beyond it are skipped while other tasks are
 * still claimed in order, and expedited work (rank 40) goes ahead of every priority.
 */
import { expect, it } from 'vitest';
import { EXPEDITED_RANK, PRIORITY_RANK } from '@offstage/core';
import { settlementFor, WORKER_A, WORKER_B, type StoreHarness } from '../store-harness.js';

/**
 * Registers the task-limit cases.
 *
 * @example
 * describe('task limits', () => taskLimitCases(createStoreHarness(target)));
 */
export function taskLimitCases(h: StoreHarness): void {
  const ids = (claimed: Array<{ spec: { id: string } }>) => claimed.map((c) => c.spec.id);

  it('claims none of a task already at its limit (held by another worker) but still claims other tasks', async () => {
    await h.enqueue({ id: 's1', taskName: 'sync' }, { id: 's2', taskName: 'sync', priority: 30 }, { id: 'e1', taskName: 'email' });
    const held = await h.claimOne('s2', { workerId: WORKER_B, taskNames: ['sync'] });
    const claimed = await h.claim({ workerId: WORKER_A, taskNames: ['sync', 'email'], taskLimits: { sync: 1 } });
    expect(ids(claimed)).toEqual(['e1']);
    expect(await h.store.get('s1')).toMatchObject({ state: 'enqueued', attempt: 0, leaseToken: 0 });

    // Once the running one settles, there is room again.
    await h.store.settle(settlementFor(held, { now: 5 }));
    expect(ids(await h.claim({ now: 5, taskNames: ['sync'], taskLimits: { sync: 1 } }))).toEqual(['s1']);
  });

  it('reads a limit past the safe integers (a claim limit, a task limit, a page size) as no limit, never as a store error', async () => {
    await h.enqueue({ id: 'a', taskName: 'sync' }, { id: 'b', taskName: 'sync' }, { id: 'c', taskName: 'email' });
    const claimed = await h.claim({ limit: 1e300, taskNames: ['sync', 'email'], taskLimits: { sync: 1e300, email: Number.MAX_SAFE_INTEGER } });
    expect(ids(claimed).sort()).toEqual(['a', 'b', 'c']);
    expect(await h.store.query({ limit: 1e300 })).toHaveLength(3);
    expect(await h.store.query({ limit: 1e300, offset: 1e300 })).toEqual([]);
    expect(await h.store.runs({ limit: 1e300 })).toHaveLength(3);
    expect(await h.store.typicalDurations(['sync'], 1e300)).toEqual(new Map());
  });

  it('counts a running item whose lease expired until reconcile returns it', async () => {
    await h.enqueue({ id: 'a', taskName: 'sync', priority: 20 }, { id: 'b', taskName: 'sync' });
    await h.claimOne('a', { workerId: WORKER_B, taskNames: ['sync'], leaseMs: 10 });
    expect(await h.claim({ now: 1_000, taskNames: ['sync'], taskLimits: { sync: 1 } })).toEqual([]);
    expect(await h.store.reconcile(1_000)).toEqual(['a']);
    expect(ids(await h.claim({ now: 1_000, taskNames: ['sync'], taskLimits: { sync: 1 } }))).toEqual(['a']);
  });

  it('takes at most the limit from a larger batch, the best ones in claim order, then one more after a settle', async () => {
    await h.enqueue(
      { id: 'w0', taskName: 'upload', priority: 0 },
      { id: 'w1', taskName: 'upload', priority: 20, runAt: 5 },
      { id: 'w2', taskName: 'upload', priority: 10 },
      { id: 'w3', taskName: 'upload', priority: 20, runAt: 1 },
      { id: 'w4', taskName: 'upload', priority: 10 },
    );
    const limits = { upload: 2 };
    const first = await h.claim({ now: 10, taskNames: ['upload'], taskLimits: limits });
    expect(ids(first)).toEqual(['w3', 'w1']);
    expect(await h.claim({ now: 10, taskNames: ['upload'], taskLimits: limits })).toEqual([]);

    // A retry settles back to enqueued: that frees a slot as much as a success does.
    const [w3] = first;
    if (!w3) throw new Error('missing');
    await h.store.settle(settlementFor(w3, { now: 20, state: 'enqueued', runAt: 1_000, outcome: 'retrying', error: 'x' }));
    expect(ids(await h.claim({ now: 20, taskNames: ['upload'], taskLimits: limits }))).toEqual(['w2']);
    expect(await h.claim({ now: 20, taskNames: ['upload'], taskLimits: limits })).toEqual([]);
    expect((await h.store.query({ states: ['running'] })).map((s) => s.id).sort()).toEqual(['w1', 'w2']);
  });

  it('skips over-limit items but fills the claim with other tasks, in claim order', async () => {
    await h.enqueue(
      { id: 'hi-1', taskName: 'heavy', priority: 30 },
      { id: 'hi-2', taskName: 'heavy', priority: 30 },
      { id: 'hi-3', taskName: 'heavy', priority: 30 },
      { id: 'lo-1', taskName: 'light', priority: 0 },
      { id: 'mid-1', taskName: 'light', priority: 10 },
      { id: 'none', taskName: 'zero', priority: 40 },
    );
    const claimed = await h.claim({ limit: 3, taskNames: ['heavy', 'light', 'zero'], taskLimits: { heavy: 1, zero: 0, unrelated: 5 } });
    expect(ids(claimed)).toEqual(['hi-1', 'mid-1', 'lo-1']);
    expect(await h.store.get('none')).toMatchObject({ state: 'enqueued' });
    // A limit for a task the claim does not list changes nothing, and unlimited tasks have no cap.
    await h.enqueue(...Array.from({ length: 4 }, (_, i) => ({ id: `free-${i}`, taskName: 'free' })));
    expect(await h.claim({ taskNames: ['free'], taskLimits: { heavy: 0 } })).toHaveLength(4);
  });

  it('claims expedited work (rank 40) before critical (30), whatever its runAt or insertion', async () => {
    expect(EXPEDITED_RANK).toBeGreaterThan(PRIORITY_RANK.critical);
    await h.enqueue({ id: 'critical', priority: PRIORITY_RANK.critical, runAt: 0 }, { id: 'normal', priority: PRIORITY_RANK.normal });
    await h.enqueue({ id: 'expedited', priority: EXPEDITED_RANK, runAt: 50 });
    expect(ids(await h.claim({ now: 100, limit: 1 }))).toEqual(['expedited']);
    expect(ids(await h.claim({ now: 100 }))).toEqual(['critical', 'normal']);
  });
}
