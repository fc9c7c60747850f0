/**
 * Conformance cases for settle: each next state writes exactly what the Settlement says and closes
 * the claim's journal row; a stale token or a non-running item changes nothing at all.
 */
import { expect, it } from 'vitest';
import { settlementFor, type StoreHarness } from '../store-harness.js';

/**
 * Registers the settle cases.
 *
 * @example
 * describe('settle', () => settleCases(createStoreHarness(target)));
 */
export function settleCases(h: StoreHarness): void {
  it('settles to succeeded: output, finishedAt, lease cleared, journal row closed', async () => {
    const [spec] = await h.enqueue({ id: 'w', createdAt: 1 });
    const claimed = await h.claimOne('w', { now: 100 });
    const applied = await h.store.settle(settlementFor(claimed, { now: 250, outputJson: '{"sent":3}' }));
    expect(applied).toBe(true);
    expect(await h.store.get('w')).toStrictEqual({
      ...spec,
      state: 'succeeded',
      attempt: 1,
      outputJson: '{"sent":3}',
      leaseToken: 1,
      leaseOwner: null,
      leaseExpiresAt: null,
      finishedAt: 250,
      updatedAt: 250,
    });
    expect(await h.store.runs({ workId: 'w' })).toStrictEqual([
      { ...claimed.run, endedAt: 250, outcome: 'succeeded', error: null, stopReason: null },
    ]);
  });

  it('settles to enqueued for a retry: runAt, lastError, no finishedAt, due again only at runAt', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 100 });
    const applied = await h.store.settle(
      settlementFor(claimed, { now: 200, state: 'enqueued', runAt: 30_200, lastError: 'HTTP 503', outcome: 'retrying', error: 'HTTP 503' }),
    );
    expect(applied).toBe(true);
    expect(await h.store.get('w')).toMatchObject({
      state: 'enqueued',
      attempt: 1,
      runAt: 30_200,
      lastError: 'HTTP 503',
      finishedAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseToken: 1,
      updatedAt: 200,
      outputJson: null,
    });
    expect(await h.store.runs({ workId: 'w' })).toStrictEqual([
      { ...claimed.run, endedAt: 200, outcome: 'retrying', error: 'HTTP 503', stopReason: null },
    ]);
    expect(await h.claim({ now: 30_199 })).toEqual([]);
    expect((await h.claim({ now: 30_200 })).map((c) => c.spec.id)).toEqual(['w']);
  });

  it('settles to failed: finishedAt and lastError set, journal row failed', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 100 });
    await h.store.settle(settlementFor(claimed, { now: 300, state: 'failed', lastError: 'bad input', outcome: 'failed', error: 'bad input' }));
    expect(await h.store.get('w')).toMatchObject({
      state: 'failed',
      finishedAt: 300,
      lastError: 'bad input',
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: 300,
    });
    expect((await h.store.runs({ workId: 'w' }))[0]).toMatchObject({ endedAt: 300, outcome: 'failed', error: 'bad input', stopReason: null });
    expect(await h.claim({ now: 1_000_000 })).toEqual([]);
  });

  it('settles to cancelled with a stop reason (a timeout or a cancel seen by the runner)', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 100 });
    await h.store.settle(settlementFor(claimed, { now: 150, state: 'cancelled', outcome: 'cancelled', stopReason: 'cancelled' }));
    expect(await h.store.get('w')).toMatchObject({ state: 'cancelled', finishedAt: 150 });
    expect((await h.store.runs({ workId: 'w' }))[0]).toMatchObject({ endedAt: 150, outcome: 'cancelled', stopReason: 'cancelled' });
  });

  it('stores the attempt it is given, so a stop that is not charged gives the attempt back', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 100 });
    await h.store.settle(
      settlementFor(claimed, { now: 120, state: 'enqueued', attempt: 0, runAt: 120, outcome: 'stopped', stopReason: 'shutdown' }),
    );
    expect(await h.store.get('w')).toMatchObject({ state: 'enqueued', attempt: 0, runAt: 120, finishedAt: null });
    expect((await h.store.runs({ workId: 'w' }))[0]).toMatchObject({ outcome: 'stopped', stopReason: 'shutdown', endedAt: 120, error: null });
    expect((await h.claimOne('w', { now: 120 })).spec.attempt).toBe(1);
  });

  it('keeps lastError when the settlement leaves it undefined and clears it when null', async () => {
    await h.enqueue({ id: 'keep' }, { id: 'clear' });
    for (const id of ['keep', 'clear']) {
      const claimed = await h.claimOne(id, { now: 0 });
      const failure = 'first failure';
      await h.store.settle(
        settlementFor(claimed, { now: 1, state: 'enqueued', runAt: 1_000, lastError: failure, outcome: 'retrying', error: failure }),
      );
    }
    const keep = await h.claimOne('keep', { now: 1_000 });
    const clear = await h.claimOne('clear', { now: 1_000 });
    await h.store.settle(settlementFor(keep, { now: 1_001, outputJson: '{}' }));
    await h.store.settle(settlementFor(clear, { now: 1_001, outputJson: '{}', lastError: null }));
    expect((await h.store.get('keep'))?.lastError).toBe('first failure');
    expect((await h.store.get('clear'))?.lastError).toBeNull();
  });

  it('refuses a stale token and changes nothing: item, lease and journal row stay as they were', async () => {
    await h.enqueue({ id: 'w' });
    const claimed = await h.claimOne('w', { now: 100 });
    const before = await h.store.get('w');
    const stale = settlementFor(claimed, { now: 200, leaseToken: claimed.spec.leaseToken - 1, outputJson: '{"x":1}', lastError: 'x' });
    expect(await h.store.settle(stale)).toBe(false);
    expect(await h.store.settle({ ...stale, leaseToken: claimed.spec.leaseToken + 1 })).toBe(false);
    expect(await h.store.get('w')).toStrictEqual(before);
    expect(await h.store.runs({ workId: 'w' })).toStrictEqual([claimed.run]);
  });

  it('refuses an item that is not running, even when the token matches', async () => {
    const [spec] = await h.enqueue({ id: 'w' });
    const settlement = {
      id: 'w',
      leaseToken: 0,
      runId: 1,
      now: 10,
      state: 'succeeded',
      attempt: 1,
      outputJson: '{}',
      outcome: 'succeeded',
      error: null,
      stopReason: null,
    } as const;
    expect(await h.store.settle(settlement)).toBe(false);
    expect(await h.store.get('w')).toStrictEqual(spec);

    const claimed = await h.claimOne('w', { now: 20 });
    expect(await h.store.settle(settlementFor(claimed, { now: 30 }))).toBe(true);
    const settled = await h.store.get('w');
    // A second settle of the same claim (a duplicate delivery) must not apply twice.
    expect(await h.store.settle(settlementFor(claimed, { now: 40, state: 'failed', outcome: 'failed', error: 'late' }))).toBe(false);
    expect(await h.store.get('w')).toStrictEqual(settled);
    expect((await h.store.runs({ workId: 'w' }))[0]).toMatchObject({ endedAt: 30, outcome: 'succeeded', error: null });
    expect(await h.store.settle({ ...settlement, id: 'unknown' })).toBe(false);
  });

  it('settles made in the same tick each apply on their own: successes, a retry, a stale token, a failure that cascades, two prerequisites of one dependent', async () => {
    await h.enqueue({ id: 's1' }, { id: 's2' }, { id: 'retry' }, { id: 'stale' }, { id: 'boom' }, { id: 'p1' }, { id: 'p2' });
    await h.enqueue({ id: 'after-boom', taskName: 'later', prerequisites: ['boom'] }, { id: 'after-both', taskName: 'later', prerequisites: ['p1', 'p2'] });
    const claimed = new Map((await h.claim({ now: 100 })).map((c) => [c.spec.id, c]));
    const of = (id: string) => claimed.get(id)!;
    const results = await Promise.all([
      h.store.settle(settlementFor(of('s1'), { now: 200, outputJson: '1' })),
      h.store.settle(settlementFor(of('s2'), { now: 200, outputJson: '2' })),
      h.store.settle(settlementFor(of('retry'), { now: 200, state: 'enqueued', runAt: 900, lastError: 'later', outcome: 'retrying', error: 'later' })),
      h.store.settle(settlementFor(of('stale'), { now: 200, leaseToken: of('stale').spec.leaseToken + 1 })),
      h.store.settle(settlementFor(of('boom'), { now: 200, state: 'failed', lastError: 'boom', outcome: 'failed', error: 'boom' })),
      h.store.settle(settlementFor(of('p1'), { now: 200 })),
      h.store.settle(settlementFor(of('p2'), { now: 200 })),
    ]);
    expect(results).toEqual([true, true, true, false, true, true, true]);
    expect(await h.store.get('s1')).toMatchObject({ state: 'succeeded', outputJson: '1', finishedAt: 200, leaseOwner: null });
    expect(await h.store.get('s2')).toMatchObject({ state: 'succeeded', outputJson: '2', finishedAt: 200 });
    expect(await h.store.get('retry')).toMatchObject({ state: 'enqueued', runAt: 900, lastError: 'later', finishedAt: null });
    expect(await h.store.get('stale')).toMatchObject({ state: 'running', leaseToken: of('stale').spec.leaseToken });
    expect(await h.store.get('boom')).toMatchObject({ state: 'failed', lastError: 'boom', finishedAt: 200 });
    expect(await h.store.get('after-boom')).toMatchObject({ state: 'failed', finishedAt: 200 });
    // Both prerequisites settled in one go: the dependent is released once, due at the settle time.
    expect(await h.store.get('after-both')).toMatchObject({ state: 'enqueued', runAt: 200, updatedAt: 200 });
    expect((await h.claim({ now: 200, taskNames: ['later'] })).map((c) => c.spec.id)).toEqual(['after-both']);
    expect((await h.store.runs({ workId: 'retry' }))[0]).toMatchObject({ outcome: 'retrying', error: 'later', endedAt: 200 });
    expect((await h.store.runs({ workId: 'stale' }))[0]).toMatchObject({ outcome: null, endedAt: null });
    expect((await h.store.runs({ workId: 'boom' }))[0]).toMatchObject({ outcome: 'failed', error: 'boom', endedAt: 200 });
  });
}
