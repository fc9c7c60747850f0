/**
 * PostgreSQL's text cannot hold NUL (U+0000), which JavaScript strings can: a lookup by a key
 * containing one matches nothing (as on every other store) instead of failing with a raw
 * DatabaseError, and an attempt's error message containing one (a handler's `throw new
 * Error('…\0…')`) is stored with U+FFFD in its place instead of failing the settle, which would
 * leave the item running until its lease ran out, to fail the same way on every attempt.
 */
import { describe, expect, it } from 'vitest';
import { makeSpec } from '@offstage/store-conformance';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();
const NUL_KEY = 'a\u0000b';

describe('NUL characters', () => {
  it('a lookup by a key containing NUL matches nothing, and the rest of the lookup still works', async () => {
    await db.truncate();
    const store = db.open();
    try {
      await store.enqueue([makeSpec({ id: 'kept', tags: ['t'], uniqueName: 'u' })]);
      expect(await store.get(NUL_KEY)).toBeUndefined();
      expect(await store.query({ ids: [NUL_KEY] })).toEqual([]);
      expect((await store.query({ ids: [NUL_KEY, 'kept'] })).map((s) => s.id)).toEqual(['kept']);
      expect((await store.query({ tags: [NUL_KEY, 't'], taskNames: ['noop', NUL_KEY], uniqueNames: [NUL_KEY, 'u'], states: ['enqueued', NUL_KEY as never] })).map((s) => s.id)).toEqual(['kept']);
      expect(await store.query({ tags: [NUL_KEY] })).toEqual([]);
      expect(await store.query({ dependentsOf: NUL_KEY })).toEqual([]);
      expect(await store.runs({ workId: NUL_KEY })).toEqual([]);
      expect(await store.runs({ taskNames: [NUL_KEY] })).toEqual([]);
      expect(await store.lastRuns([NUL_KEY])).toEqual(new Map());
      expect(await store.typicalDurations([NUL_KEY], 10)).toEqual(new Map());
      expect(await store.update(NUL_KEY, { priority: 1 }, 1)).toBe(false);
      expect(await store.retry(NUL_KEY, 1)).toBe(false);
      expect(await store.cancel({ ids: [NUL_KEY], now: 1 })).toEqual([]);
      expect(await store.cancel({ tags: [NUL_KEY], now: 1 })).toEqual([]);
      expect(await store.get('kept')).toMatchObject({ state: 'enqueued' });
      expect(await store.cancel({ ids: [NUL_KEY], tags: ['t'], now: 1 })).toEqual(['kept']);
    } finally {
      await store.close();
    }
  });

  it('an attempt whose error message contains NUL settles, with U+FFFD in its place', async () => {
    await db.truncate();
    const store = db.open();
    try {
      await store.enqueue([makeSpec({ id: 'bad' })]);
      const [claimed] = await store.claim({ now: 1, workerId: 'w', leaseMs: 60_000, limit: 1, taskNames: ['noop'] });
      const message = 'bad\u0000thing';
      const applied = await store.settle({
        id: 'bad',
        leaseToken: claimed!.spec.leaseToken!,
        runId: claimed!.run.id,
        now: 2,
        state: 'failed',
        attempt: 1,
        lastError: message,
        outcome: 'failed',
        error: message,
        stopReason: null,
      });
      expect(applied).toBe(true);
      expect(await store.get('bad')).toMatchObject({ state: 'failed', lastError: 'bad\uFFFDthing' });
      expect((await store.runs({ workId: 'bad' })).map((r) => [r.outcome, r.error])).toEqual([['failed', 'bad\uFFFDthing']]);
    } finally {
      await store.close();
    }
  });
});
