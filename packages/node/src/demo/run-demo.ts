/**
 * `offstage demo`: runs a worker with the demo tasks on a real database for a fixed time, shows
 * live progress, then stops it the way a deployment would and prints a summary drawn from the
 * run journal. State persists, so a second run starts by showing the first one's history. It must
 * always stop the worker and close the database, on time or on Ctrl-C.
 */
import { rmSync } from 'node:fs';
import { formatDuration, type RunRecord, type WorkEngine } from '@offstage/core';
import { printJson, printLines, type CliIo } from '../cli-io.js';
import { createOffstage } from '../create-offstage.js';
import { formatTable } from '../format/table.js';
import { demoPlan } from './demo-plan.js';
import { createDemoTasks, DEMO_TASK_NAMES } from './demo-tasks.js';
import { createDemoView } from './demo-view.js';

/**
 * Options for {@link runDemo}.
 *
 * @example
 * const options: RunDemoOptions = { db: './offstage.db', durationMs: 20_000, fresh: true }
 */
export interface RunDemoOptions {
  /** Database file (or `:memory:`). */
  db: string;
  /** How long the worker runs at most, in ms; task timings scale with it (20 s is full speed). */
  durationMs: number;
  /** Delete the database first. */
  fresh?: boolean;
  /** Print only the summary, as JSON. */
  json?: boolean;
}

/**
 * Per-task numbers in the demo's summary.
 *
 * @example
 * report.tasks.find((t: DemoTaskSummary) => t.taskName === 'flaky-upload')?.retried // 4
 */
export interface DemoTaskSummary {
  taskName: string;
  runs: number;
  succeeded: number;
  retried: number;
  failed: number;
  stopped: number;
  avgDurationMs: number | null;
}

/**
 * What the demo reports when it ends (also its `--json` output).
 *
 * @example
 * const report: DemoReport = await runDemo({ db: ':memory:', durationMs: 6000 }, io)
 */
export interface DemoReport {
  db: string;
  /** What the database held before this run. */
  previous: { items: number; attempts: number };
  enqueued: number;
  /** Wall time the worker ran, in ms. */
  ranForMs: number;
  /** Whether every demo item finished before the time ran out. */
  allFinished: boolean;
  tasks: DemoTaskSummary[];
  /** Every attempt of this run's uploads, oldest first. */
  uploads: Array<{ id: string; file: string; state: string; attempts: RunRecord[] }>;
  /** What the database holds now. */
  total: { items: number; attempts: number };
}

const PENDING_STATES = ['enqueued', 'running', 'blocked'] as const;
const DONE = 'all demo work finished';

/**
 * Runs the demo and resolves with its report once the worker has stopped and the database is closed.
 *
 * @example
 * const report = await runDemo({ db: './offstage.db', durationMs: 20_000 }, processIo())
 */
export async function runDemo(options: RunDemoOptions, io: CliIo): Promise<DemoReport> {
  const { db, durationMs } = options;
  if (options.fresh && db !== ':memory:') for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(db + suffix, { force: true });
  const engine = createOffstage({ db, tasks: createDemoTasks(durationMs / 20_000), concurrency: 3, leaseTime: '10s', shutdownGrace: '2s' });
  const say = (...lines: string[]): void => {
    if (!options.json) printLines(io, ...lines);
  };
  try {
    const previous = await measure(engine);
    say(`offstage demo: a worker with ${DEMO_TASK_NAMES.join(', ')} on ${db}, for up to ${formatDuration(durationMs)}.`);
    say(previous.items > 0 ? `previous runs in this database: ${previous.items} items, ${previous.attempts} attempts` : 'a new database: no previous runs.');

    const plan = demoPlan(durationMs);
    const enqueued = [];
    for (const { task, request } of plan) enqueued.push(await engine.enqueue(task, request));
    const pendingAtStart = await pendingCount(engine);
    say(`enqueued ${enqueued.length} items (some delayed, with tags and priorities); ${pendingAtStart} to run in all.`, '');

    const startedAt = Date.now();
    const ranForMs = await runUntilDone(engine, io, options, pendingAtStart, durationMs);
    const allFinished = (await pendingCount(engine)) === 0;

    const runs = await engine.journal({ since: startedAt, limit: 1_000_000 });
    const uploads = [];
    for (const info of enqueued.filter((w) => w.taskName === 'flaky-upload')) {
      const current = await engine.getWorkInfo(info.id);
      const attempts = (await engine.journal({ workId: info.id, limit: 1000 })).reverse();
      uploads.push({ id: info.id, file: String((info.input as { file?: unknown }).file), state: current?.state ?? 'unknown', attempts });
    }
    const report: DemoReport = {
      db,
      previous,
      enqueued: enqueued.length,
      ranForMs,
      allFinished,
      tasks: summarize(runs),
      uploads,
      total: await measure(engine),
    };
    if (options.json) printJson(io, report);
    else printLines(io, '', formatReport(report));
    return report;
  } finally {
    await engine.close({ grace: 0 });
  }
}

