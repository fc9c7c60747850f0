/**
 * `offstage demo`: runs a worker with the demo tasks on a real database for a fixed time, shows
 * live progress (with the photo chains' progression and the periodic refresh's runs), simulates
 * the network dropping at the start (its own network tracker reports offline, so a
 * network-constrained sync waits and starts when it returns), then stops it the way a deployment
 * would and prints a summary drawn from the run journal. State persists,
 * so a second run starts by showing the first one's history, and updates the one periodic series
 * in place (unique name, `update` policy) instead of adding another. It must always stop the
 * worker and close the database, on time or on Ctrl-C.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatDuration, SignalTracker, type ConstraintName, type NetworkState, type RunRecord, type UniqueOutcome, type WorkEngine, type WorkInfo } from '@offstage/core';
import { printJson, printLines, type CliIo } from '../cli-io.js';
import { createOffstage } from '../create-offstage.js';
import { formatConstraints, formatSchedule } from '../format/describe-work.js';
import { formatRelativeTime } from '../format/relative-time.js';
import { formatTable } from '../format/table.js';
import { ChainProgress, summarizeChain, type DemoChainSummary, type TrackedChain } from './demo-chains.js';
import { demoChains, demoPeriodic, demoPlan } from './demo-plan.js';
import { createDemoClassifier, createDemoTasks, DEMO_TASK_NAMES, PERIODIC_TASK_NAME } from './demo-tasks.js';
import { createNodeTrackers } from '../trackers/node-trackers.js';
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
  /** How long the demo's network reports offline at the start, in ms; 0 for never. Default 4 s scaled to the duration (1.2 s in a 6 s demo). */
  offlineForMs?: number;
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
 * The demo's periodic series in its summary.
 *
 * @example
 * report.periodic.outcome // 'updated' on a second run: the same series, not a new one
 */
export interface DemoPeriodicSummary {
  id: string;
  uniqueName: string;
  taskName: string;
  /** Such as `every 3s`. */
  schedule: string;
  /** What enqueueing it did this run: `enqueued` on a fresh database, `updated` after that. */
  outcome: UniqueOutcome;
  /** Runs during this demo run. */
  runs: number;
  /** Runs in the journal over all demo runs. */
  totalRuns: number;
  /** When the next run is due, or null (running, or the series ended). */
  nextRunAt: Date | null;
}

/**
 * A constrained item in the demo's summary: what it waited for while the demo's network was
 * offline, and when it started after the network returned.
 *
 * @example
 * report.waited[0]!.startedAfterNetworkMs // 35
 */
export interface DemoWaitSummary {
  id: string;
  taskName: string;
  /** Its constraints, as `show` prints them (`network:connected`). */
  constraints: string;
  /** What it waited for right after the worker started (as the demo's trackers saw it). */
  waitingFor: ConstraintName[];
  /** How long the network was reported offline, in ms. */
  offlineMs: number;
  /** From the network's return to the item's first attempt, or null if it never started. */
  startedAfterNetworkMs: number | null;
  state: string;
}

/**
 * The demo's item whose error the classifier decided: its attempts and the rule the journal
 * records for the failed one.
 *
 * @example
 * report.classified!.rule // 'server-error'
 */
export interface DemoClassifiedSummary {
  id: string;
  file: string;
  state: string;
  /** The rule journalled for the failed attempt (read from the journal), or null. */
  rule: string | null;
  /** The delay the demo's classifier used (the rule's production delay, shortened), in ms. */
  retryDelayMs: number;
  attempts: RunRecord[];
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
  /** One-time items enqueued by this run (chain steps included). */
  enqueued: number;
  /** Wall time the worker ran, in ms. */
  ranForMs: number;
  /** Whether every demo item finished before the time ran out. */
  allFinished: boolean;
  tasks: DemoTaskSummary[];
  /** Every attempt of this run's uploads, oldest first. */
  uploads: Array<{ id: string; file: string; state: string; attempts: RunRecord[] }>;
  /** This run's network-constrained work, and how it waited for the network. */
  waited: DemoWaitSummary[];
  /** This run's log upload, whose 503 the classifier turned into a retry. */
  classified: DemoClassifiedSummary | null;
  /** The periodic refresh. */
  periodic: DemoPeriodicSummary;
  /** This run's photo chains. */
  chains: DemoChainSummary[];
  /** What the database holds now. */
  total: { items: number; attempts: number };
}

const PENDING_STATES = ['enqueued', 'running', 'blocked'] as const;
// The periodic task never finishes; the demo is done when its one-time work is.
const ONE_TIME_TASK_NAMES: readonly string[] = DEMO_TASK_NAMES;
const DONE = 'all demo work finished';
const ONLINE: NetworkState = { connected: true, metered: false, roaming: false };
const OFFLINE: NetworkState = { connected: false, metered: false, roaming: false };

