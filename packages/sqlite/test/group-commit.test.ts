/**
 * Group commit: writes called in the same tick share one transaction, yet each keeps its own
 * result, fails alone, resolves only after its commit and applies in call order; a claim joins the
 * settles queued before it. Also the engine over it (slots freed when a handler finishes, an item
 * claimed again while its previous attempt still settles) and the idle checkpoint.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWorkEngine, RetryLaterError, StoreOpenError, type ClaimedWork, type Settlement } from '@offstage/core';
import { BetterSqlite3Driver, SqliteStore, type BetterSqlite3Database, type SqliteDriver, type SqliteParams, type SqliteRunResult } from '@offstage/sqlite';
import { makeWork } from './make-work.js';
import { useTempDirs } from './temp-dir.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BetterSqlite3Database;
const tempDir = useTempDirs();

/** A driver that counts transactions and statements, and can fail a statement on demand. */
class CountingDriver implements SqliteDriver {
  transactions = 0;
  readonly statements: string[] = [];
  /** Throws this error from any statement whose parameters include `failOn`. */
  failOn: string | null = null;
  /** Throws from `transaction()` before running anything. */
  failBegin: Error | null = null;
  constructor(readonly inner: SqliteDriver) {}
  exec(sql: string): void {
    this.inner.exec(sql);
  }
  run(sql: string, params: SqliteParams = []): SqliteRunResult {
    this.check(sql, params);
    return this.inner.run(sql, params);
  }
  get<Row extends object>(sql: string, params: SqliteParams = []): Row | undefined {
    this.check(sql, params);
    return this.inner.get<Row>(sql, params);
  }
  all<Row extends object>(sql: string, params: SqliteParams = []): Row[] {
    this.check(sql, params);
    return this.inner.all<Row>(sql, params);
  }
  transaction<T>(fn: () => T): T {
    if (this.failBegin) throw this.failBegin;
    this.transactions++;
    return this.inner.transaction(fn);
  }
  close(): void {
    this.inner.close();
  }
  private check(sql: string, params: SqliteParams): void {
    this.statements.push(sql);
    if (this.failOn !== null && params.includes(this.failOn)) throw new Error(`injected failure for ${this.failOn}`);
  }
}

function openCounting(path = ':memory:', options: { idleCheckpointMs?: number | null } = {}): { store: SqliteStore; driver: CountingDriver } {
  const driver = new CountingDriver(new BetterSqlite3Driver(new Database(path)));
  return { store: new SqliteStore(driver, { path, ...options }), driver };
}

function success(c: ClaimedWork, now = 2): Settlement {
  return { id: c.spec.id, leaseToken: c.spec.leaseToken, runId: c.run.id, now, state: 'succeeded', attempt: c.spec.attempt, outputJson: '1', outcome: 'succeeded', error: null, stopReason: null };
}

const claimOptions = { now: 1, workerId: 'w', leaseMs: 60_000, taskNames: ['noop'] };

