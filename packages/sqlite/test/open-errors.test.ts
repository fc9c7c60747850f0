/**
 * Opening bad databases: every way a path can be wrong gets StoreOpenError or StoreCorruptError
 * with one sentence naming the path, and the file on disk keeps every byte. Root ignores file
 * modes, so under root the chmod case opens the file from a child process running as `nobody`.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreCorruptError, StoreOpenError } from '@offstage/core';
import { BetterSqlite3Driver, SqliteStore, type BetterSqlite3Database } from '@offstage/sqlite';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { useTempDirs } from './temp-dir.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as new (
  path: string,
  options?: { readonly?: boolean },
) => BetterSqlite3Database;

const tempDir = useTempDirs();

/** Asserts `open` throws `type` with one sentence naming `path`, and returns the message. */
function expectOpenError(open: () => unknown, type: typeof StoreOpenError | typeof StoreCorruptError, path: string): string {
  let thrown: unknown;
  try {
    open();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  const message = (thrown as Error).message;
  expect(message).toContain(`"${path}"`);
  // One sentence: no line breaks, one final full stop, no stack-like detail.
  expect(message).not.toMatch(/\n/);
  expect(message.endsWith('.')).toBe(true);
  return message;
}

/** A real offstage database with some work in it, closed, and its bytes. */
async function makeStoreFile(dir: string): Promise<{ path: string; bytes: Buffer }> {
  const path = join(dir, 'real.db');
  const store = openSqliteStore(path);
  await store.enqueue(
    Array.from({ length: 300 }, (_, i) => ({
      id: `item-${i}`,
      taskName: 'noop',
      state: 'enqueued' as const,
      inputJson: JSON.stringify({ i, pad: 'x'.repeat(200) }),
      outputJson: null,
      progressJson: null,
      tags: ['t'],
      priority: 10,
      runAt: i,
      attempt: 0,
      maxAttempts: 5,
      backoff: { policy: 'exponential' as const, initialDelayMs: 30_000, maxDelayMs: 18_000_000 },
      timeoutMs: null,
      uniqueName: null,
      schedule: null,
      prerequisites: [],
      inputMerger: 'overwrite' as const,
      constraints: null,
      constraintMask: 0,
      minBattery: null,
      maxMemory: null,
      lastError: null,
      createdAt: i,
      updatedAt: i,
      finishedAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseToken: 0,
    })),
  );
  await store.close();
  return { path, bytes: readFileSync(path) };
}

describe('openSqliteStore on bad paths', () => {
  it('refuses a path whose directory does not exist, and creates nothing', () => {
    const dir = join(tempDir(), 'missing');
    const path = join(dir, 'work.db');
    const message = expectOpenError(() => openSqliteStore(path), StoreOpenError, path);
    expect(message).toMatch(/directory .* does not exist/);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a path under a regular file, leaving the file as it was', () => {
    const dir = tempDir();
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'keep me');
    const path = join(file, 'work.db');
    const message = expectOpenError(() => openSqliteStore(path), StoreOpenError, path);
    expect(message).toContain(`"${file}" is not a directory`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('refuses a directory', () => {
    const path = tempDir();
    const message = expectOpenError(() => openSqliteStore(path), StoreOpenError, path);
    expect(message).toContain('is a directory');
    expect(readdirSync(path)).toEqual([]);
  });

  it('refuses a file that is not a SQLite database, byte for byte unchanged, with no side files', () => {
    const dir = tempDir();
    const path = join(dir, 'garbage.db');
    const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 251));
    writeFileSync(path, bytes);
    const message = expectOpenError(() => openSqliteStore(path), StoreCorruptError, path);
    expect(message).toContain('not a SQLite database');
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(['garbage.db']);
  });

  it('refuses a text file that happens to be small, unchanged', () => {
    const dir = tempDir();
    const path = join(dir, 'config.json');
    writeFileSync(path, '{"not":"a database"}\n');
    expectOpenError(() => openSqliteStore(path), StoreCorruptError, path);
    expect(readFileSync(path, 'utf8')).toBe('{"not":"a database"}\n');
  });

  it.each([
    ['to 50 bytes (inside the header)', (n: number) => Math.min(50, n)],
    ['to one page', () => 4096],
    ['to half', (n: number) => Math.floor(n / 2)],
    ['by one page', (n: number) => n - 4096],
  ])('refuses a real store file truncated %s, unchanged', async (_label, cut) => {
    const dir = tempDir();
    const { bytes } = await makeStoreFile(dir);
    const path = join(dir, 'truncated.db');
    const truncated = bytes.subarray(0, cut(bytes.length));
    expect(truncated.length).toBeLessThan(bytes.length);
    writeFileSync(path, truncated);
    expectOpenError(() => openSqliteStore(path), StoreCorruptError, path);
    expect(readFileSync(path).equals(truncated)).toBe(true);
  });

  it("refuses another application's SQLite database, unchanged", () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    const other = new Database(path);
    other.exec("create table notes (body text); insert into notes values ('mine')");
    other.close();
    const bytes = readFileSync(path);
    const message = expectOpenError(() => openSqliteStore(path), StoreCorruptError, path);
    expect(message).toContain('another application');
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('refuses a store written by a newer offstage and says to upgrade, unchanged', async () => {
    const dir = tempDir();
    const { path } = await makeStoreFile(dir);
    const newer = new Database(path);
    newer.exec('pragma user_version = 999');
    newer.close();
    const bytes = readFileSync(path);
    const message = expectOpenError(() => openSqliteStore(path), StoreOpenError, path);
    expect(message).toMatch(/schema version 999.*upgrade offstage/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('refuses a store it can only read (SQLite opened read-only), unchanged', async () => {
    const dir = tempDir();
    const { path, bytes } = await makeStoreFile(dir);
    const readOnly = new Database(path, { readonly: true });
    let thrown: unknown;
    try {
      new SqliteStore(new BetterSqlite3Driver(readOnly), { path });
    } catch (error) {
      thrown = error;
    } finally {
      readOnly.close();
    }
    expect(thrown).toBeInstanceOf(StoreOpenError);
    expect((thrown as Error).message).toContain(`"${path}" is read-only`);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('refuses a new, empty file it can only read', () => {
    const dir = tempDir();
    const path = join(dir, 'empty.db');
    writeFileSync(path, '');
    const readOnly = new Database(path, { readonly: true });
    let thrown: unknown;
    try {
      new SqliteStore(new BetterSqlite3Driver(readOnly), { path });
    } catch (error) {
      thrown = error;
    } finally {
      readOnly.close();
    }
    expect(thrown).toBeInstanceOf(StoreOpenError);
    expect(readFileSync(path).length).toBe(0);
  });

  it('refuses a file without write permission', async () => {
    const dir = tempDir();
    const { path, bytes } = await makeStoreFile(dir);
    chmodSync(path, 0o444);
    if (process.getuid?.() === 0) {
      // Root may write anything, so open it as an ordinary user, the way a real deployment would.
      chmodSync(dir, 0o755);
      const fixture = fileURLToPath(new URL('./fixtures/open-store.ts', import.meta.url));
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const child = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--conditions=source', '--import', tsx, fixture, path], {
        encoding: 'utf8',
        env: { ...process.env, HOME: '/tmp' },
      });
      const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; code?: string; message?: string };
      expect(result).toMatchObject({ ok: false, code: 'STORE_OPEN_FAILED' });
      expect(result.message).toContain(`"${path}"`);
    } else {
      expectOpenError(() => openSqliteStore(path), StoreOpenError, path);
    }
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('opens a new file in an existing directory and an empty existing file', async () => {
    const dir = tempDir();
    const fresh = openSqliteStore(join(dir, 'new.db'));
    expect(fresh.opened).toMatchObject({ journalMode: 'wal', previousVersion: 0, applied: [1] });
    await fresh.close();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'empty.db'), '');
    const empty = openSqliteStore(join(dir, 'sub', 'empty.db'));
    expect(empty.opened.applied).toEqual([1]);
    await empty.close();
  });

  it('rejects bad settings with StoreOpenError', () => {
    expect(() => openSqliteStore(':memory:', { busyTimeoutMs: -1 })).toThrow(StoreOpenError);
    expect(() => openSqliteStore(':memory:', { synchronous: 'OFF' as 'FULL' })).toThrow(StoreOpenError);
  });
});
