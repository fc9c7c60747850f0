/**
 * Conformance cases for update: the listed fields of an enqueued, blocked or running item change
 * in place (and only they, plus updatedAt); state, lease, token and attempts never do; finished
 * and unknown items are refused and left exactly as they were.
 */
import { expect, it } from 'vitest';
import type { WorkUpdate } from '@offstage/core';
import { settlementFor, WORKER_A, type StoreHarness } from '../store-harness.js';

/** A change to every field update may touch, each to a value unlike makeSpec's default. */
const EVERY_FIELD: WorkUpdate = {
  inputJson: '{"v":2,"text":"ünï"}',
  tags: ['new', 'a,b'],
  priority: 40,
  runAt: 7_000,
  maxAttempts: null,
  backoff: { policy: 'linear', initialDelayMs: 250, maxDelayMs: 9_000 },
  timeoutMs: 0,
  schedule: { kind: 'cron', expression: '0 3 * * *', timezone: 'Asia/Tokyo', endOnFailure: true },
};

/**
 * Registers the update cases.
 *
 * @example
 * describe('update', () => updateCases(createStoreHarness(target)));
 */
export function updateCases(h: StoreHarness): void {
  it('changes every updatable field of an enqueued item and keeps its state, attempts and token', async () => {
    const [spec] = await h.enqueue({ id: 'a', runAt: 100 });
    expect(await h.store.update('a', EVERY_FIELD, 500)).toBe(true);
    expect(await h.store.get('a')).toStrictEqual({ ...spec, ...EVERY_FIELD, updatedAt: 500 });
    // The new runAt and priority are what claims go by.
    expect(await h.claim({ now: 6_999 })).toEqual([]);
    expect((await h.claim({ now: 7_000 }))[0]?.spec).toMatchObject({ id: 'a', priority: 40, attempt: 1, leaseToken: 1 });
  });

  it('changes only the fields given, and can set task-default nulls back to values', async () => {
    const [spec] = await h.enqueue({ id: 'a', maxAttempts: null, backoff: null, timeoutMs: null, tags: ['keep'], inputJson: '{"v":1}' });
    expect(await h.store.update('a', { maxAttempts: 3, backoff: { policy: 'exponential', initialDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 60_000 }, 10)).toBe(true);
    expect(await h.store.get('a')).toStrictEqual({
      ...spec,
      maxAttempts: 3,
      backoff: { policy: 'exponential', initialDelayMs: 1, maxDelayMs: 2 },
      timeoutMs: 60_000,
      updatedAt: 10,
    });
    expect(await h.store.update('a', { schedule: null, backoff: null }, 20)).toBe(true);
    expect(await h.store.get('a')).toMatchObject({ schedule: null, backoff: null, maxAttempts: 3, tags: ['keep'], inputJson: '{"v":1}', updatedAt: 20 });
  });

  it('stores a copy of the fields: changing them afterwards changes nothing stored', async () => {
    await h.enqueue({ id: 'a' });
    const fields: WorkUpdate = structuredClone(EVERY_FIELD);
    await h.store.update('a', fields, 1);
    fields.tags?.push('late');
    if (fields.backoff) fields.backoff.maxDelayMs = 1;
    if (fields.schedule?.kind === 'cron') fields.schedule.expression = '* * * * *';
    expect(await h.store.get('a')).toMatchObject({ tags: EVERY_FIELD.tags, backoff: EVERY_FIELD.backoff, schedule: EVERY_FIELD.schedule });
  });

  it('changes a blocked item, which stays blocked and is then resolved with its new runAt', async () => {
    await h.enqueue({ id: 'p', taskName: 'p' }, { id: 'b', prerequisites: ['p'] });
    expect(await h.store.update('b', { runAt: 900, inputJson: '{"x":1}' }, 5)).toBe(true);
    expect(await h.store.get('b')).toMatchObject({ state: 'blocked', runAt: 900, inputJson: '{"x":1}', updatedAt: 5, prerequisites: ['p'] });
    await h.finish('p', 100);
    expect(await h.store.get('b')).toMatchObject({ state: 'enqueued', runAt: 900, updatedAt: 100 });
  });

  it('changes a running item without touching its lease, so its owner can still settle', async () => {
    await h.enqueue({ id: 'r' });
    const claimed = await h.claimOne('r', { now: 10 });
    expect(await h.store.update('r', { inputJson: '{"next":true}', priority: 0 }, 20)).toBe(true);
    expect(await h.store.get('r')).toStrictEqual({ ...claimed.spec, inputJson: '{"next":true}', priority: 0, updatedAt: 20 });
    expect(await h.store.get('r')).toMatchObject({ state: 'running', leaseOwner: WORKER_A, leaseToken: claimed.spec.leaseToken, attempt: 1 });
    expect(await h.store.heartbeat({ id: 'r', leaseToken: claimed.spec.leaseToken, now: 25, leaseMs: 1_000 })).toBe(true);
    expect(await h.store.settle(settlementFor(claimed, { now: 30 }))).toBe(true);
    expect(await h.store.get('r')).toMatchObject({ state: 'succeeded', inputJson: '{"next":true}' });
  });

  it('refuses finished and unknown items and changes nothing', async () => {
    await h.enqueue({ id: 'ok', taskName: 'ok' }, { id: 'bad', taskName: 'bad' }, { id: 'dropped' });
    await h.finish('ok', 1);
    await h.finish('bad', 2, 'failed');
    await h.store.cancel({ ids: ['dropped'], now: 3 });
    const before = await h.store.query({});
    for (const id of ['ok', 'bad', 'dropped', 'unknown']) expect(await h.store.update(id, EVERY_FIELD, 10)).toBe(false);
    expect(await h.store.query({})).toStrictEqual(before);
    expect(await h.store.get('unknown')).toBeUndefined();
  });
}
