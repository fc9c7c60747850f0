/**
 * Conformance cases for claim: which items are taken (due, enqueued, listed task names, limit), in
 * what order (priority, then runAt, then insertion), what a claim writes, and that no item is ever
 * handed out twice. A store that orders by id or createdAt instead of insertion must fail here.
 */
import { expect, it } from 'vitest';
import type { SpecOverrides } from '../make-spec.js';
import { LEASE_MS, settlementFor, WORKER_A, WORKER_B, type StoreHarness } from '../store-harness.js';

/**
 * Items whose claim order is x, k, m, b, p, a, c. Ids, createdAt and batch boundaries are chosen so
 * that ordering by id, by createdAt, or ignoring runAt each gives a different answer.
 */
const ORDER_BATCH_1: SpecOverrides[] = [
  { id: 'p', priority: 10, runAt: 20, createdAt: 5 },
  { id: 'c', priority: 0, runAt: 0, createdAt: 0 },
  { id: 'x', priority: 30, runAt: 90, createdAt: 0 },
  { id: 'm', priority: 10, runAt: 10, createdAt: 9 },
];
const ORDER_BATCH_2: SpecOverrides[] = [
  { id: 'b', priority: 10, runAt: 10, createdAt: 1 },
  { id: 'a', priority: 10, runAt: 20, createdAt: 0 },
  { id: 'k', priority: 20, runAt: 100, createdAt: 0 },
];
const CLAIM_ORDER = ['x', 'k', 'm', 'b', 'p', 'a', 'c'];

/** A small deterministic generator (mulberry32), so the large case is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Registers the claim cases.
 *
 * @example
 * describe('claim', () => claimCases(createStoreHarness(target)));
 */