/**
 * Runs the demo and resolves with its report once the worker has stopped and the database is closed.
 *
 * @example
 * const report = await runDemo({ db: './offstage.db', durationMs: 20_000 }, processIo())
 */
export async function runDemo(options: RunDemoOptions, io: CliIo): Promise<DemoReport> {
  const { db, durationMs } = options;
  const scale = durationMs / 20_000;
  const offlineForMs = options.offlineForMs ?? Math.round(4000 * scale);
  const retryDelayMs = Math.max(250, Math.round(1500 * scale));
  if (options.fresh && db !== ':memory:') for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(db + suffix, { force: true });
  // The machine's real trackers, except the network: the demo's own, so it can go offline on cue.
  const network = new SignalTracker('network', { initial: ONLINE });
  const trackers = { ...createNodeTrackers({ storagePath: db === ':memory:' ? undefined : dirname(db) }), network };
  const engine = createOffstage({
    db,
    tasks: createDemoTasks(scale),
    concurrency: 4,
    leaseTime: '10s',
    shutdownGrace: '2s',
    trackers,
    classifyError: createDemoClassifier(retryDelayMs),
  });
  const say = (...lines: string[]): void => {
    if (!options.json) printLines(io, ...lines);
  };
  try {
    const previous = await measure(engine);
    say(`offstage demo: a worker with ${[...DEMO_TASK_NAMES, PERIODIC_TASK_NAME].join(', ')} on ${db}, for up to ${formatDuration(durationMs)}.`);
    say(previous.items > 0 ? `previous runs in this database: ${previous.items} items, ${previous.attempts} attempts` : 'a new database: no previous runs.');

    const plan = demoPlan(durationMs);
    const enqueued = [];
    for (const { task, request } of plan) enqueued.push(await engine.enqueue(task, request));
    const chains: TrackedChain[] = [];
    for (const c of demoChains(durationMs)) {
      const { work } = await engine.beginWith(c.first).then(c.parallel).then(c.last).enqueue();
      chains.push({ name: c.name, steps: work });
    }
    const periodicPlan = demoPeriodic(durationMs);
    const series = await engine.enqueueUniquePeriodic(periodicPlan.uniqueName, periodicPlan.task, 'update', periodicPlan.request);
    const pendingAtStart = await pendingCount(engine);
    const oneTime = enqueued.length + chains.reduce((n, c) => n + c.steps.length, 0);
    say(
      `enqueued ${enqueued.length} items (some delayed, with tags and priorities) and ${chains.length} photo chains ` +
        `(download → resize ∥ thumbnail → upload-image, for ${chains.map((c) => c.name).join(' and ')}); ` +
        `${pendingAtStart} to run in all.`,
      `${series.outcome === 'updated' ? 'updated the periodic series' : 'started a periodic series'}: ${PERIODIC_TASK_NAME} ${formatSchedule(series.work.schedule!)} ` +
        `(unique name "${periodicPlan.uniqueName}", policy update, id ${series.work.id})${series.outcome === 'updated' ? ', the same series as the last run' : ''}.`,
      '',
    );

    const constrained = enqueued.filter((w) => w.constraints !== null);
    const outage: Outage = { network, offlineForMs, items: constrained, waitingFor: new Map(), backAt: null };
    const startedAt = Date.now();
    const ranForMs = await runUntilDone(engine, io, options, pendingAtStart, durationMs, new ChainProgress(chains), outage);
    const allFinished = (await pendingCount(engine)) === 0;

    const runs = await engine.journal({ since: startedAt, limit: 1_000_000 });
    const uploads = [];
    for (const info of enqueued.filter((w) => w.taskName === 'flaky-upload')) {
      const current = await engine.getWorkInfo(info.id);
      const attempts = (await engine.journal({ workId: info.id, limit: 1000 })).reverse();
      uploads.push({ id: info.id, file: String((info.input as { file?: unknown }).file), state: current?.state ?? 'unknown', attempts });
    }
    const waited: DemoWaitSummary[] = [];
    for (const info of constrained) {
      const firstStart = (await engine.journal({ workId: info.id, limit: 1000 })).at(-1)?.startedAt;
      waited.push({
        id: info.id,
        taskName: info.taskName,
        constraints: formatConstraints(info.constraints),
        waitingFor: outage.waitingFor.get(info.id) ?? [],
        offlineMs: offlineForMs,
        startedAfterNetworkMs: firstStart === undefined ? null : firstStart - (outage.backAt ?? startedAt),
        state: (await engine.getWorkInfo(info.id))?.state ?? 'unknown',
      });
    }
    const logs = enqueued.find((w) => w.taskName === 'upload-logs');
    let classified: DemoClassifiedSummary | null = null;
    if (logs) {
      const attempts = (await engine.journal({ workId: logs.id, limit: 1000 })).reverse();
      classified = {
        id: logs.id,
        file: String((logs.input as { file?: unknown }).file),
        state: (await engine.getWorkInfo(logs.id))?.state ?? 'unknown',
        rule: attempts.find((a) => a.rule !== null)?.rule ?? null,
        retryDelayMs,
        attempts,
      };
    }
    const seriesNow = await engine.getWorkInfo(series.work.id);
    const report: DemoReport = {
      db,
      previous,
      enqueued: oneTime,
      ranForMs,
      allFinished,
      tasks: summarize(runs),
      uploads,
      waited,
      classified,
      periodic: {
        id: series.work.id,
        uniqueName: periodicPlan.uniqueName,
        taskName: PERIODIC_TASK_NAME,
        schedule: formatSchedule((seriesNow ?? series.work).schedule!),
        outcome: series.outcome,
        runs: runs.filter((r) => r.workId === series.work.id).length,
        totalRuns: (await engine.journal({ workId: series.work.id, limit: 1_000_000 })).length,
        nextRunAt: seriesNow?.nextRunAt ?? null,
      },
      chains: await Promise.all(chains.map((c) => summarizeChain(engine, c))),
      total: await measure(engine),
    };
    if (options.json) printJson(io, report);
    else printLines(io, '', formatReport(report));
    return report;
  } finally {
    await engine.close({ grace: 0 });
  }
}

