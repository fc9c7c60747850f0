/**
 * A migrated database reopens without running migrations again, and everything written before
 * closing (items, tags, journal, fencing tokens) is there after reopening.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, type BetterSqlite3Database } from '@offstage/sqlite';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { makeWork } from './make-work.js';
import { useTempDirs } from './temp-dir.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BetterSqlite3Database;
const tempDir = useTempDirs();

describe('reopening a store file', () => {
  it('migrates once, then reopens with data intact and no migration', async () => {
    const path = join(tempDir(), 'work.db');
    const first = openSqliteStore(path);
    expect(first.opened).toEqual({ journalMode: 'wal', previousVersion: 0, applied: [1] });
    await first.enqueue([makeWork({ id: 'a', tags: ['x', 'y'] }), makeWork({ id: 'b', runAt: 50, tags: ['y'] })]);
    const [claimed] = await first.claim({ now: 10, workerId: 'w', leaseMs: 1_000, limit: 1, taskNames: ['noop'] });
    if (!claimed) throw new Error('not claimed');
    await first.settle({
      id: 'a', leaseToken: claimed.spec.leaseToken, runId: claimed.run.id, now: 20,
      state: 'succeeded', attempt: 1, outputJson: '{"ok":true}', outcome: 'succeeded', error: null, stopReason: null,
    });
    const before = { a: await first.get('a'), b: await first.get('b'), runs: await first.runs({}) };
    await first.close();

    const second = openSqliteStore(path);
    expect(second.opened).toEqual({ journalMode: 'wal', previousVersion: SCHEMA_VERSION, applied: [] });
    expect(await second.get('a')).toStrictEqual(before.a);
    expect(await second.get('b')).toStrictEqual(before.b);
    expect(await second.runs({})).toStrictEqual(before.runs);
    expect((await second.query({ tags: ['y'] })).map((s) => s.id).sort()).toEqual(['a', 'b']);
    expect(await second.nextWakeAt({ taskNames: ['noop'] })).toBe(50);
    // Run ids keep growing after a reopen.
    const [next] = await second.claim({ now: 50, workerId: 'w', leaseMs: 1_000, limit: 1, taskNames: ['noop'] });
    expect(next?.run.id).toBeGreaterThan(claimed.run.id);
    await second.close();

    const raw = new Database(path);
    const read = (sql: string): unknown => Object.values(raw.prepare(sql).get() as object)[0];
    expect(read('pragma user_version')).toBe(SCHEMA_VERSION);
    expect(read('pragma application_id')).toBe(0x6f667374);
    expect(read('pragma journal_mode')).toBe('wal');
    raw.close();
  });

  it('lets two stores open a new file at once: one migrates, the other finds it done', () => {
    const path = join(tempDir(), 'race.db');
    const a = openSqliteStore(path);
    const b = openSqliteStore(path);
    expect(a.opened.applied).toEqual([1]);
    expect(b.opened.applied).toEqual([]);
    void a.close();
    void b.close();
  });
});
