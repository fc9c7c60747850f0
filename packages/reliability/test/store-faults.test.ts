/**
 * Scenario 3a and 3b, store faults. (b) A database file replaced by garbage, truncated, belonging
 * to another application or made read-only must be refused at open with a typed error
 * (StoreCorruptError / StoreOpenError) in one sentence, and its bytes must never be rewritten;
 * the `offstage worker` CLI must say so in one line and exit 1. (a) The disk fills while two
 * worker processes write: every failure reaches the user as a readable typed error, the workers
 * keep running, and once space returns every item completes with the store intact. The disk is
 * a small tmpfs mounted for the test (root only); elsewhere the same scenario runs in-process on
 * connections capped with `pragma max_page_count`.
 *
 * Both are about a database file on this machine, so they run only on a file-based target
 * (SQLite) and are skipped on PostgreSQL, whose database is the server's. PostgreSQL's own faults
 * at open and mid-run are covered in packages/postgres/test: open-errors.test.ts (a bad URL,
 * nothing listening, an unresolvable or silent host, a missing database, a wrong password: one
 * typed sentence each) and fleet.test.ts (the server restarted under four worker processes:
 * they reconnect and lose nothing).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OffstageError, StoreCorruptError, StoreOpenError, createWorkEngine, type WorkEngine } from '@offstage/core';
import { BetterSqlite3Driver, SqliteStore, type BetterSqlite3Database } from '@offstage/sqlite';
import {
  bySize,
  completions,
  consistencyViolations,
  killAllWorkers,
  overlapViolations,
  readInvocations,
  reportFigures,
  settleViolations,
  sleep,
  snapshot,
  spawnWorker,
  storeTarget,
  tempDirs,
  waitUntil,
  type WorkerProcess,
} from '../src/index.js';
import { fixtureTasks } from './fixtures/fixture-tasks.js';
import type { WorkerConfig } from './fixtures/worker.js';

const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const OPEN_STORE = fileURLToPath(new URL('./fixtures/open-store.ts', import.meta.url));
const CLI_TASKS = fileURLToPath(new URL('./fixtures/cli-tasks.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../node/src/cli.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const target = storeTarget();
const temp = tempDirs();
afterEach(killAllWorkers);
afterAll(temp.cleanup);
afterAll(() => target.cleanup());

const ONE_SENTENCE = /^[^\n\r]+\.$/;
/** Why these scenarios do not run on this target (empty when they do). */
const NOT_FILE_BASED = target.fileBased ? '' : ': skipped, no database file to damage or fill (see packages/postgres/test/open-errors and fleet)';

/** Makes a real store with some work in it, closed cleanly (no -wal left), and returns its path. */
async function populatedStore(): Promise<string> {
  const location = await target.prepare(temp.make());
  const engine = await target.createEngine(location, { tasks: { t: () => 1 } });
  await engine.enqueueMany('t', Array.from({ length: 300 }, (_, i) => ({ input: { i, pad: 'x'.repeat(500) } })));
  await engine.close();
  return location;
}

/** Damaged files tried at open, for the scenario's figures line. */
const opened = { files: 0, refused: 0, changed: 0 };

/** Opening must fail with a typed one-sentence error and leave the bytes (and the directory) as they were. */
async function expectRefused(path: string, type: typeof StoreCorruptError | typeof StoreOpenError): Promise<void> {
  const before = readFileSync(path);
  opened.files++;
  const error = await target.openStore(path).then(
    async (store) => {
      await store.close();
      return null;
    },
    (e: unknown) => e,
  );
  if (error instanceof type) opened.refused++;
  if (!readFileSync(path).equals(before)) opened.changed++;
  expect(error, `${path} opened`).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(ONE_SENTENCE);
  expect((error as Error).message).toContain(path);
  expect(readFileSync(path).equals(before)).toBe(true);
  expect(existsSync(`${path}-wal`)).toBe(false);
}