describe('group commit', () => {
  it('commits settles of one tick in one transaction, each with its own result', async () => {
    const { store, driver } = openCounting();
    await store.enqueue(Array.from({ length: 5 }, (_, i) => makeWork({ id: `w${i}` })));
    const claimed = await store.claim({ ...claimOptions, limit: 5 });
    driver.transactions = 0;
    const stale = { ...success(claimed[4]!), leaseToken: 99 };
    const results = await Promise.all([...claimed.slice(0, 4).map((c) => store.settle(success(c))), store.settle(stale)]);
    expect(results).toEqual([true, true, true, true, false]);
    expect(driver.transactions).toBe(1);
    expect((await store.query({ states: ['succeeded'] })).map((s) => s.id).sort()).toEqual(['w0', 'w1', 'w2', 'w3']);
    await store.close();
  });

  it('rolls back and applies one by one when one write throws: only that one fails', async () => {
    const { store, driver } = openCounting();
    await store.enqueue(Array.from({ length: 3 }, (_, i) => makeWork({ id: `w${i}` })));
    const claimed = await store.claim({ ...claimOptions, limit: 3 });
    driver.failOn = 'w1';
    driver.transactions = 0;
    const results = await Promise.allSettled(claimed.map((c) => store.settle(success(c))));
    driver.failOn = null;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    // The shared attempt, then each of the three on its own.
    expect(driver.transactions).toBe(4);
    const states = Object.fromEntries((await store.query({})).map((s) => [s.id, s.state]));
    expect(states).toEqual({ w0: 'succeeded', w1: 'running', w2: 'succeeded' });
    // The failed settle left nothing behind: its journal row is still open.
    expect((await store.runs({ workId: 'w1' }))[0]?.endedAt).toBeNull();
    await store.close();
  });

  it('rejects every write of the batch when the transaction cannot begin', async () => {
    const { store, driver } = openCounting();
    await store.enqueue([makeWork({ id: 'a' }), makeWork({ id: 'b' })]);
    const claimed = await store.claim({ ...claimOptions, limit: 2 });
    driver.failBegin = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const results = await Promise.allSettled(claimed.map((c) => store.settle(success(c))));
    driver.failBegin = null;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await store.query({ states: ['running'] })).length).toBe(2);
    await store.close();
  });

  it('applies calls in the order they were made, even before the grouped commit', async () => {
    const { store } = openCounting();
    await store.enqueue([makeWork({ id: 'a' }), makeWork({ id: 'b' })]);
    const [a, b] = await store.claim({ ...claimOptions, limit: 2 });
    // Not awaited: the reads and the cancel come after the settles, so they see them applied.
    const settledA = store.settle(success(a!));
    const seen = store.get('a');
    const settledB = store.settle(success(b!));
    const cancelled = store.cancel({ ids: ['b'], now: 3 });
    expect((await seen)?.state).toBe('succeeded');
    expect(await settledA).toBe(true);
    expect(await settledB).toBe(true);
    expect(await cancelled).toEqual([]);
    await store.close();
  });

  it('runs a claim in the same transaction as the settles queued before it', async () => {
    const { store, driver } = openCounting();
    await store.enqueue(Array.from({ length: 4 }, (_, i) => makeWork({ id: `w${i}` })));
    const first = await store.claim({ ...claimOptions, limit: 2 });
    driver.transactions = 0;
    const settled = first.map((c) => store.settle(success(c)));
    const next = await store.claim({ ...claimOptions, now: 2, limit: 2 });
    expect(await Promise.all(settled)).toEqual([true, true]);
    expect(next.map((c) => c.spec.id)).toEqual(['w2', 'w3']);
    expect(driver.transactions).toBe(1);
    await store.close();
  });

  it('stores enqueues of one tick together, and refuses a clashing id alone', async () => {
    const { store, driver } = openCounting();
    driver.transactions = 0;
    const results = await Promise.allSettled([store.enqueue([makeWork({ id: 'x' })]), store.enqueue([makeWork({ id: 'y' })]), store.enqueue([makeWork({ id: 'x' })])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((await store.query({})).map((s) => s.id).sort()).toEqual(['x', 'y']);
    await store.close();
  });

  it('commits queued writes before closing', async () => {
    const path = join(tempDir(), 'close.db');
    const { store } = openCounting(path);
    await store.enqueue([makeWork({ id: 'a' })]);
    const [a] = await store.claim({ ...claimOptions, limit: 1 });
    const settled = store.settle(success(a!));
    await store.close();
    expect(await settled).toBe(true);
    const again = openCounting(path).store;
    expect((await again.get('a'))?.state).toBe('succeeded');
    await again.close();
  });
});

