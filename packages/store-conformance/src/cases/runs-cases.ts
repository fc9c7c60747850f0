/**
 * Conformance cases for the run journal: runs (filters, newest first by startedAt then row id,
 * paging) and lastRuns (the highest row per item). Open rows have no outcome and must show as such.
 */
import { expect, it } from 'vitest';
import type { RunQuery } from '@offstage/core';
import { settlementFor, WORKER_B, type StoreHarness } from '../store-harness.js';

/**
 * Registers the journal cases.
 *
 * @example
 * describe('runs and lastRuns', () => runsCases(createStoreHarness(target)));
 */
export function runsCases(h: StoreHarness): void {
  /** a: retrying at 10-20 then failed at 30-40; b: succeeded at 10-15; c: open since 30; d: never ran. */
  async function journal() {
    await h.enqueue(
      { id: 'a', taskName: 'sync' },
      { id: 'b', taskName: 'upload' },
      { id: 'c', taskName: 'sync', runAt: 30 },
      { id: 'd', taskName: 'sync', state: 'blocked' },
    );
    const taskNames = ['sync', 'upload'];
    const a1 = await h.claimOne('a', { now: 10, taskNames });
    const b1 = await h.claimOne('b', { now: 10, taskNames, workerId: WORKER_B });
    await h.store.settle(settlementFor(a1, { now: 20, state: 'enqueued', runAt: 30, lastError: 'e1', outcome: 'retrying', error: 'e1' }));
    await h.store.settle(settlementFor(b1, { now: 15, outputJson: '{}' }));
    const a2 = await h.claimOne('a', { now: 30, taskNames });
    const c1 = await h.claimOne('c', { now: 30, taskNames });
    await h.store.settle(settlementFor(a2, { now: 40, state: 'failed', lastError: 'e2', outcome: 'failed', error: 'e2' }));
    return { a1: a1.run.id, b1: b1.run.id, a2: a2.run.id, c1: c1.run.id };
  }

  it('lists journal rows newest first: by startedAt, then by row id', async () => {
    const r = await journal();
    const runs = await h.store.runs({});
    expect(runs.map((x) => x.id)).toEqual([r.c1, r.a2, r.b1, r.a1]);
    expect(runs.map((x) => [x.workId, x.taskName, x.attempt, x.startedAt, x.endedAt, x.outcome, x.error])).toEqual([
      ['c', 'sync', 1, 30, null, null, null],
      ['a', 'sync', 2, 30, 40, 'failed', 'e2'],
      ['b', 'upload', 1, 10, 15, 'succeeded', null],
      ['a', 'sync', 1, 10, 20, 'retrying', 'e1'],
    ]);
    expect(runs[2]?.workerId).toBe(WORKER_B);
  });

  it('filters by work id, task names, outcomes and since, and pages', async () => {
    const r = await journal();
    const ids = async (query: RunQuery) => (await h.store.runs(query)).map((x) => x.id);
    expect(await ids({ workId: 'a' })).toEqual([r.a2, r.a1]);
    expect(await ids({ workId: 'd' })).toEqual([]);
    expect(await ids({ workId: 'unknown' })).toEqual([]);
    expect(await ids({ taskNames: ['upload'] })).toEqual([r.b1]);
    expect(await ids({ taskNames: ['sync', 'upload'] })).toEqual([r.c1, r.a2, r.b1, r.a1]);
    expect(await ids({ outcomes: ['succeeded', 'failed'] })).toEqual([r.a2, r.b1]);
    expect(await ids({ outcomes: ['retrying'] })).toEqual([r.a1]);
    expect(await ids({ outcomes: ['stopped', 'cancelled'] })).toEqual([]);
    expect(await ids({ since: 30 })).toEqual([r.c1, r.a2]);
    expect(await ids({ since: 11 })).toEqual([r.c1, r.a2]);
    expect(await ids({ since: 10 })).toEqual([r.c1, r.a2, r.b1, r.a1]);
    expect(await ids({ workId: 'a', since: 0, outcomes: ['retrying'], taskNames: ['sync'] })).toEqual([r.a1]);
    expect(await ids({ limit: 2, offset: 1 })).toEqual([r.a2, r.b1]);
    expect(await ids({ offset: 3 })).toEqual([r.a1]);
    expect(await ids({ taskNames: [] })).toEqual([]);
  });

  it('returns at most 100 rows when no limit is given', async () => {
    await h.enqueue(...Array.from({ length: 101 }, (_, i) => ({ id: `w${i}` })));
    expect(await h.claim({ limit: 200 })).toHaveLength(101);
    expect(await h.store.runs({})).toHaveLength(100);
    expect(await h.store.runs({ offset: 100 })).toHaveLength(1);
  });

  it('returns copies of journal rows', async () => {
    await h.enqueue({ id: 'w' });
    await h.claimOne('w');
    const [row] = await h.store.runs({});
    if (!row) throw new Error('missing');
    row.outcome = 'failed';
    row.endedAt = 1;
    expect((await h.store.runs({}))[0]).toMatchObject({ outcome: null, endedAt: null });
    const last = (await h.store.lastRuns(['w'])).get('w');
    if (!last) throw new Error('missing');
    last.outcome = 'failed';
    expect((await h.store.lastRuns(['w'])).get('w')?.outcome).toBeNull();
  });

  it('lastRuns gives the most recent row of each given item, and omits items without rows', async () => {
    const r = await journal();
    const last = await h.store.lastRuns(['a', 'b', 'c', 'd', 'unknown']);
    expect([...last.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(last.get('a')).toMatchObject({ id: r.a2, outcome: 'failed', attempt: 2 });
    expect(last.get('b')).toMatchObject({ id: r.b1, outcome: 'succeeded' });
    expect(last.get('c')).toMatchObject({ id: r.c1, outcome: null, endedAt: null });
    expect(last.get('a')).toStrictEqual((await h.store.runs({ workId: 'a' }))[0]);
    expect((await h.store.lastRuns([])).size).toBe(0);
  });

  it('lastRuns breaks a startedAt tie by the higher row id', async () => {
    await h.enqueue({ id: 'w' });
    const first = await h.claimOne('w', { now: 50 });
    await h.store.settle(settlementFor(first, { now: 50, state: 'enqueued', runAt: 50, outcome: 'stopped', stopReason: 'shutdown', attempt: 0 }));
    const second = await h.claimOne('w', { now: 50 });
    expect((await h.store.lastRuns(['w'])).get('w')?.id).toBe(second.run.id);
    expect((await h.store.runs({ workId: 'w' })).map((x) => x.id)).toEqual([second.run.id, first.run.id]);
  });
}
