/**
 * Case: the scale of a wake-up. A store holds N pending tasks, one of them due; a fresh process
 * opens it and starts the worker, and we measure the time from opening the store to the due task's
 * handler starting (offstage: open, `engine.start()` → reconcile → claim), and the process's peak
 * memory meanwhile, at three sizes of N, to show whether either grows with what is pending.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BenchCase, Metric, Mode, RunContext, Side, SideKind } from '../lib/harness.js';
import { runInChild } from '../lib/child.js';
import { ENGINE_CONCURRENCY } from '../lib/offstage.js';
import { LITEQUE, openLiteque, seedLiteque } from '../lib/peers/liteque.js';
import { openPlainjob, PLAINJOB } from '../lib/peers/plainjob.js';
import { checkpoint, seedOffstage, seedPlainjob, TemplateDbs } from '../lib/seed.js';
import { check } from '../lib/verify.js';
import type { WakeupArgs, WakeupResult } from './wakeup-child.js';

/** The pending counts compared, by mode. */
export const WAKEUP_SIZES: Record<Mode, readonly number[]> = { quick: [1_000, 10_000, 100_000], full: [10_000, 100_000, 1_000_000] };

/** The future tasks fall due this long after seeding and later. */
const FIRST_DUE_MS = 3_600_000;
const CHILD = new URL('./wakeup-child.ts', import.meta.url);

/** Metric keys for `n` pending. */
export const wakeupKeys = (n: number): { ms: string; rss: string } => ({ ms: `ms_${n}`, rss: `rss_${n}` });

const short = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);

function wakeupSide(name: string, kind: SideKind, side: WakeupArgs['side'], sizes: readonly number[], seed: (path: string, n: number) => Promise<string | null>): Side {
  const templates = new TemplateDbs();
  const dueIds = new Map<number, string | null>();
  return {
    name,
    kind,
    async prepare() {
      for (const n of sizes) await templates.ensure(String(n), async (path) => void dueIds.set(n, await seed(path, n)));
    },
    dispose: () => Promise.resolve(templates.dispose()),
    async run({ dbPath }: RunContext) {
      const values: Record<string, number> = {};
      const notes: string[] = [];
      for (const n of sizes) {
        const path = join(dirname(dbPath), `${n}.db`);
        templates.copyTo(String(n), path);
        try {
          const args: WakeupArgs = { side, dbPath: path, n, dueId: dueIds.get(n) ?? null, concurrency: ENGINE_CONCURRENCY };
          const r = await runInChild<WakeupResult>(CHILD, args, 180_000);
          values[wakeupKeys(n).ms] = r.ms;
          values[wakeupKeys(n).rss] = r.peakMiB;
          notes.push(`${short(n)} open ${r.openMs.toFixed(1)} ms, base ${r.baseMiB.toFixed(0)} MiB`);
        } finally {
          for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
        }
      }
      return { values, verified: `only the due task ran, the rest still pending (${notes.join('; ')})` };
    },
  };
}

/**
 * The wake-up case for `mode` (N = 10k, 100k, 1M; quick 1k, 10k, 100k).
 *
 * @example
 * wakeupCase('full')
 */
export function wakeupCase(mode: Mode): BenchCase {
  const sizes = WAKEUP_SIZES[mode];
  const largest = sizes.at(-1)!;
  const metrics: Metric[] = sizes.flatMap((n) => [
    { key: wakeupKeys(n).ms, label: `${n.toLocaleString('en-US')} pending: open → first due handler`, unit: 'ms', better: 'lower' as const },
    { key: wakeupKeys(n).rss, label: `${n.toLocaleString('en-US')} pending: peak RSS`, unit: 'MiB', better: 'lower' as const },
  ]);
  const offstage = wakeupSide('offstage', 'offstage', 'offstage', sizes, async (path, n) => {
    const { dueId } = await seedOffstage(path, { task: 'job', future: n - 1, firstDelayMs: FIRST_DUE_MS, stepMs: 1_000, due: true });
    return dueId;
  });
  const plainjob = wakeupSide(PLAINJOB, 'sqlite-queue', 'plainjob', sizes, (path, n) => {
    const pj = openPlainjob(path, 'NORMAL');
    seedPlainjob(pj, 'job', n - 1, FIRST_DUE_MS, 10_000_000);
    pj.queue.add('job', { due: true });
    const counts = pj.counts();
    check(counts.pending === n && counts.total === n, `plainjob seed: expected ${n} pending rows, found ${JSON.stringify(counts)}`);
    pj.close();
    checkpoint(path);
    return Promise.resolve(null);
  });
  const liteque = wakeupSide(LITEQUE, 'sqlite-queue', 'liteque', sizes, async (path, n) => {
    const lq = openLiteque(path, 'NORMAL');
    await seedLiteque(lq, n - 1, FIRST_DUE_MS, 1_000);
    await lq.queue().enqueue({ i: -1 });
    lq.close();
    checkpoint(path);
    return null;
  });
  return {
    id: 'wakeup',
    title: 'Wake-up',
    synchronous: 'NORMAL',
    nUnit: 'pending tasks (largest store)',
    metrics,
    size: { quick: { n: largest, runs: 5, warmupN: 0 }, full: { n: largest, runs: 5, warmupN: 0 } },
    method:
      `Stores of ${sizes.map((n) => n.toLocaleString('en-US')).join(', ')} pending tasks: N − 1 due from ${FIRST_DUE_MS / 60_000} minutes after seeding onwards, one second apart, and one due now, written last. ` +
      'Each store is seeded once per side before the runs (offstage: one task through `enqueue`, then copies of its row in one `insert ... select`, then the due one through `enqueue`; ' +
      'plainjob: `addMany`; liteque: one `enqueue`, copies, then the due one through `enqueue`), checkpointed, and copied to a fresh path for every measurement; the page cache is warm (the file was just copied). ' +
      'Each measurement is a fresh child process (this Node, same flags) with the queue\'s modules and SQLite client already loaded; after a GC and a reset of the peak-RSS counter (`/proc/self/clear_refs`) the clock starts, then ' +
      `offstage: \`openSqliteStore()\` (the bench's \`openOffstageStore\`), \`createWorkEngine({ concurrency: ${ENGINE_CONCURRENCY} })\`, \`engine.start()\` (reconcile, claim, launch); ` +
      `plainjob: \`new Database()\`, \`defineQueue()\`, ${ENGINE_CONCURRENCY} workers started; liteque: open with its pragmas and migration check, \`Runner\` (concurrency ${ENGINE_CONCURRENCY}) started; ` +
      'the clock stops at the first line of the due task\'s handler. Peak RSS = VmHWM from that reset until the due task has finished and the worker stopped (Node and the loaded modules included: compare sizes within a side). ' +
      'Verified: only the due task ran, once, and every other task is still pending. ' +
      'Quick mode measures offstage alone (45 child processes do not fit its two minutes; full mode runs every side).',
    offstage,
    peers: mode === 'full' ? [plainjob, liteque] : [],
  };
}
