/**
 * Many claimers at once, on real connections: every item is claimed exactly once however the
 * claims interleave (`for update skip locked`), per-task limits hold across claimers, unique
 * enqueues of one name serialise across pools, a chain whose two prerequisites settle at the same
 * moment is released exactly once, and a dependent enqueued while its prerequisite settles is
 * never stranded.
 */
import { describe, expect, it } from 'vitest';
import { makeSpec } from '@offstage/store-conformance';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();

describe('concurrent claims', () => {
  it('16 claimers on 4 stores claim 3,000 items exactly once each', async () => {
    await db.truncate();
    const stores = Array.from({ length: 4 }, () => db.open({ maxConnections: 4 }));
    try {
      await stores[0]!.enqueue(Array.from({ length: 3_000 }, (_, i) => makeSpec({ id: `item-${i}`, priority: [0, 10, 20, 30][i % 4], runAt: i % 50 })));
      const claimers = Array.from({ length: 16 }, async (_, c) => {
        const store = stores[c % stores.length]!;
        const ids: string[] = [];
        const runIds: number[] = [];
        for (;;) {
          const claimed = await store.claim({ now: 1_000, workerId: `claimer-${c}`, leaseMs: 60_000, limit: 7, taskNames: ['noop'] });
          if (claimed.length === 0) return { ids, runIds };
          for (const { spec, run } of claimed) {
            ids.push(spec.id);
            runIds.push(run.id);
            expect(spec).toMatchObject({ state: 'running', attempt: 1, leaseToken: 1, leaseOwner: `claimer-${c}` });
          }
        }
      });
      const results = await Promise.all(claimers);
      const all = results.flatMap((r) => r.ids);
      expect(all).toHaveLength(3_000);
      expect(new Set(all).size).toBe(3_000);
      expect(new Set(results.flatMap((r) => r.runIds)).size).toBe(3_000);
      expect(results.filter((r) => r.ids.length > 0).length).toBeGreaterThan(1);
      const [counts] = await db.sql<{ running: string; runs: string }>(
        "select count(*) filter (where state = 'running') as running, (select count(*) from offstage.runs) as runs from offstage.work",
      );
      expect(counts).toEqual({ running: '3000', runs: '3000' });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('never runs more than a task limit, with 8 claimers racing on 2 stores', async () => {
    await db.truncate();
    const stores = [db.open(), db.open()];
    try {
      await stores[0]!.enqueue(Array.from({ length: 60 }, (_, i) => makeSpec({ id: `s-${i}`, taskName: 'sync' })));
      let peak = 0;
      let total = 0;
      const claimer = async (c: number): Promise<number> => {
        const store = stores[c % 2]!;
        let done = 0;
        for (let idle = 0; idle < 500 && total < 60; ) {
          const claimed = await store.claim({ now: 1, workerId: `c${c}`, leaseMs: 60_000, limit: 2, taskNames: ['sync'], taskLimits: { sync: 3 } });
          const [{ n }] = (await db.sql<{ n: string }>("select count(*) as n from offstage.work where state = 'running'")) as [{ n: string }];
          peak = Math.max(peak, Number(n));
          if (claimed.length === 0) {
            idle++;
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
          for (const { spec, run } of claimed) {
            await store.settle({ id: spec.id, leaseToken: spec.leaseToken, runId: run.id, now: 2, state: 'succeeded', attempt: 1, outcome: 'succeeded', error: null, stopReason: null });
            done++;
            total++;
          }
        }
        return done;
      };
      const done = await Promise.all(Array.from({ length: 8 }, (_, c) => claimer(c)));
      expect(done.reduce((a, b) => a + b, 0)).toBe(60);
      expect(peak).toBeLessThanOrEqual(3);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('releases a dependent exactly once when its two prerequisites settle at the same moment', async () => {
    const store = db.open();
    const other = db.open();
    try {
      for (let round = 0; round < 25; round++) {
        await db.truncate();
        await store.enqueue([makeSpec({ id: 'a', taskName: 'a' }), makeSpec({ id: 'b', taskName: 'b' }), makeSpec({ id: 'd', taskName: 'd', prerequisites: ['a', 'b'] })]);
        const [a] = await store.claim({ now: 1, workerId: 'w1', leaseMs: 60_000, limit: 1, taskNames: ['a'] });
        const [b] = await other.claim({ now: 1, workerId: 'w2', leaseMs: 60_000, limit: 1, taskNames: ['b'] });
        const settle = (s: typeof store, c: typeof a) =>
          s.settle({ id: c!.spec.id, leaseToken: c!.spec.leaseToken, runId: c!.run.id, now: 5, state: 'succeeded', attempt: 1, outcome: 'succeeded', error: null, stopReason: null });
        expect(await Promise.all([settle(store, a), settle(other, b)])).toEqual([true, true]);
        expect(await store.get('d')).toMatchObject({ state: 'enqueued', runAt: 5, updatedAt: 5 });
      }
    } finally {
      await Promise.all([store.close(), other.close()]);
    }
  });

  it('serialises unique enqueues of one name across 8 stores (8 pools): exactly one keep plan inserts', async () => {
    await db.truncate();
    const stores = Array.from({ length: 8 }, () => db.open({ maxConnections: 2 }));
    try {
      const results = await Promise.all(
        stores.map((store, i) =>
          store.enqueueUnique('nightly', i, (existing) =>
            existing.some((s) => s.state === 'enqueued') ? { insert: [], cancel: [], update: [] } : { insert: [makeSpec({ id: `n-${i}`, uniqueName: 'nightly' })], cancel: [], update: [] },
          ),
        ),
      );
      expect(await stores[0]!.query({ uniqueNames: ['nightly'] })).toHaveLength(1);
      expect(results.filter((r) => r.existing.length === 0)).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('never strands a new dependent of an item that is being settled at the same moment', async () => {
    const store = db.open();
    const other = db.open();
    try {
      for (let round = 0; round < 25; round++) {
        await db.truncate();
        await store.enqueue([makeSpec({ id: 'a', taskName: 'a' })]);
        const [a] = await store.claim({ now: 1, workerId: 'w1', leaseMs: 60_000, limit: 1, taskNames: ['a'] });
        const outcome = round % 2 === 0 ? 'succeeded' : 'failed';
        await Promise.all([
          store.settle({ id: 'a', leaseToken: a!.spec.leaseToken, runId: a!.run.id, now: 5, state: outcome, attempt: 1, outcome, error: null, stopReason: null }),
          other.enqueue([makeSpec({ id: 'd', taskName: 'd', prerequisites: ['a'], createdAt: 3 })]),
        ]);
        const d = await store.get('d');
        // Whichever committed first, d is never left blocked on a finished prerequisite.
        expect(d?.state).toBe(outcome === 'succeeded' ? 'enqueued' : 'failed');
      }
    } finally {
      await Promise.all([store.close(), other.close()]);
    }
  });
});
