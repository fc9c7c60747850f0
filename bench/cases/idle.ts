/**
 * Case: the cost of an idle worker. A store holds n tasks, all due an hour or more from now;
 * each side starts its worker (concurrency 8) in a child process of its own and, once idle,
 * measures over a window the CPU time its process uses and the statements it runs on its store.
 * The sides of one round run at the same time (each in its own process; the figures are per
 * process, and nothing is due), which keeps 30 s windows affordable.
 */
import type { BenchCase, Mode, RunContext, Side, SideKind } from '../lib/harness.js';
import { runInChild } from '../lib/child.js';
import { ENGINE_CONCURRENCY } from '../lib/offstage.js';
import { LITEQUE, LITEQUE_RUNNER, openLiteque, seedLiteque } from '../lib/peers/liteque.js';
import { openPlainjob, PLAINJOB } from '../lib/peers/plainjob.js';
import { seedOffstage, seedPlainjob, TemplateDbs, checkpoint } from '../lib/seed.js';
import type { IdleArgs, IdleResult } from './idle-child.js';

/** The first task falls due this long after seeding, the rest later still. */
const FIRST_DUE_MS = 3_600_000;
const CHILD = new URL('./idle-child.ts', import.meta.url);

/** The idle window per run, by mode. */
export const IDLE_WINDOW_MS: Record<Mode, number> = { quick: 5_000, full: 30_000 };

function idleSide(name: string, kind: SideKind, side: IdleArgs['side'], n: number, windowMs: number, seed: (path: string) => Promise<void>): Side {
  const templates = new TemplateDbs();
  return {
    name,
    kind,
    prepare: () => templates.ensure('idle', seed),
    dispose: () => Promise.resolve(templates.dispose()),
    async run({ dbPath }: RunContext) {
      templates.copyTo('idle', dbPath);
      const r = await runInChild<IdleResult>(CHILD, { side, dbPath, n, windowMs } satisfies IdleArgs, windowMs + 120_000);
      return {
        values: { cpu: r.cpuPercent, statements: r.statements },
        verified: `${(r.wallMs / 1000).toFixed(1)} s idle, 0 handler calls, ${n} tasks still pending; statements: ${r.top}`,
      };
    },
  };
}

/**
 * The idle case for `mode` (window 30 s, quick 5 s).
 *
 * @example
 * idleCase('full')
 */
export function idleCase(mode: Mode): BenchCase {
  const n = 100_000;
  const windowMs = IDLE_WINDOW_MS[mode];
  const offstage = idleSide('offstage', 'offstage', 'offstage', n, windowMs, async (path) => {
    await seedOffstage(path, { task: 'future', future: n, firstDelayMs: FIRST_DUE_MS, stepMs: 1_000, due: false });
  });
  const plainjob = idleSide(PLAINJOB, 'sqlite-queue', 'plainjob', n, windowMs, (path) => {
    const pj = openPlainjob(path, 'NORMAL');
    seedPlainjob(pj, 'future', n, FIRST_DUE_MS, 10_000_000);
    pj.close();
    checkpoint(path);
    return Promise.resolve();
  });
  const liteque = idleSide(LITEQUE, 'sqlite-queue', 'liteque', n, windowMs, async (path) => {
    const lq = openLiteque(path, 'NORMAL');
    await seedLiteque(lq, n, FIRST_DUE_MS, 1_000);
    lq.close();
    checkpoint(path);
  });
  return {
    id: 'idle',
    title: `Idle worker, ${n.toLocaleString('en-US')} future tasks, nothing due, ${windowMs / 1000} s`,
    synchronous: 'NORMAL',
    nUnit: 'future tasks',
    metrics: [
      { key: 'cpu', label: 'CPU, % of one core', unit: '% CPU', better: 'lower' },
      { key: 'statements', label: 'store statements', unit: 'statements', better: 'lower' },
    ],
    size: { quick: { n, runs: 5, warmupN: 0 }, full: { n, runs: 5, warmupN: 0 } },
    concurrentSides: true,
    method:
      `A store holding ${n.toLocaleString('en-US')} tasks, the first due ${FIRST_DUE_MS / 60_000} minutes after seeding and the rest later (seeded once per side, outside any measurement, and copied for each run). ` +
      'Each run starts a fresh child process (this Node, same flags) that opens the copy, starts the worker with concurrency 8 and waits until it is idle ' +
      `(offstage: \`engine.start()\` + \`whenIdle()\`, and its single wake timer armed past the window; plainjob and liteque: 100 ms after starting), runs a full GC, then measures a ${windowMs / 1000} s window: ` +
      'CPU = `process.cpuUsage()` delta (user + system) ÷ wall time, in % of one core; statements = SQL statements executed on the store connection during the window ' +
      '(offstage: counted by a wrapping `SqliteDriver`, lib/timed-driver.ts; plainjob and liteque: by wrapping their better-sqlite3 connection\'s `prepare`/`exec`/`pragma`, lib/counting-db.ts; `begin`/`commit` are not counted on any side). ' +
      `offstage: the engine over its SQLite store (no Node preset file watcher), one task type. plainjob: ${ENGINE_CONCURRENCY} workers (a plainjob worker runs one job at a time, and each polls on its own), default poll interval 1000 ms. ` +
      `liteque: one \`Runner\` with concurrency 8, pollIntervalMs ${LITEQUE_RUNNER.pollIntervalMs}. The three sides of a round run at the same time, each in its own process. ` +
      'Verified: no handler ran and every task is still pending afterwards (offstage: also that its wake timer is set past the window).',
    durability: 'WAL, synchronous=NORMAL',
    offstage,
    peers: [plainjob, liteque],
  };
}
