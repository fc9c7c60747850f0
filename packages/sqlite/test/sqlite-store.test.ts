/**
 * SqliteStore behaviour beyond the shared conformance suite: claims across more task names than
 * one statement holds, priorities outside the claim ranks, unlimited claims, an idempotent close,
 * capabilities and the connection settings.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreClosedError } from '@offstage/core';
import { BetterSqlite3Driver, SqliteStore, type BetterSqlite3Database } from '@offstage/sqlite';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { TASK_NAMES_PER_STATEMENT } from '../src/queries/claim-work.js';
import { makeWork } from './make-work.js';
import { useTempDirs } from './temp-dir.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BetterSqlite3Database;
const tempDir = useTempDirs();
const claimAll = { now: 1_000, workerId: 'w', leaseMs: 60_000 };

describe('SqliteStore', () => {
  it('claims in order across more task names than one statement holds', async () => {
    const store = openSqliteStore(':memory:');
    const names = Array.from({ length: TASK_NAMES_PER_STATEMENT * 2 + 7 }, (_, i) => `task-${i}`);
    // One item per task; priorities and due times spread so the best items sit in different groups.
    await store.enqueue(names.map((taskName, i) => makeWork({ id: `w${i}`, taskName, priority: [0, 10, 20, 30][i % 4] ?? 10, runAt: (i * 37) % 500 })));
    await store.enqueue([makeWork({ id: 'future', taskName: 'task-0', runAt: 5_000, priority: 30 })]);
    const expected = (await store.query({ limit: 1_000 }))
      .filter((s) => s.runAt <= 1_000)
      .sort((a, b) => b.priority - a.priority || a.runAt - b.runAt || Number(a.id.slice(1)) - Number(b.id.slice(1)))
      .map((s) => s.id);
    const first = await store.claim({ ...claimAll, limit: 25, taskNames: names });
    expect(first.map((c) => c.spec.id)).toEqual(expected.slice(0, 25));
    const rest = await store.claim({ ...claimAll, limit: 1_000, taskNames: names });
    expect(rest.map((c) => c.spec.id)).toEqual(expected.slice(25));
    expect(new Set([...first, ...rest].map((c) => c.run.id)).size).toBe(names.length);
    expect(await store.nextWakeAt({ taskNames: [...names].reverse(), excludeOwner: 'w' })).toBe(5_000);
    await store.close();
  });

  it('orders claims by priority even for values outside the ranks, and wakes for them', async () => {
    const store = openSqliteStore(':memory:');
    const spec = (id: string, priority: number, runAt = 0) => makeWork({ id, priority, runAt });
    await store.enqueue([spec('p10', 10), spec('p15', 15), spec('p99', 99), spec('m5', -5), spec('p30', 30), spec('p15-late', 15, 5), spec('p0', 0), spec('f', 12.5)]);
    const ids = (await store.claim({ ...claimAll, limit: 100, taskNames: ['noop'] })).map((c) => c.spec.id);
    expect(ids).toEqual(['p99', 'p30', 'p15', 'p15-late', 'f', 'p10', 'p0', 'm5']);
    await store.enqueue([spec('later', 77, 500)]);
    expect(await store.nextWakeAt({ taskNames: ['noop'], excludeOwner: 'w' })).toBe(500);
    await store.close();
  });

  it('claims everything due when the limit is Infinity, and nothing when it is 0', async () => {
    const store = openSqliteStore(':memory:');
    await store.enqueue(Array.from({ length: 30 }, (_, i) => makeWork({ id: `w${i}` })));
    expect(await store.claim({ ...claimAll, limit: 0, taskNames: ['noop'] })).toEqual([]);
    expect(await store.claim({ ...claimAll, limit: Infinity, taskNames: ['noop'] })).toHaveLength(30);
    await store.close();
  });

  it('closes idempotently, and refuses other calls once closed', async () => {
    const store = openSqliteStore(':memory:');
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
    await expect(store.get('a')).rejects.toThrow(StoreClosedError);
  });

  it('says a file can be shared between processes and an in-memory database cannot', async () => {
    const memory = openSqliteStore(':memory:');
    const file = openSqliteStore(join(tempDir(), 'work.db'));
    expect(memory.capabilities).toEqual({ multiProcess: false, notifications: false });
    expect(file.capabilities).toEqual({ multiProcess: true, notifications: false });
    await memory.close();
    await file.close();
  });

  it('sets WAL, synchronous, busy_timeout and foreign_keys on its connection', async () => {
    const pragmas = (db: BetterSqlite3Database): unknown[] =>
      ['journal_mode', 'synchronous', 'busy_timeout', 'foreign_keys'].map((name) => Object.values(db.prepare(`pragma ${name}`).get() as object)[0]);
    const path = join(tempDir(), 'settings.db');
    const defaults = new Database(path);
    const first = new SqliteStore(new BetterSqlite3Driver(defaults), { path });
    // synchronous: 1 is NORMAL, 2 is FULL.
    expect(pragmas(defaults)).toEqual(['wal', 1, 5_000, 1]);
    const full = new Database(path);
    const second = new SqliteStore(new BetterSqlite3Driver(full), { path, synchronous: 'FULL', busyTimeoutMs: 1_234 });
    expect(pragmas(full)).toEqual(['wal', 2, 1_234, 1]);
    await first.close();
    await second.close();
  });
});
