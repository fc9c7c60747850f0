/**
 * The child process of the wake-up case: a fresh process that opens one side's queue on a store
 * holding n pending tasks (one of them due) and measures the time from opening the store to the due
 * task's handler starting, and the process's peak resident memory meanwhile. The queue's modules
 * and SQLite client are loaded before the clock starts (the same for every side); the peak is
 * Linux's VmHWM, reset (`/proc/self/clear_refs` ← 5) just before the clock starts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { childMain } from '../lib/child.js';
import { check } from '../lib/verify.js';
import { Counter } from '../lib/wait.js';

/** What the parent asks for. */
export interface WakeupArgs {
  side: 'offstage' | 'plainjob' | 'liteque';
  dbPath: string;
  /** Pending tasks in the store, the due one included. */
  n: number;
  /** offstage: the id of the due task. */
  dueId: string | null;
  /** The worker's concurrency (offstage's ENGINE_CONCURRENCY; passed in so a peer's child never loads offstage). */
  concurrency: number;
}

/** What the child measured. */
export interface WakeupResult {
  /** Opening the store to the due handler's first line, ms. */
  ms: number;
  /** Peak resident memory from just before opening to after the due task finished, MiB. */
  peakMiB: number;
  /** Resident memory just before opening (modules loaded), MiB. */
  baseMiB: number;
  /** Opening alone (connection, pragmas, schema check), ms. */
  openMs: number;
}

const TIMEOUT_MS = 120_000;

function statusKiB(field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]);
}

/** Resets the peak RSS to the current RSS; false when the kernel does not allow it. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Starts the clock after a GC and a peak reset; returns what to call when done. */
function startClock(): { t0: number; base: number; finish: (t1: number, openMs: number) => WakeupResult } {
  (globalThis as { gc?: () => void }).gc?.();
  const reset = resetPeak();
  const base = statusKiB('VmRSS');
  const t0 = performance.now();
  return {
    t0,
    base,
    finish: (t1, openMs) => {
      // Without a resettable peak, the process's lifetime peak (resourceUsage().maxRSS) is the bound.
      const peakKiB = reset ? statusKiB('VmHWM') : process.resourceUsage().maxRSS;
      return { ms: t1 - t0, peakMiB: peakKiB / 1024, baseMiB: base / 1024, openMs };
    },
  };
}

async function offstage({ dbPath, n, dueId, concurrency }: WakeupArgs): Promise<WakeupResult> {
  const { createWorkEngine } = await import('@offstage/core');
  const { openOffstageStore, stateCounts } = await import('../lib/offstage.js');
  createRequire(import.meta.url)('better-sqlite3');
  const started = new Counter();
  const succeeded = new Counter();
  const seen: string[] = [];
  const clock = startClock();
  const store = await openOffstageStore(dbPath, 'NORMAL');
  const openMs = performance.now() - clock.t0;
  const engine = createWorkEngine({
    store,
    tasks: {
      job: ({ id }) => {
        seen.push(id);
        started.increment();
      },
    },
    concurrency,
  });
  engine.on('work:succeeded', () => succeeded.increment());
  engine.on('worker:error', ({ error }) => started.fail(error instanceof Error ? error : new Error(String(error))));
  try {
    const startPromise = engine.start();
    const t1 = await started.until(1, TIMEOUT_MS, 'the due handler');
    await startPromise;
    await succeeded.until(1, TIMEOUT_MS, 'the due task to succeed');
    await engine.stop();
    const result = clock.finish(t1, openMs);
    const counts = await stateCounts(engine.store);
    check(seen.length === 1 && seen[0] === dueId, `offstage wake-up: handlers ran for ${JSON.stringify(seen)}, expected only ${dueId}`);
    check(counts.succeeded === 1 && counts.enqueued === n - 1, `offstage wake-up: store counts ${JSON.stringify(counts)}, expected 1 succeeded and ${n - 1} enqueued`);
    return result;
  } finally {
    await engine.close();
  }
}

async function plainjob({ dbPath, n, concurrency }: WakeupArgs): Promise<WakeupResult> {
  const { openPlainjob, startPlainjobWorkers } = await import('../lib/peers/plainjob.js');
  const started = new Counter();
  const completed = new Counter();
  const seen: number[] = [];
  const clock = startClock();
  const pj = openPlainjob(dbPath, 'NORMAL');
  const openMs = performance.now() - clock.t0;
  const workers = startPlainjobWorkers(
    pj.queue,
    'job',
    concurrency,
    (job) => {
      seen.push(job.id);
      started.increment();
    },
    { onCompleted: () => completed.increment(), onError: (e) => started.fail(e instanceof Error ? e : new Error(String(e))) },
  );
  try {
    const t1 = await started.until(1, TIMEOUT_MS, 'the due handler');
    await completed.until(1, TIMEOUT_MS, 'the due job to complete');
    await Promise.all(workers.map((w) => w.stop()));
    const result = clock.finish(t1, openMs);
    const counts = pj.counts();
    check(seen.length === 1 && counts.done === 1 && counts.pending === n - 1, `plainjob wake-up: handlers ran for ${JSON.stringify(seen)}, rows ${JSON.stringify(counts)}; expected 1 done, ${n - 1} pending`);
    return result;
  } finally {
    pj.close();
  }
}

async function liteque({ dbPath, n, concurrency }: WakeupArgs): Promise<WakeupResult> {
  const { openLiteque, startLiteque } = await import('../lib/peers/liteque.js');
  createRequire(import.meta.url)('better-sqlite3-11');
  const started = new Counter();
  const finalized = new Counter();
  const seen: string[] = [];
  const clock = startClock();
  const lq = openLiteque(dbPath, 'NORMAL');
  const openMs = performance.now() - clock.t0;
  const queue = lq.queue(() => finalized.increment());
  const { runner } = startLiteque(
    queue,
    concurrency,
    (job) => {
      seen.push(job.id);
      started.increment();
    },
    (e) => started.fail(e instanceof Error ? e : new Error(String(e))),
  );
  const t1 = await started.until(1, TIMEOUT_MS, 'the due handler');
  await finalized.until(1, TIMEOUT_MS, 'the due job to finish');
  runner.stop();
  const result = clock.finish(t1, openMs);
  const counts = lq.counts();
  check(seen.length === 1 && counts.pending === n - 1 && counts.total === n - 1, `liteque wake-up: handlers ran for ${JSON.stringify(seen)}, rows ${JSON.stringify(counts)}; expected ${n - 1} pending`);
  // The runner may still be in its poll sleep; the process exits right after answering.
  return result;
}

childMain(async (args: WakeupArgs) => {
  if (args.side === 'offstage') return offstage(args);
  if (args.side === 'plainjob') return plainjob(args);
  return liteque(args);
});