export function claimCases(h: StoreHarness): void {
  it('takes items by priority (high first), then runAt, then insertion order, one at a time', async () => {
    await h.enqueue(...ORDER_BATCH_1);
    await h.enqueue(...ORDER_BATCH_2);
    const taken: string[] = [];
    for (let i = 0; i < CLAIM_ORDER.length; i++) {
      const claimed = await h.claim({ now: 100, limit: 1 });
      expect(claimed).toHaveLength(1);
      taken.push(claimed[0]?.spec.id ?? '?');
    }
    expect(taken).toEqual(CLAIM_ORDER);
    expect(await h.claim({ now: 100 })).toEqual([]);
  });

  it('returns a batch in claim order and takes the best items when limited', async () => {
    await h.enqueue(...ORDER_BATCH_1);
    await h.enqueue(...ORDER_BATCH_2);
    const top = await h.claim({ now: 100, limit: 3 });
    expect(top.map((c) => c.spec.id)).toEqual(CLAIM_ORDER.slice(0, 3));
    const rest = await h.claim({ now: 100, limit: 100 });
    expect(rest.map((c) => c.spec.id)).toEqual(CLAIM_ORDER.slice(3));
  });

  it('takes only items that are due (runAt <= now)', async () => {
    await h.enqueue({ id: 'early', runAt: 99 }, { id: 'exact', runAt: 100 }, { id: 'late', runAt: 101, priority: 30 });
    const claimed = await h.claim({ now: 100 });
    expect(claimed.map((c) => c.spec.id).sort()).toEqual(['early', 'exact']);
    expect((await h.store.get('late'))?.state).toBe('enqueued');
    expect((await h.claim({ now: 101 })).map((c) => c.spec.id)).toEqual(['late']);
  });

  it('takes only items for the listed task names', async () => {
    await h.enqueue({ id: 'mine', taskName: 'sync' }, { id: 'other', taskName: 'upload', priority: 30 }, { id: 'mine-2', taskName: 'email' });
    const claimed = await h.claim({ taskNames: ['sync', 'email', 'not-enqueued'] });
    expect(claimed.map((c) => c.spec.id).sort()).toEqual(['mine', 'mine-2']);
    expect(await h.store.get('other')).toMatchObject({ state: 'enqueued', attempt: 0, leaseToken: 0, leaseOwner: null });
    expect(await h.claim({ taskNames: [] })).toEqual([]);
  });

  it('takes only enqueued items: never blocked, running or finished ones', async () => {
    await h.enqueue({ id: 'blocked', state: 'blocked' }, { id: 'done' }, { id: 'ready' });
    const done = await h.claimOne('done', { taskNames: ['noop'] });
    await h.store.settle(settlementFor(done, { now: 1 }));
    const claimed = await h.claim({ now: 5 });
    expect(claimed.map((c) => c.spec.id)).toEqual(['ready']);
    expect(await h.claim({ now: 5 })).toEqual([]);
    expect((await h.store.get('blocked'))?.state).toBe('blocked');
  });

  it('respects the limit', async () => {
    await h.enqueue(...Array.from({ length: 10 }, (_, i) => ({ id: `w${i}` })));
    expect(await h.claim({ limit: 4 })).toHaveLength(4);
    expect(await h.claim({ limit: 5 })).toHaveLength(5);
    expect(await h.claim({ limit: 5 })).toHaveLength(1);
    expect(await h.claim({ limit: 5 })).toHaveLength(0);
  });

  it('never returns an item already claimed, even to another worker', async () => {
    await h.enqueue({ id: 'a' }, { id: 'b' }, { id: 'c' });
    const first = await h.claim({ limit: 2, workerId: WORKER_A });
    const second = await h.claim({ limit: 10, workerId: WORKER_B, now: 10 });
    const firstIds = first.map((c) => c.spec.id);
    const secondIds = second.map((c) => c.spec.id);
    expect(firstIds).toHaveLength(2);
    expect(secondIds).toHaveLength(1);
    expect([...firstIds, ...secondIds].sort()).toEqual(['a', 'b', 'c']);
    expect(await h.claim({ now: 1_000_000, workerId: WORKER_B })).toEqual([]);
  });

  it('makes the item running with attempt + 1, token + 1 and the lease, and opens a journal row', async () => {
    const [spec] = await h.enqueue({ id: 'w', runAt: 500, priority: 20, tags: ['t'], createdAt: 400, updatedAt: 400 });
    const claimed = await h.claimOne('w', { now: 1_000, workerId: WORKER_A, leaseMs: 45_000 });

    const running = { ...spec, state: 'running', attempt: 1, leaseToken: 1, leaseOwner: WORKER_A, leaseExpiresAt: 46_000, updatedAt: 1_000 };
    expect(claimed.spec).toStrictEqual(running);
    expect(claimed.run).toStrictEqual({
      id: claimed.run.id,
      workId: 'w',
      taskName: 'noop',
      attempt: 1,
      workerId: WORKER_A,
      startedAt: 1_000,
      endedAt: null,
      outcome: null,
      error: null,
      stopReason: null,
      rule: null,
    });
    expect(typeof claimed.run.id).toBe('number');
    expect(await h.store.get('w')).toStrictEqual(running);
    expect(await h.store.runs({ workId: 'w' })).toStrictEqual([claimed.run]);
  });

  it('counts attempts and tokens up across claims, with a new journal row each time', async () => {
    await h.enqueue({ id: 'w' });
    const first = await h.claimOne('w', { now: 0 });
    await h.store.settle(settlementFor(first, { now: 10, state: 'enqueued', runAt: 20, outcome: 'retrying', error: 'x' }));
    const second = await h.claimOne('w', { now: 20, workerId: WORKER_B });
    expect(second.spec).toMatchObject({ state: 'running', attempt: 2, leaseToken: 2, leaseOwner: WORKER_B, leaseExpiresAt: 20 + 30_000 });
    expect(second.run).toMatchObject({ attempt: 2, workerId: WORKER_B, startedAt: 20, endedAt: null, outcome: null });
    expect(second.run.id).toBeGreaterThan(first.run.id);
  });

  it('hands out copies: changing a claimed item changes nothing stored', async () => {
    await h.enqueue({ id: 'w', tags: ['t'] });
    const claimed = await h.claimOne('w');
    claimed.spec.leaseToken = 99;
    claimed.spec.tags.push('x');
    claimed.run.outcome = 'succeeded';
    expect(await h.store.get('w')).toMatchObject({ leaseToken: 1, tags: ['t'] });
    expect((await h.store.runs({ workId: 'w' }))[0]?.outcome).toBeNull();
  });

  it('claims 1,000 items exactly once each, in batches of 8, in claim order', async () => {
    const next = random(42);
    const items = Array.from({ length: 1_000 }, (_, i) => ({
      id: `item-${String(i).padStart(4, '0')}`,
      priority: [0, 10, 20, 30][Math.floor(next() * 4)] ?? 10,
      runAt: Math.floor(next() * 1_000),
      index: i,
    }));
    await h.enqueue(...items.map(({ id, priority, runAt }) => ({ id, priority, runAt })));

    const seen: string[] = [];
    const runIds = new Set<number>();
    let batches = 0;
    for (;;) {
      const claimed = await h.claim({ now: 1_000, limit: 8, leaseMs: LEASE_MS });
      if (claimed.length === 0) break;
      expect(claimed.length).toBeLessThanOrEqual(8);
      batches += 1;
      for (const c of claimed) {
        seen.push(c.spec.id);
        runIds.add(c.run.id);
      }
    }
    expect(batches).toBe(125);
    expect(new Set(seen).size).toBe(1_000);
    expect(runIds.size).toBe(1_000);
    const expected = [...items].sort((a, b) => b.priority - a.priority || a.runAt - b.runAt || a.index - b.index).map((i) => i.id);
    expect(seen).toEqual(expected);
    expect(await h.store.query({ states: ['enqueued'] })).toEqual([]);
  });
}