/** The simulated outage: the demo's network tracker, how long it is offline, and what waits for it. */
interface Outage {
  network: SignalTracker<'network'>;
  offlineForMs: number;
  /** The demo's constrained items. */
  items: readonly WorkInfo[];
  /** Filled in: what each item waited for once the worker had started. */
  waitingFor: Map<string, ConstraintName[]>;
  /** Filled in: when the network came back (epoch ms). */
  backAt: number | null;
}

/** Starts the worker and stops it when every one-time demo item has finished, the time is up, or on a signal. */
async function runUntilDone(
  engine: WorkEngine,
  io: CliIo,
  options: RunDemoOptions,
  total: number,
  durationMs: number,
  chains: ChainProgress,
  outage: Outage,
): Promise<number> {
  const label = (id: string, taskName: string): string | undefined => chains.label(id) ?? (taskName === PERIODIC_TASK_NAME ? `${taskName} (periodic)` : undefined);
  const view = options.json ? null : createDemoView(engine, io, total, { label });
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
  let periodicRuns = 0;
  offs.push(
    engine.on('work:started', ({ id }) => chains.started(id)),
    engine.on('work:succeeded', ({ id, taskName, output }) => {
      const line = chains.succeeded(id);
      if (line) view?.log(line);
      if (taskName === PERIODIC_TASK_NAME) {
        const items = (output as { newItems?: unknown } | null)?.newItems;
        view?.log(`${PERIODIC_TASK_NAME}: run ${++periodicRuns} of this demo done${typeof items === 'number' ? ` (${items} new item${items === 1 ? '' : 's'})` : ''}; the series stays enqueued for its next period`);
      }
    }),
    engine.on('work:failed', ({ id, error }) => {
      const line = chains.failed(id, error);
      if (line) view?.log(line);
    }),
  );

  let networkTimer: NodeJS.Timeout | undefined;
  try {
    if (outage.offlineForMs > 0) {
      outage.network.set(OFFLINE);
      view?.log(`network: the demo's network tracker reports offline for ${formatDuration(outage.offlineForMs)} (simulated)`);
    }
    await engine.start();
    // What the constrained work waits for, as the engine sees it now that the first pass is done.
    const ids = outage.items.map((w) => w.id);
    for (const w of ids.length ? await engine.query({ ids, limit: ids.length }) : []) {
      outage.waitingFor.set(w.id, w.waitingFor);
      if (w.waitingFor.length) view?.log(`${w.taskName} waiting for ${w.waitingFor.join(', ')}`);
    }
    if (outage.offlineForMs > 0) {
      networkTimer = setTimeout(() => {
        const waiting = outage.items.filter((w) => outage.waitingFor.get(w.id)?.length).map((w) => w.taskName);
        view?.log(`network back: ${waiting.length ? `starting ${waiting.join(', ')}` : 'nothing was waiting for it'}`);
        outage.backAt = Date.now();
        // The engine hears this through the tracker and claims the waiting work at once.
        outage.network.set(ONLINE);
      }, outage.offlineForMs);
    }
    check();
    const why = await finished;
    view?.log(why === DONE ? `${why}: stopping the worker` : `${why}: stopping the worker; running work gets 2s, then returns to the queue uncharged`);
    await engine.stop({ grace: '2s' });
    await checking;
    return Date.now() - startedAt;
  } finally {
    clearTimeout(timer);
    clearTimeout(networkTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    offs.forEach((off) => off());
    view?.stop();
  }
}

async function pendingCount(engine: WorkEngine): Promise<number> {
  const rows = await engine.store.counts(Date.now());
  return rows
    .filter((r) => ONE_TIME_TASK_NAMES.includes(r.taskName) && (PENDING_STATES as readonly string[]).includes(r.state))
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
  const names: readonly string[] = [...DEMO_TASK_NAMES, PERIODIC_TASK_NAME];
  const order = (name: string): number => {
    const i = names.indexOf(name);
    return i === -1 ? names.length : i;
  };
  return [...byTask.values()]
    .sort((a, b) => order(a.taskName) - order(b.taskName) || a.taskName.localeCompare(b.taskName))
    .map(({ totalMs, ended, ...s }) => ({ ...s, avgDurationMs: ended ? Math.round(totalMs / ended) : null }));
}

function describeNextRun(at: Date | null): string {
  if (!at) return 'no run pending';
  return at.getTime() <= Date.now() + 1000 ? 'the next run is due as soon as a worker is up' : `next run ${formatRelativeTime(at)}`;
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
  for (const w of r.waited) {
    const started =
      w.startedAfterNetworkMs === null
        ? 'it has not started yet'
        : w.waitingFor.length
          ? `it started ${formatDuration(Math.max(0, w.startedAfterNetworkMs))} after the network returned`
          : 'it did not have to wait';
    lines.push(
      '',
      `${w.taskName} (${w.id}), constraints ${w.constraints}, now ${w.state}:`,
      w.waitingFor.length
        ? `  waited for ${w.waitingFor.join(', ')} while the network tracker reported offline (${formatDuration(w.offlineMs)}); ${started}`
        : `  ${started}`,
    );
  }
  if (r.classified) {
    const c = r.classified;
    lines.push('', `upload-logs ${c.file} (${c.id}), now ${c.state}:`);
    for (const a of c.attempts) {
      const took = a.endedAt === null ? 'still running' : formatDuration(a.endedAt - a.startedAt);
      const outcome = a.outcome === 'retrying' ? `failed, retrying by rule ${a.rule ?? 'backoff'}` : (a.outcome ?? 'running');
      lines.push(`  attempt ${a.attempt}  ${outcome.padEnd(36)}  ${took.padStart(6)}${a.error ? `  ${a.error}` : ''}`);
    }
    if (c.rule === 'server-error') {
      lines.push(`  rule ${c.rule}: the default classifier's answer to HTTP 5xx (retry after 60s, up to 3 times), its delay shortened to ${formatDuration(c.retryDelayMs)} for the demo`);
    } else if (c.rule) {
      lines.push(`  rule ${c.rule} (from the default classifier), its delay shortened to ${formatDuration(c.retryDelayMs)} for the demo`);
    }
  }
  const p = r.periodic;
  lines.push(
    '',
    `${p.taskName} (periodic, ${p.schedule}, unique name "${p.uniqueName}", ${p.outcome === 'updated' ? 'updated in place' : 'new series'}, id ${p.id}):`,
    `  ${p.runs} run${p.runs === 1 ? '' : 's'} this time, ${p.totalRuns} in all; ${describeNextRun(p.nextRunAt)}`,
  );
  for (const c of r.chains) {
    const states = new Set(c.steps.map((s) => s.state));
    const status = states.size === 1 ? `all ${[...states][0]}` : c.steps.map((s) => `${s.taskName} ${s.state}`).join(', ');
    lines.push(
      '',
      `chain ${c.name}: download → resize ∥ thumbnail → upload-image, ${status}${c.durationMs === null ? '' : ` in ${formatDuration(c.durationMs)}`}`,
      `  ran in order: ${c.ranInOrder.length ? c.ranInOrder.join(', ') : 'nothing yet'}`,
      `  ${c.steps.at(-1)?.taskName ?? 'last step'} received (array merger): ${c.lastStepInput === null ? 'not yet (its prerequisites have not all succeeded)' : JSON.stringify(c.lastStepInput)}`,
    );
  }
  lines.push(
    '',
    `This database (${r.db}) now holds ${r.total.items} items and ${r.total.attempts} attempts.`,
    `Run the demo again to add to it, or look inside: offstage list --db ${r.db}, offstage show <id> --db ${r.db}, offstage status --db ${r.db}`,
  );
  return lines.join('\n');
}
