/**
 * SqliteStore's scheduling behaviour beyond the shared conformance suite: task limits counted
 * across connections and through the multi-statement claim, odd limit values, everything the new
 * columns hold surviving a reopen, prerequisites kept in the order given, the failed prerequisite
 * a cascade names, and plans that misbehave (a promise, a self-reference) leaving nothing behind.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidChainError, type ClaimOptions, type WorkSpec } from '@offstage/core';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { TASK_NAMES_PER_STATEMENT } from '../src/queries/claim-work.js';
import { makeWork } from './make-work.js';
import { useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();
const claimWith = (o: Partial<ClaimOptions>): ClaimOptions => ({ now: 1_000, workerId: 'w', leaseMs: 60_000, limit: 100, taskNames: ['noop'], ...o });

describe('SqliteStore scheduling', () => {
  it('counts a task limit across connections: running items another process holds count', async () => {
    const path = join(tempDir(), 'limits.db');
    const a = openSqliteStore(path);
    const b = openSqliteStore(path);
    await a.enqueue([...Array.from({ length: 5 }, (_, i) => makeWork({ id: `sync-${i}`, taskName: 'sync', runAt: i })), makeWork({ id: 'mail', taskName: 'mail' })]);
    const taskLimits = { sync: 2 };
    const first = await a.claim(claimWith({ workerId: 'a', taskNames: ['sync'], taskLimits }));
    expect(first.map((c) => c.spec.id)).toEqual(['sync-0', 'sync-1']);
    // B sees A's two running items: no room for sync, but other tasks are still claimed.
    expect((await b.claim(claimWith({ workerId: 'b', taskNames: ['sync', 'mail'], taskLimits }))).map((c) => c.spec.id)).toEqual(['mail']);
    const [done] = first;
    if (!done) throw new Error('nothing claimed');
    await a.settle({ id: done.spec.id, leaseToken: done.spec.leaseToken, runId: done.run.id, now: 1_001, state: 'succeeded', attempt: 1, outcome: 'succeeded', error: null, stopReason: null });
    expect((await b.claim(claimWith({ workerId: 'b', taskNames: ['sync'], taskLimits }))).map((c) => c.spec.id)).toEqual(['sync-2']);
    await a.close();
    await b.close();
  });

  it('applies task limits on the multi-statement claim too, merging limited and free tasks in claim order', async () => {
    const store = openSqliteStore(':memory:');
    const names = Array.from({ length: TASK_NAMES_PER_STATEMENT + 5 }, (_, i) => `t${i}`);
    const specs: WorkSpec[] = [];
    for (const [i, taskName] of names.entries()) specs.push(makeWork({ id: `${taskName}-a`, taskName, runAt: i }), makeWork({ id: `${taskName}-b`, taskName, runAt: 1_000 - i }));
    await store.enqueue(specs);
    // t0 and the last name may start one item each; the rest are free.
    const last = names.at(-1) ?? '';
    const claimed = await store.claim(claimWith({ limit: Infinity, taskNames: names, taskLimits: { t0: 1, [last]: 1 } }));
    const ids = claimed.map((c) => c.spec.id);
    expect(ids).toHaveLength(names.length * 2 - 2);
    expect(ids.filter((id) => id.startsWith('t0-'))).toEqual(['t0-a']);
    expect(ids.filter((id) => id.startsWith(`${last}-`))).toEqual([`${last}-a`]);
    const runAts = claimed.map((c) => c.spec.runAt);
    expect(runAts).toEqual([...runAts].sort((x, y) => x - y));
    await store.close();
  });

  it('reads odd limit values plainly: 0, negative and NaN allow none, a fraction rounds down, Infinity is no limit', async () => {
    const store = openSqliteStore(':memory:');
    const tasks = ['zero', 'negative', 'nan', 'fraction', 'infinite'];
    await store.enqueue(tasks.flatMap((taskName) => Array.from({ length: 4 }, (_, i) => makeWork({ id: `${taskName}-${i}`, taskName }))));
    const claimed = await store.claim(claimWith({ taskNames: tasks, taskLimits: { zero: 0, negative: -3, nan: Number.NaN, fraction: 2.7, infinite: Infinity } }));
    const perTask = Object.fromEntries(tasks.map((t) => [t, claimed.filter((c) => c.spec.taskName === t).length]));
    expect(perTask).toEqual({ zero: 0, negative: 0, nan: 0, fraction: 2, infinite: 4 });
    await store.close();
  });

  it('keeps everything the new columns hold across a reopen of the file', async () => {
    const path = join(tempDir(), 'reopen.db');
    const schedule = { kind: 'cron', expression: '0 3 * * *', timezone: 'Europe/Paris', endOnFailure: false } as const;
    const constraints = { network: 'unmetered', batteryNotLow: 0.3 } as const;
    const specs = [
      makeWork({ id: 'p', uniqueName: 'nightly', schedule, maxAttempts: null, backoff: null, timeoutMs: 0, constraints, constraintMask: 2, minBattery: 0.3, maxMemory: null }),
      makeWork({ id: 'q' }),
      // Listed newest first: the order given is the order kept (it is the order outputs merge in).
      makeWork({ id: 'r', state: 'blocked', prerequisites: ['q', 'p', 'q'], inputMerger: 'array', timeoutMs: null, maxMemory: 0.85 }),
    ];
    const before = openSqliteStore(path);
    await before.enqueue(specs);
    await before.close();
    const after = openSqliteStore(path);
    expect(await after.get('p')).toEqual(specs[0]);
    expect(await after.get('r')).toEqual(specs[2]);
    expect((await after.query({ dependentsOf: 'q' })).map((s) => s.id)).toEqual(['r']);
    await after.close();
  });

  it('names the first failed prerequisite in the order the dependent lists them', async () => {
    const store = openSqliteStore(':memory:');
    await store.enqueue([
      makeWork({ id: 'root' }),
      makeWork({ id: 'a', state: 'blocked', prerequisites: ['root'] }),
      makeWork({ id: 'b', state: 'blocked', prerequisites: ['root'] }),
      makeWork({ id: 'd', state: 'blocked', prerequisites: ['b', 'a'] }),
    ]);
    const [root] = await store.claim(claimWith({ limit: 1 }));
    if (!root) throw new Error('root not claimed');
    await store.settle({ id: 'root', leaseToken: root.spec.leaseToken, runId: root.run.id, now: 7, state: 'failed', attempt: 1, outcome: 'failed', error: 'boom', stopReason: null });
    expect(await store.get('d')).toMatchObject({ state: 'failed', lastError: 'Prerequisite b failed.', finishedAt: 7 });
    await store.close();
  });

  it('refuses an item that lists itself as a prerequisite, storing none of the batch', async () => {
    const store = openSqliteStore(':memory:');
    await expect(store.enqueue([makeWork({ id: 'ok' }), makeWork({ id: 'loop', state: 'blocked', prerequisites: ['loop'] })])).rejects.toThrow(InvalidChainError);
    await expect(store.enqueue([makeWork({ id: 'loop', state: 'blocked', prerequisites: ['loop'] })])).rejects.toThrow(/lists as a prerequisite itself/);
    expect(await store.query({})).toEqual([]);
    await store.close();
  });

  it('refuses a plan that returns a promise, changing nothing', async () => {
    const store = openSqliteStore(':memory:');
    await store.enqueue([makeWork({ id: 'old', uniqueName: 'n' })]);
    const asyncPlan = (async () => ({ insert: [makeWork({ id: 'new', uniqueName: 'n' })], cancel: ['old'], update: [] })) as unknown as Parameters<typeof store.enqueueUnique>[2];
    await expect(store.enqueueUnique('n', 5, asyncPlan)).rejects.toThrow(/returned a promise/);
    expect((await store.query({ uniqueNames: ['n'] })).map((s) => [s.id, s.state])).toEqual([['old', 'enqueued']]);
    await store.close();
  });

  it('re-indexes tags on update: the old tag no longer finds the item, the new one does', async () => {
    const store = openSqliteStore(':memory:');
    await store.enqueue([makeWork({ id: 'a', tags: ['old', 'kept'] })]);
    expect(await store.update('a', { tags: ['kept', 'new'] }, 5)).toBe(true);
    expect(await store.query({ tags: ['old'] })).toEqual([]);
    expect((await store.query({ tags: ['new'] })).map((s) => s.id)).toEqual(['a']);
    expect(await store.cancel({ tags: ['kept'], now: 6 })).toEqual(['a']);
    await store.close();
  });
});
