/**
 * Conformance cases for enqueue and get: every field survives the round trip, batches are all or
 * none, and callers only ever hold copies. Cases must never depend on another store's quirks.
 */
import { expect, it } from 'vitest';
import type { WorkSpec } from '@offstage/core';
import { makeSpec } from '../make-spec.js';
import { settlementFor, type StoreHarness } from '../store-harness.js';

/** Text that breaks naive encodings: astral emoji, combining marks, CJK, RTL, escapes, separators. */
const AWKWARD = 'héllo wörld — 日本語 עברית 👩‍👩‍👧 e\u0301 \u2028\u2029 "quoted" \\back\\slash\\ \t\n';

/**
 * Registers the enqueue/get cases.
 *
 * @example
 * describe('enqueue and get', () => enqueueCases(createStoreHarness(target)));
 */
export function enqueueCases(h: StoreHarness): void {
  it('round-trips every field of an enqueued item', async () => {
    const full: WorkSpec = {
      id: 'full-0001',
      taskName: 'email.send',
      state: 'enqueued',
      inputJson: '{"to":"a@b.c","n":[1,2.5,{"x":null}],"ok":true}',
      outputJson: null,
      progressJson: null,
      // Commas, quotes and spaces inside tags catch stores that join tags into one string naively.
      tags: ['user:42', 'a,b', 'quote"d', 'with space', 'ünï'],
      priority: 30,
      runAt: 1_700_000_000_123,
      attempt: 0,
      maxAttempts: 7,
      backoff: { policy: 'linear', initialDelayMs: 1_500, maxDelayMs: 60_000 },
      timeoutMs: 120_000,
      lastError: null,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_001,
      finishedAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseToken: 0,
    };
    const blocked = makeSpec({ id: 'blocked-1', state: 'blocked', priority: 0, maxAttempts: 1, timeoutMs: null });
    const withText = makeSpec({
      id: 'text-1',
      backoff: { policy: 'exponential', initialDelayMs: 0, maxDelayMs: 0 },
      outputJson: '{"prior":1}',
      progressJson: '{"p":0.5}',
      lastError: 'an earlier error',
    });
    await h.store.enqueue([full, blocked, withText]);

    expect(await h.store.get('full-0001')).toStrictEqual(full);
    expect(await h.store.get('blocked-1')).toStrictEqual(blocked);
    expect(await h.store.get('text-1')).toStrictEqual(withText);
  });

  it('returns undefined for an unknown id', async () => {
    await h.enqueue({ id: 'a' });
    expect(await h.store.get('b')).toBeUndefined();
    expect(await h.store.get('')).toBeUndefined();
  });

  it('accepts an empty batch', async () => {
    await h.store.enqueue([]);
    expect(await h.store.query({})).toEqual([]);
  });

  it('stores a copy: changing the spec after enqueue changes nothing stored', async () => {
    const spec = makeSpec({ id: 'a', tags: ['t1'] });
    await h.store.enqueue([spec]);
    spec.tags.push('t2');
    spec.backoff.initialDelayMs = 1;
    spec.state = 'failed';
    expect(await h.store.get('a')).toStrictEqual(makeSpec({ id: 'a', tags: ['t1'] }));
  });

  it('returns copies: changing a returned item changes nothing stored', async () => {
    await h.enqueue({ id: 'a', tags: ['t1'] });
    const got = await h.store.get('a');
    if (!got) throw new Error('missing');
    got.tags.push('t2');
    got.backoff.maxDelayMs = 1;
    got.state = 'running';
    const [queried] = await h.store.query({});
    if (!queried) throw new Error('missing');
    queried.tags.length = 0;
    queried.priority = 99;
    expect(await h.store.get('a')).toStrictEqual(makeSpec({ id: 'a', tags: ['t1'] }));
  });

  it('rejects a batch that contains the same id twice and inserts none of it', async () => {
    await expect(h.store.enqueue([makeSpec({ id: 'a' }), makeSpec({ id: 'b' }), makeSpec({ id: 'a', priority: 30 })])).rejects.toThrow();
    expect(await h.store.get('a')).toBeUndefined();
    expect(await h.store.get('b')).toBeUndefined();
    expect(await h.store.query({})).toEqual([]);
  });

  it('rejects an id that already exists, leaving the stored item unchanged and the rest of the batch out', async () => {
    const [existing] = await h.enqueue({ id: 'a', inputJson: '{"v":1}', priority: 20 });
    await expect(
      h.store.enqueue([makeSpec({ id: 'new-1' }), makeSpec({ id: 'a', inputJson: '{"v":2}', priority: 0 }), makeSpec({ id: 'new-2' })]),
    ).rejects.toThrow();
    expect(await h.store.get('a')).toStrictEqual(existing);
    expect(await h.store.get('new-1')).toBeUndefined();
    expect(await h.store.get('new-2')).toBeUndefined();
    expect((await h.store.query({})).map((s) => s.id)).toEqual(['a']);
  });

  it('keeps unicode in input, progress, output, errors and the journal intact', async () => {
    const inputJson = JSON.stringify({ text: AWKWARD, emoji: '🚀', nested: [AWKWARD] });
    const progressJson = JSON.stringify({ step: AWKWARD });
    const outputJson = JSON.stringify({ reply: `ok ${AWKWARD}` });
    await h.enqueue({ id: 'ü-1', inputJson, tags: [AWKWARD] });
    expect(await h.store.get('ü-1')).toMatchObject({ inputJson, tags: [AWKWARD] });

    const first = await h.claimOne('ü-1');
    expect(first.spec.inputJson).toBe(inputJson);
    expect(await h.store.setProgress('ü-1', first.spec.leaseToken, progressJson, 1)).toBe(true);
    const error = `失敗 💥 ${AWKWARD}`;
    await h.store.settle(
      settlementFor(first, { now: 2, state: 'enqueued', runAt: 2, lastError: error, outcome: 'retrying', error }),
    );
    const second = await h.claimOne('ü-1', { now: 2 });
    await h.store.settle(settlementFor(second, { now: 3, outputJson }));

    expect(await h.store.get('ü-1')).toMatchObject({ inputJson, progressJson, outputJson, lastError: error, tags: [AWKWARD] });
    const runs = await h.store.runs({ workId: 'ü-1' });
    expect(runs.map((r) => r.error)).toEqual([null, error]);
  });
}
