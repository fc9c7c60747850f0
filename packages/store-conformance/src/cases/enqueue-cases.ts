/**
 * Conformance cases for enqueue and get: every field survives the round trip, batches are all or
 * none, and callers only ever hold copies. Cases must never depend on another store's quirks.
 */
import { expect, it } from 'vitest';
import { DuplicateWorkError, type WorkSpec } from '@offstage/core';
import { makeSpec } from '../make-spec.js';
import { LEASE_MS, settlementFor, WORKER_A, type StoreHarness } from '../store-harness.js';

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
      uniqueName: 'nightly "report", ü',
      schedule: null,
      prerequisites: [],
      inputMerger: 'overwrite',
      constraints: { network: 'unmetered', charging: true, batteryNotLow: 0.3, memoryBelow: true },
      constraintMask: 10,
      minBattery: 0.3,
      maxMemory: 0.85,
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

  it('round-trips schedules of each kind, task-default nulls, a zero timeout, prerequisites and the merger', async () => {
    const interval = makeSpec({
      id: 'interval-1',
      uniqueName: 'refresh',
      schedule: { kind: 'interval', intervalMs: 3_600_000, flexMs: 600_000, endOnFailure: true },
      runAt: 3_000_000,
    });
    const cronZoned = makeSpec({
      id: 'cron-zoned',
      schedule: { kind: 'cron', expression: '0 */5 * * * *', timezone: 'Europe/Paris', endOnFailure: false },
    });
    const cronUtc = makeSpec({ id: 'cron-utc', schedule: { kind: 'cron', expression: '30 2 * * 1-5', timezone: null, endOnFailure: false } });
    // Null means "the task's default" and 0 means "no timeout": a store that maps one onto the other breaks both.
    const defaults = makeSpec({ id: 'defaults', maxAttempts: null, backoff: null, timeoutMs: null });
    const noTimeout = makeSpec({ id: 'no-timeout', timeoutMs: 0, maxAttempts: 1 });
    // Prerequisites keep their order (the overwrite merger lets later ones win), from the store and the batch.
    const dependent = makeSpec({ id: 'dependent', prerequisites: ['no-timeout', 'interval-1', 'cron-utc'], inputMerger: 'array', runAt: 42 });
    const all = [interval, cronZoned, cronUtc, defaults, noTimeout];
    await h.store.enqueue(all.slice(0, 3));
    await h.store.enqueue([...all.slice(3), dependent]);

    for (const spec of [...all, dependent]) expect(await h.store.get(spec.id)).toStrictEqual(spec);
    expect(await h.store.get('dependent')).toMatchObject({ state: 'blocked', runAt: 42, updatedAt: 0 });
    const claimed = await h.claim({ now: 5_000_000 });
    expect(claimed.map((c) => c.spec.id).sort()).toEqual(['cron-utc', 'cron-zoned', 'defaults', 'interval-1', 'no-timeout']);
    // A claim hands back the same fields (stores often map claimed rows with separate code).
    for (const { spec } of claimed) {
      const given = all.find((s) => s.id === spec.id);
      expect(spec).toStrictEqual({ ...given, state: 'running', attempt: 1, leaseToken: 1, leaseOwner: WORKER_A, leaseExpiresAt: 5_000_000 + LEASE_MS, updatedAt: 5_000_000 });
    }
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
    const given = () => makeSpec({ id: 'a', tags: ['t1'], schedule: { kind: 'interval', intervalMs: 60_000, flexMs: 0, endOnFailure: false } });
    const spec = given();
    const dependent = makeSpec({ id: 'b', prerequisites: ['a'] });
    await h.store.enqueue([spec, dependent]);
    spec.tags.push('t2');
    if (spec.backoff) spec.backoff.initialDelayMs = 1;
    if (spec.schedule?.kind === 'interval') spec.schedule.intervalMs = 1;
    spec.state = 'failed';
    dependent.prerequisites.push('x');
    expect(await h.store.get('a')).toStrictEqual(given());
    expect(await h.store.get('b')).toStrictEqual(makeSpec({ id: 'b', prerequisites: ['a'] }));
  });

  it('returns copies: changing a returned item changes nothing stored', async () => {
    const schedule = { kind: 'cron', expression: '0 * * * *', timezone: 'UTC', endOnFailure: false } as const;
    await h.enqueue({ id: 'p' }, { id: 'a', tags: ['t1'], prerequisites: ['p'], schedule });
    const got = await h.store.get('a');
    if (!got) throw new Error('missing');
    got.tags.push('t2');
    if (got.backoff) got.backoff.maxDelayMs = 1;
    if (got.schedule?.kind === 'cron') got.schedule.expression = '* * * * *';
    got.prerequisites.length = 0;
    got.state = 'running';
    const [queried] = await h.store.query({ ids: ['a'] });
    if (!queried) throw new Error('missing');
    queried.tags.length = 0;
    queried.prerequisites.push('q');
    queried.priority = 99;
    expect(await h.store.get('a')).toStrictEqual(makeSpec({ id: 'a', tags: ['t1'], prerequisites: ['p'], schedule }));
  });

  it('rejects a batch that contains the same id twice and inserts none of it', async () => {
    await expect(h.store.enqueue([makeSpec({ id: 'a' }), makeSpec({ id: 'b' }), makeSpec({ id: 'a', priority: 30 })])).rejects.toThrow(DuplicateWorkError);
    expect(await h.store.get('a')).toBeUndefined();
    expect(await h.store.get('b')).toBeUndefined();
    expect(await h.store.query({})).toEqual([]);
  });

  it('rejects an id that already exists, leaving the stored item unchanged and the rest of the batch out', async () => {
    const [existing] = await h.enqueue({ id: 'a', inputJson: '{"v":1}', priority: 20 });
    await expect(
      h.store.enqueue([makeSpec({ id: 'new-1' }), makeSpec({ id: 'a', inputJson: '{"v":2}', priority: 0 }), makeSpec({ id: 'new-2' })]),
    ).rejects.toThrow(DuplicateWorkError);
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