describe('the engine over group commit', () => {
  it('runs an item claimed again while its previous attempt is still settling, once per attempt', async () => {
    const store = new SqliteStore(new BetterSqlite3Driver(new Database(':memory:')), { path: ':memory:' });
    const attempts = new Map<string, number>();
    const unlisted: string[] = [];
    const engine = createWorkEngine({
      store,
      concurrency: 4,
      tasks: {
        flaky: async ({ id, attempt }) => {
          attempts.set(id, (attempts.get(id) ?? 0) + 1);
          // Due again at once: the next claim (in the settle's own transaction) takes it back.
          if (attempt === 1) throw new RetryLaterError('again', 0);
          // By now the first attempt is done; the engine must still list (and so be able to cancel) this one.
          await new Promise((r) => setTimeout(r, 1));
          if (!engine.activity().running.includes(id)) unlisted.push(id);
          return attempt;
        },
      },
    });
    const succeeded: string[] = [];
    engine.on('work:succeeded', ({ id }) => void succeeded.push(id));
    // One at a time, then a batch: alone, an item is the best due one again right after it fails.
    const items = [await engine.enqueue('flaky', { input: -1 })];
    await engine.start();
    for (let i = 0; i < 200 && succeeded.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    items.push(...(await engine.enqueueMany('flaky', Array.from({ length: 19 }, (_, i) => ({ input: i })))));
    await engine.start();
    for (let i = 0; i < 200 && succeeded.length < items.length; i++) await new Promise((r) => setTimeout(r, 5));
    await engine.whenIdle();
    expect(succeeded.sort()).toEqual(items.map((w) => w.id).sort());
    expect([...attempts.values()].every((n) => n === 2)).toBe(true);
    expect(unlisted).toEqual([]);
    expect(engine.activity().running).toEqual([]);
    expect((await engine.query({ states: ['succeeded'], limit: 100 })).length).toBe(20);
    await engine.close();
  });
});

describe('checkpoints', () => {
  it('sets the log cap and checkpoints once the store has been idle', async () => {
    const path = join(tempDir(), 'idle.db');
    const { store, driver } = openCounting(path, { idleCheckpointMs: 20 });
    const db = (driver.inner as unknown as { get: (sql: string) => unknown });
    expect(db.get('pragma wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 4000 });
    await store.enqueue([makeWork({ id: 'a' })]);
    // Calls keep coming: no checkpoint yet.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 8));
      await store.get('a');
    }
    expect(driver.statements.filter((s) => s.includes('wal_checkpoint'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(driver.statements.filter((s) => s.includes('wal_checkpoint'))).toEqual(['pragma wal_checkpoint(PASSIVE)']);
    await store.close();
  });

  it('does not wake for a checkpoint when nothing was written (an idle worker stays silent)', async () => {
    const path = join(tempDir(), 'quiet.db');
    const { store, driver } = openCounting(path, { idleCheckpointMs: 10 });
    // What an idle worker's pass does: reconcile, claim and look for the next wake-up, finding nothing.
    await store.reconcile(1);
    expect(await store.claim({ ...claimOptions, limit: 8 })).toEqual([]);
    await store.nextWakeAt({ taskNames: ['noop'] });
    const before = driver.statements.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(driver.statements.slice(before)).toEqual([]);
    await store.close();
  });

  it('never checkpoints on its own when idleCheckpointMs is null, and checks the settings', async () => {
    const path = join(tempDir(), 'off.db');
    const { store, driver } = openCounting(path, { idleCheckpointMs: null });
    await store.enqueue([makeWork({ id: 'a' })]);
    await new Promise((r) => setTimeout(r, 300));
    expect(driver.statements.filter((s) => s.includes('wal_checkpoint'))).toEqual([]);
    await store.close();
    const bad = (settings: object) => () => new SqliteStore(new BetterSqlite3Driver(new Database(':memory:')), { path: ':memory:', ...settings });
    expect(bad({ checkpointPages: 0 })).toThrow(StoreOpenError);
    expect(bad({ checkpointPages: 1.5 })).toThrow(StoreOpenError);
    expect(bad({ idleCheckpointMs: -1 })).toThrow(StoreOpenError);
  });
});
