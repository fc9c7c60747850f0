/**
 * The child process of the idle case: opens one side's queue on a copy of a store holding n tasks
 * that are all due in an hour or later, starts its worker, waits until it is idle, then measures
 * the process's CPU time (`process.cpuUsage()`) and the statements run on its store over a window
 * of `windowMs`. Runs under runInChild (lib/child.ts).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createWorkEngine } from '@offstage/core';
import { BetterSqlite3Driver, SqliteStore } from '@offstage/sqlite';
import { childMain } from '../lib/child.js';
import { ENGINE_CONCURRENCY, stateCounts } from '../lib/offstage.js';
import { TimedDriver } from '../lib/timed-driver.js';
import { check } from '../lib/verify.js';

/** What the parent asks for. */
export interface IdleArgs {
  side: 'offstage' | 'plainjob' | 'liteque';
  dbPath: string;
  /** Tasks in the store, none due within the window. */
  n: number;
  windowMs: number;
}

/** What the child measured. */
export interface IdleResult {
  /** CPU time (user + system) over the window, as % of one core. */
  cpuPercent: number;
  /** Store statements executed during the window. */
  statements: number;
  /** The window as measured, ms. */
  wallMs: number;
  /** The statements run in the window, most frequent first (for the run line). */
  top: string;
}

/** Measures `windowMs` of an idle process after a full GC; `statements()` reads the store's counter. */
async function measure(windowMs: number, resetStatements: () => void, statements: () => number, top: () => string): Promise<IdleResult> {
  (globalThis as { gc?: () => void }).gc?.();
  resetStatements();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(windowMs);
  const cpu = process.cpuUsage(c0);
  const wallMs = performance.now() - t0;
  return { cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100, statements: statements(), wallMs, top: top() };
}

function topOf(entries: Iterable<[string, number]>): string {
  const sorted = [...entries].filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1]);
  return sorted.length === 0 ? 'none' : sorted.slice(0, 3).map(([sql, c]) => `${c}× ${sql}`).join('; ');
}

async function offstage({ dbPath, n, windowMs }: IdleArgs): Promise<IdleResult> {
  const driver = new TimedDriver(new BetterSqlite3Driver(new Database(dbPath)));
  const store = new SqliteStore(driver, { path: dbPath, synchronous: 'NORMAL', busyTimeoutMs: 5_000 });
  let calls = 0;
  const engine = createWorkEngine({ store, tasks: { future: () => void calls++ }, concurrency: ENGINE_CONCURRENCY });
  let workerError: unknown = null;
  engine.on('worker:error', ({ error, during }) => (workerError ??= new Error(`offstage worker:error while ${during}`, { cause: error })));
  try {
    await engine.start();
    await engine.whenIdle();
    if (workerError) throw workerError;
    const wakeAt = engine.activity().wakeAt;
    const next = await store.nextWakeAt({ taskNames: ['future'] });
    check(
      wakeAt !== null && wakeAt > Date.now() + windowMs,
      `offstage idle: the engine's wake timer is ${wakeAt === null ? 'not armed' : `armed ${wakeAt - Date.now()} ms from now`}, inside the ${windowMs} ms window (store.nextWakeAt: ${next === null ? 'null' : `${next - Date.now()} ms from now`})`,
    );
    const statements = (): Array<[string, number]> => [...driver.entries].filter(([label]) => !label.startsWith('begin+commit of:')).map(([label, e]) => [label, e.calls]);
    const result = await measure(
      windowMs,
      () => driver.reset(),
      () => statements().reduce((sum, [, c]) => sum + c, 0),
      () => topOf(statements()),
    );
    await engine.stop();
    if (workerError) throw workerError;
    const counts = await stateCounts(engine.store);
    check(calls === 0 && counts.enqueued === n && counts.total === n, `offstage idle: ${calls} handler calls, store counts ${JSON.stringify(counts)}; expected 0 and ${n} enqueued`);
    return result;
  } finally {
    await engine.close();
  }
}

async function plainjob({ dbPath, n, windowMs }: IdleArgs): Promise<IdleResult> {
  const { openPlainjob, startPlainjobWorkers } = await import('../lib/peers/plainjob.js');
  const pj = openPlainjob(dbPath, 'NORMAL', { count: true });
  let calls = 0;
  let failure: unknown = null;
  const workers = startPlainjobWorkers(pj.queue, 'future', ENGINE_CONCURRENCY, () => void calls++, { onError: (e) => (failure ??= e) });
  await sleep(100);
  const counter = pj.counter!;
  const result = await measure(windowMs, () => counter.reset(), () => counter.count, () => topOf(counter.bySql));
  await Promise.all(workers.map((w) => w.stop()));
  if (failure) throw failure;
  const counts = pj.counts();
  check(calls === 0 && counts.pending === n && counts.total === n, `plainjob idle: ${calls} handler calls, rows ${JSON.stringify(counts)}; expected 0 and ${n} pending`);
  pj.close();
  return result;
}

async function liteque({ dbPath, n, windowMs }: IdleArgs): Promise<IdleResult> {
  const { openLiteque, startLiteque } = await import('../lib/peers/liteque.js');
  const lq = openLiteque(dbPath, 'NORMAL', { count: true });
  let calls = 0;
  let failure: unknown = null;
  const { runner } = startLiteque(lq.queue(), ENGINE_CONCURRENCY, () => void calls++, (e) => (failure ??= e));
  await sleep(100);
  const counter = lq.counter!;
  const result = await measure(windowMs, () => counter.reset(), () => counter.count, () => topOf(counter.bySql));
  runner.stop();
  if (failure) throw failure;
  const counts = lq.counts();
  check(calls === 0 && counts.pending === n && counts.total === n, `liteque idle: ${calls} handler calls, rows ${JSON.stringify(counts)}; expected 0 and ${n} pending`);
  // The runner's loop may still be in its poll sleep; the process exits right after answering.
  return result;
}

childMain(async (args: IdleArgs) => {
  if (args.side === 'offstage') return offstage(args);
  if (args.side === 'plainjob') return plainjob(args);
  return liteque(args);
});