describe.skipIf(!target.fileBased)(`a damaged store at open (${target.name}${NOT_FILE_BASED})`, () => {
  afterAll(() => {
    reportFigures({
      scenario: 'damaged-store-at-open',
      store: target.name,
      rounds: opened.files,
      items: opened.files,
      lost: opened.changed,
      duplicates: 0,
      stuck: 0,
      longestRecoveryMs: null,
      extra: { refused: opened.refused, 'opened-or-untyped': opened.files - opened.refused, 'bytes-changed': opened.changed },
    });
  });

  it('refuses garbage, garbage behind a SQLite header, and another application\'s database, unchanged', async () => {
    const dir = temp.make();
    const bytes = Buffer.alloc(64 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, bytes);
    await expectRefused(garbage, StoreCorruptError);
    const headed = join(dir, 'headed.db');
    writeFileSync(headed, Buffer.concat([Buffer.from('SQLite format 3\0'), bytes.subarray(16)]));
    await expectRefused(headed, StoreCorruptError);
    const other = join(dir, 'other.db');
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BetterSqlite3Database;
    const db = new Database(other);
    db.exec("create table accounts (id integer primary key, name text); insert into accounts (name) values ('alice')");
    db.close();
    await expectRefused(other, StoreCorruptError);
  });

  it('refuses a store truncated inside its header or its pages, unchanged', async () => {
    const source = await populatedStore();
    const size = statSync(source).size;
    for (const length of [50, 100, 4096, 4096 + 1000, 8192, Math.floor(size / 2), size - 4096]) {
      const path = join(temp.make(), `truncated-${length}.db`);
      copyFileSync(source, path);
      truncateSync(path, length);
      await expectRefused(path, StoreCorruptError);
    }
  });

  // Found by this suite: such a file used to open, be rewritten, and fail later with raw errors.
  it('refuses a store whose last page was cut short, unchanged', async () => {
    const source = await populatedStore();
    const size = statSync(source).size;
    for (const cut of [100, 1000]) {
      const path = join(temp.make(), `tail-${cut}.db`);
      copyFileSync(source, path);
      truncateSync(path, size - cut);
      await expectRefused(path, StoreCorruptError);
    }
  });

  it.runIf(process.getuid?.() === 0)('refuses a read-only store (opened as nobody), unchanged', async () => {
    const location = await populatedStore();
    const dir = join(location, '..');
    // nobody may enter the directory and read the file, but not write either.
    chmodSync(dir, 0o755);
    chmodSync(location, 0o444);
    const before = readFileSync(location);
    opened.files++;
    const child = spawnWorker(OPEN_STORE, { target: target.name, location }, { uid: 65534, gid: 65534 });
    const result = await child.waitFor((m) => m.type === 'result', 30_000);
    if (result.name === 'StoreOpenError') opened.refused++;
    if (!readFileSync(location).equals(before)) opened.changed++;
    expect(result).toMatchObject({ ok: false, name: 'StoreOpenError', code: 'STORE_OPEN_FAILED', offstage: true });
    expect(result.message).toMatch(ONE_SENTENCE);
    expect(result.message).toMatch(/read-only/);
    expect(readFileSync(location).equals(before)).toBe(true);
  });

  it('makes `offstage worker` on a garbage file say so in one line and exit 1, leaving the file alone', async () => {
    const dir = temp.make();
    const db = join(dir, 'work.db');
    const bytes = Buffer.from('this is not a database, it is a shopping list: eggs, milk, bread\n'.repeat(200));
    writeFileSync(db, bytes);
    opened.files++;
    const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, CLI, 'worker', CLI_TASKS, '--db', db], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code === 1 && /not a SQLite database/.test(stderr)) opened.refused++;
    if (!readFileSync(db).equals(bytes)) opened.changed++;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^offstage: The work store ".*work\.db" is not a SQLite database offstage can read/);
    expect(readFileSync(db).equals(bytes)).toBe(true);
  });
});

/** Whether this process may mount a tmpfs (root on Linux): probed once, then unmounted. */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = temp.make();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fills the file system holding `dir` with one file; returns its path (delete it to free the space). */
function fillDisk(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  }
  // Then the last few bytes, so not even one page is left.
  try {
    for (;;) writeSync(fd, chunk, 0, 512);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return filler;
}

