/**
 * Conformance cases for prune: finished work that finished before the cutoff goes with its whole
 * journal; ended journal rows older than the run cutoff go on their own; live work and open rows
 * always stay, and so does a finished prerequisite of unfinished work. Each deleted row is counted once.
 */
import { expect, it } from 'vitest';
import { settlementFor, type StoreHarness } from '../store-harness.js';

/**
 * Registers the prune cases.
 *
 * @example
 * describe('prune', () => pruneCases(createStoreHarness(target)));
 */
export function pruneCases(h: StoreHarness): void {
  /** Claims item `id` (each fixture item has its own task name) at `now`. */
  const claim = (id: string, now: number) => h.claimOne(id, { now, taskNames: [id] });

  /**
   * old-done (finished 100), old-failed (200), old-cancelled (300, never ran), edge-done (1000),
   * new-done (2000), running-old (open row since 0), retried (enqueued; one row ended at 50), blocked.
   */
  async function fixture(): Promise<void> {
    const ids = ['old-done', 'old-failed', 'old-cancelled', 'edge-done', 'new-done', 'running-old', 'retried', 'blocked'];
    await h.enqueue(...ids.map((id) => ({ id, taskName: id, state: id === 'blocked' ? ('blocked' as const) : ('enqueued' as const) })));
    await h.store.settle(settlementFor(await claim('old-done', 0), { now: 100 }));
    await h.store.settle(settlementFor(await claim('old-failed', 0), { now: 200, state: 'failed', outcome: 'failed', error: 'x' }));
    await h.store.cancel({ ids: ['old-cancelled'], now: 300 });
    await h.store.settle(settlementFor(await claim('edge-done', 900), { now: 1_000 }));
    await h.store.settle(settlementFor(await claim('new-done', 1_500), { now: 2_000 }));
    await claim('running-old', 0);
    await h.store.settle(settlementFor(await claim('retried', 0), { now: 50, state: 'enqueued', runAt: 99_999, outcome: 'retrying', error: 'x' }));
  }

  const remaining = async () => (await h.store.query({})).map((s) => s.id).sort();
  const journal = async () => (await h.store.runs({})).map((r) => r.workId).sort();

  it('deletes finished work that finished before the cutoff with its journal, and old ended rows of live work', async () => {
    await fixture();
    expect(await h.store.prune({ finishedBefore: 1_000 })).toEqual({ work: 3, runs: 3 });
    expect(await remaining()).toEqual(['blocked', 'edge-done', 'new-done', 'retried', 'running-old']);
    expect(await h.store.get('old-done')).toBeUndefined();
    // retried's ended row went by the default run cutoff; running-old's open row always stays.
    expect(await journal()).toEqual(['edge-done', 'new-done', 'running-old']);
    expect((await h.store.lastRuns(['old-done', 'retried', 'running-old'])).size).toBe(1);
    expect(await h.store.get('running-old')).toMatchObject({ state: 'running' });
    expect(await h.store.get('retried')).toMatchObject({ state: 'enqueued', attempt: 1 });
    expect(await h.store.prune({ finishedBefore: 1_000 })).toEqual({ work: 0, runs: 0 });
  });

  it('prunes only journal rows when finishedBefore is early and runsEndedBefore is late', async () => {
    await fixture();
    expect(await h.store.prune({ finishedBefore: 0, runsEndedBefore: 1_500 })).toEqual({ work: 0, runs: 4 });
    expect(await remaining()).toHaveLength(8);
    expect(await journal()).toEqual(['new-done', 'running-old']);
    expect(await h.store.get('old-done')).toMatchObject({ state: 'succeeded', finishedAt: 100 });
    expect((await h.store.lastRuns(['old-done'])).size).toBe(0);
  });

  it('takes the whole journal of pruned work even when its rows are newer than runsEndedBefore', async () => {
    await fixture();
    expect(await h.store.prune({ finishedBefore: 1_001, runsEndedBefore: 0 })).toEqual({ work: 4, runs: 3 });
    expect(await remaining()).toEqual(['blocked', 'new-done', 'retried', 'running-old']);
    expect(await journal()).toEqual(['new-done', 'retried', 'running-old']);
  });

  it('never deletes live work or open rows, however old', async () => {
    await fixture();
    const result = await h.store.prune({ finishedBefore: Number.MAX_SAFE_INTEGER });
    expect(result).toEqual({ work: 5, runs: 5 });
    expect(await remaining()).toEqual(['blocked', 'retried', 'running-old']);
    expect(await h.store.runs({})).toMatchObject([{ workId: 'running-old', endedAt: null }]);
  });

  it('returns zero counts when there is nothing to prune', async () => {
    expect(await h.store.prune({ finishedBefore: 1_000 })).toEqual({ work: 0, runs: 0 });
    await h.enqueue({ id: 'a' });
    expect(await h.store.prune({ finishedBefore: 1_000, runsEndedBefore: 1_000 })).toEqual({ work: 0, runs: 0 });
    expect(await remaining()).toEqual(['a']);
  });

  it('keeps a finished prerequisite while any dependent is unfinished, and deletes it once they all finish', async () => {
    await h.enqueue({ id: 'p', taskName: 'p' }, { id: 'q', taskName: 'q' }, { id: 'dep', taskName: 'dep', prerequisites: ['p', 'q'] });
    await h.finish('p', 100);
    // dep is blocked on q, so p must stay (the chain rule and the input merger still need it).
    expect(await h.store.prune({ finishedBefore: 10_000, runsEndedBefore: 0 })).toEqual({ work: 0, runs: 0 });
    expect(await h.store.get('p')).toMatchObject({ state: 'succeeded', outputJson: '{"from":"p"}' });

    await h.finish('q', 200);
    // dep is enqueued now, still unfinished: both prerequisites stay.
    expect(await h.store.get('dep')).toMatchObject({ state: 'enqueued' });
    expect(await h.store.prune({ finishedBefore: 10_000, runsEndedBefore: 0 })).toEqual({ work: 0, runs: 0 });
    expect(await remaining()).toEqual(['dep', 'p', 'q']);

    await h.finish('dep', 300);
    expect(await h.store.prune({ finishedBefore: 10_000, runsEndedBefore: 0 })).toEqual({ work: 3, runs: 3 });
    expect(await remaining()).toEqual([]);
  });

  it('deletes a prerequisite whose dependents the chain rule finished, and keeps one a live item still waits on', async () => {
    await h.enqueue(
      { id: 'root', taskName: 'root' },
      { id: 'shared', taskName: 'shared' },
      { id: 'x', taskName: 'x' },
      { id: 'child', prerequisites: ['root'] },
      { id: 'waiting', prerequisites: ['shared', 'x'] },
    );
    await h.finish('root', 100, 'failed');
    await h.finish('shared', 100);
    expect(await h.store.get('child')).toMatchObject({ state: 'failed', finishedAt: 100 });
    expect(await h.store.prune({ finishedBefore: 1_000, runsEndedBefore: 0 })).toEqual({ work: 2, runs: 1 });
    expect(await remaining()).toEqual(['shared', 'waiting', 'x']);
  });
}