/** Starts the worker and stops it when every demo item has finished, the time is up, or on a signal. */
async function runUntilDone(engine: WorkEngine, io: CliIo, options: RunDemoOptions, total: number, durationMs: number): Promise<number> {
  const view = options.json ? null : createDemoView(engine, io, total);
  const startedAt = Date.now();
  let finish!: (why: string) => void;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const timer = setTimeout(() => finish('time is up'), durationMs);
  const onSignal = (signal: NodeJS.Signals): void => finish(`${signal} received`);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // After each settled attempt, count what is left; a check already in flight covers the rest.
  let checking: Promise<void> | null = null;
  let again = false;
  const check = (): void => {
    if (checking) {
      again = true;
      return;
    }
    checking = (async () => {
      do {
        again = false;
        const pending = await pendingCount(engine);
        view?.setOverall(total - pending, total);
        if (pending === 0) finish(DONE);
      } while (again);
    })()
      .catch(() => undefined)
      .finally(() => (checking = null));
  };
  const offs = (['work:succeeded', 'work:retrying', 'work:failed', 'work:stopped', 'work:cancelled'] as const).map((e) => engine.on(e, check));

  try {
    await engine.start();
    check();
    const why = await finished;
    view?.log(why === DONE ? `${why}: stopping the worker` : `${why}: stopping the worker; running work gets 2s, then returns to the queue uncharged`);
    await engine.stop({ grace: '2s' });
    await checking;
    return Date.now() - startedAt;
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    offs.forEach((off) => off());
    view?.stop();
  }
}

async function pendingCount(engine: WorkEngine): Promise<number> {
  const rows = await engine.store.counts(Date.now());
  return rows
    .filter((r) => (DEMO_TASK_NAMES as readonly string[]).includes(r.taskName) && (PENDING_STATES as readonly string[]).includes(r.state))
    .reduce((n, r) => n + r.count, 0);
}

async function measure(engine: WorkEngine): Promise<{ items: number; attempts: number }> {
  const rows = await engine.store.counts(Date.now());
  const attempts = await engine.journal({ limit: 1_000_000 });
  return { items: rows.reduce((n, r) => n + r.count, 0), attempts: attempts.length };
}

function summarize(runs: readonly RunRecord[]): DemoTaskSummary[] {
  const byTask = new Map<string, DemoTaskSummary & { totalMs: number; ended: number }>();
  for (const run of runs) {
    let s = byTask.get(run.taskName);
    if (!s) byTask.set(run.taskName, (s = { taskName: run.taskName, runs: 0, succeeded: 0, retried: 0, failed: 0, stopped: 0, avgDurationMs: null, totalMs: 0, ended: 0 }));
    s.runs++;
    if (run.outcome === 'succeeded') s.succeeded++;
    else if (run.outcome === 'retrying') s.retried++;
    else if (run.outcome === 'failed') s.failed++;
    else if (run.outcome === 'stopped') s.stopped++;
    if (run.endedAt !== null) {
      s.totalMs += run.endedAt - run.startedAt;
      s.ended++;
    }
  }
  const order = (name: string): number => {
    const i = (DEMO_TASK_NAMES as readonly string[]).indexOf(name);
    return i === -1 ? DEMO_TASK_NAMES.length : i;
  };
  return [...byTask.values()]
    .sort((a, b) => order(a.taskName) - order(b.taskName) || a.taskName.localeCompare(b.taskName))
    .map(({ totalMs, ended, ...s }) => ({ ...s, avgDurationMs: ended ? Math.round(totalMs / ended) : null }));
}

function formatReport(r: DemoReport): string {
  const lines = [
    `Summary of this run (${formatDuration(r.ranForMs)}${r.allFinished ? ', all demo work finished' : ', time ran out; unfinished work stays queued for the next run'}):`,
    '',
    formatTable(r.tasks, [
      { header: 'TASK', value: (t) => t.taskName },
      { header: 'RUNS', value: (t) => t.runs, align: 'right' },
      { header: 'SUCCEEDED', value: (t) => t.succeeded, align: 'right' },
      { header: 'RETRIED', value: (t) => t.retried, align: 'right' },
      { header: 'FAILED', value: (t) => t.failed, align: 'right' },
      { header: 'STOPPED', value: (t) => t.stopped, align: 'right' },
      { header: 'AVG DURATION', value: (t) => (t.avgDurationMs === null ? null : formatDuration(t.avgDurationMs)), align: 'right' },
    ]),
  ];
  for (const upload of r.uploads) {
    lines.push('', `flaky-upload ${upload.file} (${upload.id}), now ${upload.state}:`);
    for (const a of upload.attempts) {
      const took = a.endedAt === null ? 'still running' : formatDuration(a.endedAt - a.startedAt);
      const outcome = a.outcome === 'retrying' ? 'failed, retrying with backoff' : (a.outcome ?? 'running');
      lines.push(`  attempt ${a.attempt}  ${outcome.padEnd(29)}  ${took.padStart(6)}${a.error ? `  ${a.error}` : ''}${a.stopReason ? `  (${a.stopReason})` : ''}`);
    }
  }
  lines.push(
    '',
    `This database (${r.db}) now holds ${r.total.items} items and ${r.total.attempts} attempts.`,
    `Run the demo again to add to it, or look inside: offstage list --db ${r.db}, offstage show <id> --db ${r.db}, offstage status --db ${r.db}`,
  );
  return lines.join('\n');
}