const ITEMS = bySize({ default: 120, full: 400 });
const FULL_FOR_MS = bySize({ default: 3_000, full: 8_000 });

describe.skipIf(!target.fileBased)(`the disk fills while workers write (${target.name}${NOT_FILE_BASED})`, () => {
  // OFFSTAGE_RELIABILITY_NO_TMPFS=1 runs the fallback even where a tmpfs could be mounted.
  const tmpfs = target.fileBased && process.env.OFFSTAGE_RELIABILITY_NO_TMPFS !== '1' && canMountTmpfs();

  it.runIf(tmpfs)('reports a readable error, keeps the workers running, and completes everything once space returns (tmpfs)', async () => {
    const mountPoint = temp.make();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mountPoint]);
    const log = join(temp.make(), 'invocations.log');
    const location = await target.prepare(mountPoint);
    const workers: WorkerProcess[] = [];
    let observer: WorkEngine | null = null;
    try {
      observer = await target.createEngine(location, {});
      const input = { log, ms: 10, outputBytes: 2_000 };
      const ids = (await observer.enqueueMany('job', Array.from({ length: ITEMS }, () => ({ input, allowUnregistered: true })))).map((i) => i.id);
      const config: WorkerConfig = { target: target.name, location, log, concurrency: 2, leaseTime: '2s', tasks: ['job'] };
      workers.push(spawnWorker(WORKER, config), spawnWorker(WORKER, config));
      // Both must be past opening the store: the scenario is a disk filling under running workers.
      await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'ready')));
      await waitUntil('some work to succeed', async () => (await observer!.store.counts(Date.now())).some((c) => c.state === 'succeeded' && c.count >= 10), 30_000);

      const filler = fillDisk(mountPoint);
      const fullAt = Date.now();
      // The user's own calls fail too, with the same typed error.
      const enqueueErrors: unknown[] = [];
      while (Date.now() - fullAt < FULL_FOR_MS) {
        await observer.enqueue('job', { input, allowUnregistered: true }).then((info) => ids.push(info.id), (e: unknown) => enqueueErrors.push(e));
        await sleep(250);
      }
      const alive = workers.map((w) => !w.hasExited());
      unlinkSync(filler);
      const freedAt = Date.now();
      const total = ids.length;
      await waitUntil('every item to succeed after space returns', async () => {
        const counts = await observer!.store.counts(Date.now());
        return counts.every((c) => c.state === 'succeeded') && counts.reduce((n, c) => n + c.count, 0) === total;
      }, 60_000, 100);
      const recovery = Date.now() - freedAt;
      for (const w of workers) w.kill('SIGTERM');
      const exits = await Promise.all(workers.map((w) => w.exited));

      const errors = workers.flatMap((w) => w.messages().filter((m) => m.event === 'worker:error'));
      const snap = await snapshot(observer.store, Date.now());
      const duplicates = [...completions(readInvocations(log)).values()].reduce((n, c) => n + c - 1, 0);
      reportFigures({
        scenario: 'disk-full (tmpfs)',
        store: target.name,
        rounds: 1,
        items: total,
        lost: ids.filter((id) => !snap.items.some((s) => s.id === id && s.state === 'succeeded')).length,
        duplicates,
        stuck: snap.items.filter((s) => s.state !== 'succeeded').length,
        longestRecoveryMs: recovery,
        extra: {
          'full-for-ms': FULL_FOR_MS,
          'worker-errors': errors.length,
          // What the workers were doing when the store refused the write.
          during: Object.entries(countBy(errors.map((e) => String(e.during).replace(/ (of )?work \S+$/, ''))))
            .map(([k, v]) => `${k.replace(/\s+/g, '-')}:${v}`)
            .join(','),
          'enqueue-errors': enqueueErrors.length,
        },
      });

      expect(alive, workers.map((w) => `${w.pid}: ${w.stderr().slice(0, 2000)} ${JSON.stringify(w.messages().filter((m) => m.type !== 'event').slice(-3))}`).join('\n')).toEqual([true, true]);
      expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
      expect(errors.length + enqueueErrors.length).toBeGreaterThan(0);
      // Every failure a user sees is typed and readable: it says the disk is full.
      for (const e of errors) expect(e, JSON.stringify(e)).toMatchObject({ offstage: true, message: expect.stringMatching(/disk is full/) });
      for (const e of enqueueErrors) {
        expect(e).toBeInstanceOf(OffstageError);
        expect((e as Error).message).toMatch(/disk is full/);
        expect((e as Error).message).toMatch(ONE_SENTENCE);
      }
      expect(snap.items).toHaveLength(total);
      expect(consistencyViolations(snap)).toEqual([]);
      expect(overlapViolations(snap.runs)).toEqual([]);
      expect(settleViolations(snap)).toEqual([]);
      expect(integrity(location)).toBe('ok');
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await observer?.close().catch(() => undefined);
      execFileSync('umount', ['-l', mountPoint]);
    }
  }, 120_000);

  it.runIf(!tmpfs)('reports a readable error and completes everything once space returns (in-process, max_page_count)', async () => {
    // Fallback without root: two engines on connections whose page budget the test controls.
    const location = await target.prepare(temp.make());
    const log = join(temp.make(), 'invocations.log');
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BetterSqlite3Database & { pragma(source: string, options?: { simple?: boolean }): unknown };
    const connections = [new Database(location), new Database(location)];
    const engines = connections.map((db) =>
      createWorkEngine({ store: new SqliteStore(new BetterSqlite3Driver(db), { path: location }), tasks: { job: fixtureTasks.job! }, concurrency: 2, leaseTime: '2s' }),
    );
    const errors: unknown[] = [];
    for (const e of engines) e.on('worker:error', ({ error }) => errors.push(error));
    try {
      const input = { log, ms: 10, outputBytes: 2_000 };
      await engines[0]!.enqueueMany('job', Array.from({ length: ITEMS }, () => ({ input })));
      for (const e of engines) await e.start();
      await waitUntil('some work to succeed', async () => (await engines[0]!.store.counts(Date.now())).some((c) => c.state === 'succeeded' && c.count >= 10), 30_000);
      for (const db of connections) db.pragma(`max_page_count = ${String((db.pragma('page_count', { simple: true }) as number) + 1)}`);
      await sleep(FULL_FOR_MS);
      for (const db of connections) db.pragma('max_page_count = 1073741823');
      const freedAt = Date.now();
      for (const e of engines) e.wake();
      await waitUntil('every item to succeed', async () => (await engines[0]!.store.counts(Date.now())).every((c) => c.state === 'succeeded'), 60_000, 100);
      const snap = await snapshot(engines[0]!.store, Date.now());
      reportFigures({
        scenario: 'disk-full (max_page_count)',
        store: target.name,
        rounds: 1,
        items: ITEMS,
        lost: ITEMS - snap.items.filter((s) => s.state === 'succeeded').length,
        duplicates: [...completions(readInvocations(log)).values()].reduce((n, c) => n + c - 1, 0),
        stuck: 0,
        longestRecoveryMs: Date.now() - freedAt,
        extra: { 'worker-errors': errors.length },
      });
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e).toBeInstanceOf(OffstageError);
        expect((e as Error).message).toMatch(/disk is full/);
      }
      expect(consistencyViolations(snap)).toEqual([]);
      expect(settleViolations(snap)).toEqual([]);
    } finally {
      for (const e of engines) await e.close({ grace: 0 });
    }
  }, 120_000);
});

function countBy(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** `pragma integrity_check` on a fresh connection. */
function integrity(path: string): string {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string, o?: object) => { prepare(s: string): { pluck(): { get(): unknown } }; close(): void };
  const db = new Database(path, { readonly: true });
  try {
    return String(db.prepare('pragma integrity_check').pluck().get());
  } finally {
    db.close();
  }
}
