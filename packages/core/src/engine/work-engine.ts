/**
 * The engine: registers tasks, enqueues work, and runs a worker loop over any WorkStore.
 *
 * No polling: after each pass it asks the store when it next has something to do and arms one
 * timer for that moment; enqueue, settle and `wake()` re-run the pass. An idle engine makes no
 * store queries at all. The store is the only truth; this loop only ever asks it to move work
 * through fenced transitions, so a second engine (or process) on the same store is always safe.
 */
import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { DuplicateWorkError, InvalidChainError, InvalidOptionError, InvalidStateError, WorkNotFoundError } from '../errors.js';
import { parseDuration, type Duration } from '../model/duration.js';
import { describeValue, isPrintableName } from '../model/describe-value.js';
import {
  EXPEDITED_RANK,
  FINISHED_STATES,
  WORK_STATES,
  type ExistingPeriodicWorkPolicy,
  type ExistingWorkPolicy,
  type PeriodicWorkRequest,
  type RunQuery,
  type RunRecord,
  type StateCounts,
  type WorkInfo,
  type WorkQuery,
  type WorkRequest,
  type WorkSpec,
} from '../model/work.js';
import { resolveBackoff } from '../policy/backoff.js';
import { decodeJson, DEFAULT_MAX_INPUT_BYTES } from '../policy/encode-json.js';
import { mergeInputs } from '../policy/merge-inputs.js';
import {
  applyTaskDefaults,
  checkMaxAttempts,
  planPeriodicWork,
  planWork,
  priorityName,
  resolveTimeout,
  validateName,
  validateTaskName,
  type EffectiveSpec,
} from '../policy/plan-work.js';
import { checkPeriodicPolicy, checkWorkPolicy, planUniquePeriodicWork, planUniqueWork, type UniqueDecision, type UniqueOutcome } from '../policy/plan-unique.js';
import { firstRunAt, nextRunAt as nextScheduledRun, type CronParser } from '../policy/schedule.js';
import { constraintsMet, waitingFor, ALL_MET } from '../policy/constraints.js';
import { defaultClassifier, type ErrorClassifier } from '../policy/classify-error.js';
import { toConditions, UNKNOWN_DEVICE, type DeviceState, type SignalName } from '../constraints/device-state.js';
import type { ConstraintTrackers, SignalTracker } from '../constraints/signal-tracker.js';
import type { DeviceConditions } from '../store/work-store.js';
import type { ClaimedWork, WorkStore, WorkUpdate } from '../store/work-store.js';
import { AttemptRunner, type AttemptDeps } from './attempt-runner.js';
import { EventHub, type WorkEvents, type WorkListener } from './events.js';
import type { TaskDefinition, TaskEntry } from './task.js';
import { WorkContinuation, type ChainEnqueuer, type ChainResult, type ChainStep, type UniqueChain } from './work-continuation.js';
import { iterate, WorkObserver } from './work-observer.js';

/** Options for {@link createWorkEngine}. */
export interface WorkEngineOptions {
  /** Where work lives. */
  store: WorkStore;
  /** Tasks to register at once: name → handler or `{ handler, ...defaults }`. */
  tasks?: Record<string, TaskEntry>;
  /** Time source. Default: the wall clock. Tests pass a `VirtualClock`. */
  clock?: Clock;
  /** This worker's id, recorded as lease owner and in the journal. Default: random. */
  workerId?: string;
  /** Handlers run at once by this worker (an attempt whose handler has finished no longer counts while its result is written). Default 4. */
  concurrency?: number;
  /** How long a claim holds work without a heartbeat. Heartbeats renew it every third of this. Default `'30s'`. */
  leaseTime?: Duration;
  /** On `stop()`, how long running handlers may finish before they are aborted. Default `'10s'`. */
  shutdownGrace?: Duration;
  /** Largest accepted input, output or progress, in bytes of JSON. Default 1 MiB. */
  maxInputBytes?: number;
  /** Makes work ids. Default: time-ordered UUIDv7s from the engine's clock. */
  createId?: () => string;
  /** Evaluates cron schedules (periodic work with `cron`). The Node preset passes one built on croner. */
  cron?: CronParser;
  /**
   * How long finished work (and its output and journal) is kept before the engine prunes it, or
   * null to keep it until `prune()` is called. Default `'1d'`. Pruning runs at start and then at
   * most hourly, only inside passes the engine makes anyway: never on a timer of its own.
   */
  keepResultsFor?: Duration | null;
  /**
   * Constraint trackers: one per signal (network, charging, battery, storageLow, idle, memory).
   * Signals without a tracker are unknown, and unknown counts as met.
   */
  trackers?: ConstraintTrackers;
  /**
   * Maps a failed attempt's error to a retry rule. Default: {@link defaultClassifier} (the
   * reference table for HTTP-like errors); `null` to always use the work's own backoff. A task's
   * own `classify` takes precedence.
   */
  classifyError?: ErrorClassifier | null;
  /** What this platform can promise; presets describe themselves. Default: an in-process engine. */
  platform?: PlatformInfo;
}

/** Whether background work can run here now, as the platform reports it. */
export interface PlatformStatus {
  status: 'available' | 'restricted' | 'denied';
  /** Why, when not available. */
  reason?: string;
}

/** What a platform promises about background work. */
export interface Guarantees {
  /** Work survives the process restarting. */
  survivesRestart: boolean;
  /** Work survives the device rebooting. */
  survivesReboot: boolean;
  /** Work runs while the app is closed (the OS wakes it). */
  runsWhileAppClosed: boolean;
  /** The shortest period periodic work may have, in ms (0: none imposed). */
  minimumIntervalMs: number;
  /** How long one wake-up may run, in ms, or null when unlimited. */
  executionBudgetMs: number | null;
}

/** A platform's self-description for {@link WorkEngine.getStatus} and {@link WorkEngine.guarantees}. */
export interface PlatformInfo {
  name: string;
  status(): PlatformStatus;
  guarantees: Guarantees;
}

/** An engine running in a long-lived process with a durable store: the Node default. */
export const LONG_RUNNING_PROCESS: PlatformInfo = {
  name: 'long-running process',
  status: () => ({ status: 'available' }),
  guarantees: { survivesRestart: true, survivesReboot: true, runsWhileAppClosed: false, minimumIntervalMs: 0, executionBudgetMs: null },
};

/** What {@link WorkEngine.runDue} did inside its budget. */
export interface RunDueReport {
  /** Attempts that ran to a result inside the window, in start order. */
  ran: Array<{ id: string; taskName: string; outcome: 'succeeded' | 'retrying' | 'failed' }>;
  /** Attempts stopped at the deadline and put back without being charged. */
  stopped: string[];
  /** Tasks whose due work was left because its typical duration did not fit what remained. */
  skipped: Array<{ taskName: string; typicalMs: number }>;
  /** Due work still waiting when the window closed (for registered tasks). */
  stillDue: number;
  /** When work is next due, for scheduling the next wake-up; null when nothing is pending. */
  nextWakeAt: Date | null;
  /** How long the window took, in ms. */
  elapsedMs: number;
}

/** How much earlier than its wall-clock time a wake timer may fire before the clock counts as set back. */
const CLOCK_JUMP_TOLERANCE_MS = 1000;

/** What a unique enqueue did, and the item it concerns (the new one, or the one kept or updated). */
export interface UniqueResult {
  outcome: UniqueOutcome;
  work: WorkInfo;
}

/** What {@link WorkEngine.status} reports. */
export interface EngineStatus {
  /** Work items by state. */
  counts: StateCounts;
  /** Per task name: items by state and how many enqueued items are due now. */
  tasks: Array<{ taskName: string; registered: boolean; counts: Partial<StateCounts>; due: number }>;
  /** Enqueued work for task names this engine has no handler for (it stays enqueued). */
  unhandled: Array<{ taskName: string; enqueued: number }>;
  /**
   * Ids this engine holds a lease on now: handlers running, and attempts whose handler has
   * returned while their result is being stored. A slot frees when its handler returns, so this
   * list can briefly hold more than `concurrency` ids; running handlers never exceed it.
   */
  running: string[];
  /** When this engine next has something to do, or null. */
  nextWakeAt: Date | null;
}

/** A snapshot of the worker loop, for tests and debugging. */
export interface EngineActivity {
  started: boolean;
  ticking: boolean;
  /** As {@link EngineStatus.running}: leased ids, including attempts whose result is being stored. */
  running: string[];
  /** When the wake timer fires, or null when none is armed. */
  wakeAt: number | null;
}

/**
 * Creates an engine over a store.
 *
 * @example
 * const engine = createWorkEngine({ store: new MemoryStore(), tasks: { hello: ({ input }) => `hi ${input}` } })
 * await engine.enqueue('hello', { input: 'there' })
 * await engine.start()
 */
export function createWorkEngine(options: WorkEngineOptions): WorkEngine {
  return new WorkEngine(options);
}

/** See {@link createWorkEngine}. */
export class WorkEngine {
  /** The store this engine reads and writes. */
  readonly store: WorkStore;
  /** The clock this engine runs on. */
  readonly clock: Clock;
  /** This worker's id. */
  readonly workerId: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  private readonly graceMs: number;
  private readonly maxInputBytes: number;
  private readonly createId: () => string;
  private readonly cron: CronParser | undefined;
  private readonly keepResultsMs: number | null;
  private lastAutoPrune = -Infinity;
  private readonly events = new EventHub();
  private readonly observer: WorkObserver;
  private readonly trackers: ConstraintTrackers;
  private readonly classifier: ErrorClassifier | null;
  private readonly platform: PlatformInfo;
  private trackerSubscriptions: Array<() => void> | null = null;
  private windowDeadline: number | null = null;
  /** Wakes runDue's window loop (a slot freed, the deadline, an abort, or the device changed). */
  private windowWake: () => void = () => {};
  private readonly tasks = new Map<string, TaskDefinition<never, unknown>>();
  /** The latest attempt of each item this engine is running (its settle may still be in flight). */
  private readonly running = new Map<string, AttemptRunner>();
  /** Every attempt not yet done: an item's earlier attempt may still be settling when it is claimed again. */
  private readonly attempts = new Set<AttemptRunner>();
  /** Attempts whose handler has not finished: what `concurrency` limits. */
  private handlersBusy = 0;
  /** What attempts of each task need from the engine, made once per task definition. */
  private readonly attemptDeps = new WeakMap<TaskDefinition<never, unknown>, AttemptDeps>();
  private started = false;
  private stopping = false;
  private ticking: Promise<void> | null = null;
  private tickRequested = false;
  private reconcilePending = false;
  private wakeTimer: TimerHandle | null = null;
  private wakeAt: number | null = null;
  private dueNowStreak = 0;
  /** How far the wall clock was seen to go back (0: not), to be handled by the next pass. */
  private clockSetBack = 0;
  private storeFailures = 0;

  constructor(options: WorkEngineOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.workerId = options.workerId ?? `worker-${createUuidV7(0).slice(24)}`;
    // Stored on every claim and journal row, and printed in logs: it must be text every store keeps.
    if (typeof this.workerId !== 'string' || this.workerId.length === 0 || !isPrintableName(this.workerId)) {
      throw new InvalidOptionError(`The workerId ${describeValue(options.workerId)} is invalid; use non-empty text without line breaks or control characters, such as 'host-1:4242'.`);
    }
    this.concurrency = options.concurrency ?? 4;
    // Safe integers only: a limit reaches the store as a number (1e300 is an integer, not a row count).
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) {
      throw new InvalidOptionError(`The concurrency ${describeValue(options.concurrency)} is invalid; use a whole number of at least 1.`);
    }
    this.leaseMs = parseDuration(options.leaseTime ?? '30s', 'leaseTime');
    if (this.leaseMs < 3) throw new InvalidOptionError(`The leaseTime ${this.leaseMs} ms is too short; use at least a second.`);
    this.graceMs = parseDuration(options.shutdownGrace ?? '10s', 'shutdownGrace');
    this.maxInputBytes = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
    this.createId = options.createId ?? (() => createUuidV7(this.clock.now()));
    this.cron = options.cron;
    this.trackers = options.trackers ?? {};
    this.classifier = options.classifyError === undefined ? defaultClassifier : options.classifyError;
    this.platform = options.platform ?? LONG_RUNNING_PROCESS;
    this.keepResultsMs = options.keepResultsFor === null ? null : parseDuration(options.keepResultsFor ?? '1d', 'keepResultsFor');
    this.observer = new WorkObserver({
      getWorkInfo: (id) => this.getWorkInfo(id),
      query: (q) => this.query(q),
      reportError: (error) => this.events.emit('worker:error', { error, during: 'refreshing an observer' }),
    });
    const refresh = (): void => {
      if (this.observer.active) this.observer.refresh();
    };
    for (const e of ['work:enqueued', 'work:started', 'work:progress', 'work:succeeded', 'work:retrying', 'work:failed', 'work:cancelled', 'work:stopped'] as const) {
      this.events.on(e, refresh);
    }
    for (const [name, entry] of Object.entries(options.tasks ?? {})) this.register(name, entry);
  }

  /**
   * Registers (or replaces) the handler for a task name.
   *
   * @example
   * engine.register('resize', { maxAttempts: 3, handler: async ({ input }) => resize(input) })
   */
  register(name: string, entry: TaskEntry): this {
    validateTaskName(name);
    const definition = typeof entry === 'function' ? { handler: entry } : entry;
    if (!definition || typeof definition.handler !== 'function') {
      throw new InvalidOptionError(`The task "${name}" has no handler; pass a function or { handler }.`);
    }
    // Task defaults are applied at claim time; check them now so a typo fails at startup.
    if (definition.maxAttempts !== undefined) checkMaxAttempts(definition.maxAttempts);
    if (definition.backoff !== undefined) resolveBackoff(definition.backoff);
    if (definition.timeout !== undefined) resolveTimeout(definition.timeout);
    if (definition.classify !== undefined && typeof definition.classify !== 'function') {
      throw new InvalidOptionError(`The classify option of task "${name}" must be a function from an error to a retry rule.`);
    }
    if (definition.concurrency !== undefined && (!Number.isSafeInteger(definition.concurrency) || definition.concurrency < 1)) {
      throw new InvalidOptionError(`The concurrency ${describeValue(definition.concurrency)} of task "${name}" is invalid; use a whole number of at least 1.`);
    }
    this.tasks.set(name, definition);
    this.requestTick();
    return this;
  }

  /** The registered task names. */
  taskNames(): string[] {
    return [...this.tasks.keys()];
  }

  /**
   * Enqueues one-time work and returns its WorkInfo.
   *
   * @example
   * const info = await engine.enqueue('upload', { input: { path }, delay: '30s', tags: ['media'] })
   */
  async enqueue<Input = unknown>(taskName: string, request?: WorkRequest<Input>): Promise<WorkInfo> {
    const [info] = await this.enqueueMany(taskName, [request ?? {}]);
    return info!;
  }

  /**
   * Enqueues many items for one task in a single transaction: all are stored, or none.
   *
   * @example
   * await engine.enqueueMany('thumbnail', photos.map((p) => ({ input: p })))
   */
  async enqueueMany<Input = unknown>(taskName: string, requests: ReadonlyArray<WorkRequest<Input>>): Promise<WorkInfo[]> {
    if (!Array.isArray(requests)) throw new InvalidOptionError(`enqueueMany takes an array of work requests, not ${describeValue(requests)}.`);
    const now = this.clock.now();
    // One context for the batch, with a fresh id per request (planWork reads it, never keeps it).
    const ctx = this.planContext(taskName, now);
    const specs = requests.map((request, i) => {
      if (i > 0) ctx.id = this.createId();
      return planWork(taskName, request, ctx);
    });
    await this.checkIdsFree(requests, specs);
    return this.insertNew(await this.orderBatch(specs));
  }

  /**
   * Enqueues periodic work: every `every` (in the last `flex` of each period), or on a `cron`
   * expression. Each run is computed from when the previous one completed; a run that fails for
   * good does not end the series unless `endOnFailure` is set.
   *
   * @example
   * await engine.enqueuePeriodic('refresh-feed', { every: '1h', flex: '15m' })
   * await engine.enqueuePeriodic('nightly-report', { cron: '0 3 * * *', timezone: 'Europe/Paris' })
   */
  async enqueuePeriodic<Input = unknown>(taskName: string, request: PeriodicWorkRequest<Input>): Promise<WorkInfo> {
    const spec = planPeriodicWork(taskName, request, this.planContext(taskName, this.clock.now()));
    await this.checkIdsFree([request], [spec]);
    const [info] = await this.insertNew([spec]);
    return info!;
  }

  /**
   * Enqueues one-time work under a unique name, applying `policy` atomically (also against other
   * processes): `keep`, `replace`, `append` or `append-or-replace`.
   *
   * @example
   * const { outcome } = await engine.enqueueUnique('sync-inbox', 'sync', 'keep', { input: { full: true } })
   */
  async enqueueUnique<Input = unknown>(uniqueName: string, taskName: string, policy: ExistingWorkPolicy, request?: WorkRequest<Input>): Promise<UniqueResult> {
    checkWorkPolicy(policy);
    validateName(uniqueName, 'unique name');
    const now = this.clock.now();
    const spec = planWork(taskName, request, { ...this.planContext(taskName, now), uniqueName });
    await this.checkIdsFree([request], [spec]);
    await this.checkPrerequisites([spec]);
    const { decision, work } = await this.applyUnique(uniqueName, now, (existing) => planUniqueWork(policy, existing, [spec]));
    return { outcome: decision.outcome, work: work[0] ?? toWorkInfo(decision.kept!, null) };
  }

  /**
   * Enqueues periodic work under a unique name: `keep` an existing series, `update` it in place
   * (input, schedule and options; same id and history), or `cancel-and-reenqueue`.
   *
   * @example
   * await engine.enqueueUniquePeriodic('refresh', 'refresh-feed', 'update', { every: '30m' })
   */
  async enqueueUniquePeriodic<Input = unknown>(
    uniqueName: string,
    taskName: string,
    policy: ExistingPeriodicWorkPolicy,
    request: PeriodicWorkRequest<Input>,
  ): Promise<UniqueResult> {
    checkPeriodicPolicy(policy);
    validateName(uniqueName, 'unique name');
    const now = this.clock.now();
    const spec = planPeriodicWork(taskName, request, { ...this.planContext(taskName, now), uniqueName });
    await this.checkIdsFree([request], [spec]);
    const { decision, work } = await this.applyUnique(uniqueName, now, (existing) => planUniquePeriodicWork(policy, existing, spec));
    if (work[0]) return { outcome: decision.outcome, work: work[0] };
    const kept = await this.getWorkInfo(decision.kept!.id);
    return { outcome: decision.outcome, work: kept ?? toWorkInfo(decision.kept!, null) };
  }

  /**
   * Starts a chain: the given steps run in parallel; steps added with `then` wait for them.
   *
   * @example
   * await engine.beginWith({ task: 'download', input: { url } }).then([{ task: 'resize' }, { task: 'thumbnail' }]).then({ task: 'upload' }).enqueue()
   */
  beginWith(steps: ChainStep | readonly ChainStep[]): WorkContinuation {
    return new WorkContinuation(this.chainEnqueuer, toSteps(steps), [], null);
  }

  /**
   * Starts a chain under a unique name: `enqueue()` applies `policy` to the whole chain, and
   * `append` attaches it after the existing chain's leaves (WorkManager's beginUniqueWork).
   *
   * @example
   * await engine.beginUniqueWork('photo-42', 'append', { task: 'upload' }).then({ task: 'notify' }).enqueue()
   */
  beginUniqueWork(uniqueName: string, policy: ExistingWorkPolicy, steps: ChainStep | readonly ChainStep[]): WorkContinuation {
    checkWorkPolicy(policy);
    validateName(uniqueName, 'unique name');
    return new WorkContinuation(this.chainEnqueuer, toSteps(steps), [], { name: uniqueName, policy });
  }

  /**
   * Changes enqueued or blocked work in place (input, delay, tags, priority, retry options, constraints, and the
   * schedule of periodic work). Running work keeps running; the change applies to its next run.
   *
   * @example
   * await engine.update(id, { input: { full: true }, priority: 'high' })
   */
  async update<Input = unknown>(id: string, request: Partial<PeriodicWorkRequest<Input>>): Promise<WorkInfo> {
    const spec = await this.store.get(id);
    if (!spec) throw new WorkNotFoundError(id);
    if (FINISHED_STATES.includes(spec.state)) throw new InvalidStateError(`Work ${id} is ${spec.state}; only unfinished work can be updated.`);
    const now = this.clock.now();
    const ctx = { ...this.planContext(spec.taskName, now), id, uniqueName: spec.uniqueName };
    const periodic = request.every !== undefined || request.cron !== undefined;
    if (periodic && !spec.schedule) throw new InvalidOptionError(`Work ${id} is one-time work; a schedule can only be changed on periodic work.`);
    // Validate the whole request as a new row, then take only the fields the caller gave.
    const planned = periodic ? planPeriodicWork(spec.taskName, { ...request, allowUnregistered: true }, ctx) : planWork(spec.taskName, { ...request, allowUnregistered: true } as WorkRequest, ctx);
    const fields: WorkUpdate = {};
    if ('input' in request) fields.inputJson = planned.inputJson;
    if (request.tags !== undefined) fields.tags = planned.tags;
    if (request.priority !== undefined || request.expedited !== undefined) fields.priority = planned.priority;
    if (request.maxAttempts !== undefined) fields.maxAttempts = planned.maxAttempts;
    if (request.backoff !== undefined) fields.backoff = planned.backoff;
    if (request.timeout !== undefined) fields.timeoutMs = planned.timeoutMs;
    if (request.constraints !== undefined) {
      fields.constraints = planned.constraints;
      fields.constraintMask = planned.constraintMask;
      fields.minBattery = planned.minBattery;
      fields.maxMemory = planned.maxMemory;
    }
    if (request.delay !== undefined || request.startAt !== undefined) fields.runAt = planned.runAt;
    if (periodic) {
      fields.schedule = planned.schedule;
      fields.runAt = Math.min(spec.runAt, firstRunAt(planned.schedule!, now, this.cron));
    }
    if (!(await this.store.update(id, fields, now))) throw new InvalidStateError(`Work ${id} finished before it could be updated.`);
    this.requestTick();
    this.observer.refresh();
    return (await this.getWorkInfo(id))!;
  }

  /** The WorkInfo of one item, or undefined. */
  async getWorkInfo(id: string): Promise<WorkInfo | undefined> {
    const spec = await this.store.get(id);
    if (!spec) return undefined;
    const runs = await this.store.lastRuns([id]);
    return toWorkInfo(spec, runs.get(id) ?? null, this.readConditions());
  }

  /**
   * Work matching a query, newest first.
   *
   * @example
   * await engine.query({ states: ['failed'], tags: ['media'], limit: 20 })
   */
  async query(query: WorkQuery = {}): Promise<WorkInfo[]> {
    const specs = await this.store.query(query);
    const runs = await this.store.lastRuns(specs.map((s) => s.id));
    const conditions = this.readConditions();
    return specs.map((s) => toWorkInfo(s, runs.get(s.id) ?? null, conditions));
  }

  /**
   * The run journal: every attempt, newest first.
   *
   * @example
   * await engine.journal({ workId: info.id })
   */
  journal(query: RunQuery = {}): Promise<RunRecord[]> {
    return this.store.runs(query);
  }

  /**
   * Cancels one item. Enqueued work is cancelled at once; running work has its signal aborted.
   * Returns false when the item had already finished.
   */
  async cancel(id: string): Promise<boolean> {
    const ids = await this.store.cancel({ ids: [id], now: this.clock.now() });
    if (ids.length === 0 && !(await this.store.get(id))) throw new WorkNotFoundError(id);
    this.afterCancel(ids);
    return ids.length > 0;
  }

  /** Cancels every unfinished item carrying `tag`; returns how many. */
  async cancelByTag(tag: string): Promise<number> {
    const ids = await this.store.cancel({ tags: [tag], now: this.clock.now() });
    this.afterCancel(ids);
    return ids.length;
  }

  /** Cancels every unfinished item; returns how many. */
  async cancelAll(): Promise<number> {
    const ids = await this.store.cancel({ all: true, now: this.clock.now() });
    this.afterCancel(ids);
    return ids.length;
  }

  /**
   * Puts a failed or cancelled item back in the queue, due now, with its attempts reset.
   *
   * @example
   * await engine.retry(id)
   */
  async retry(id: string): Promise<WorkInfo> {
    const ok = await this.store.retry(id, this.clock.now());
    const info = await this.getWorkInfo(id);
    if (!info) throw new WorkNotFoundError(id);
    if (!ok) throw new InvalidStateError(`Work ${id} is ${info.state}; only failed or cancelled work can be retried.`);
    this.requestTick();
    return info;
  }

  /**
   * Deletes finished work (and its journal) that finished more than `olderThan` ago.
   *
   * @example
   * await engine.prune({ olderThan: '7d' })
   */
  prune(options: { olderThan: Duration }): Promise<{ work: number; runs: number }> {
    const before = this.clock.now() - parseDuration(options.olderThan, 'olderThan');
    return this.store.prune({ finishedBefore: before });
  }

  /** Counts by state and task, what this engine cannot run, and when it next wakes. */
  async status(): Promise<EngineStatus> {
    const rows = await this.store.counts(this.clock.now());
    const counts = Object.fromEntries(WORK_STATES.map((s) => [s, 0])) as StateCounts;
    const byTask = new Map<string, EngineStatus['tasks'][number]>();
    for (const row of rows) {
      counts[row.state] += row.count;
      let t = byTask.get(row.taskName);
      if (!t) byTask.set(row.taskName, (t = { taskName: row.taskName, registered: this.tasks.has(row.taskName), counts: {}, due: 0 }));
      t.counts[row.state] = (t.counts[row.state] ?? 0) + row.count;
      t.due += row.due;
    }
    const tasks = [...byTask.values()].sort((a, b) => a.taskName.localeCompare(b.taskName));
    const unhandled = tasks.filter((t) => !t.registered && (t.counts.enqueued ?? 0) > 0).map((t) => ({ taskName: t.taskName, enqueued: t.counts.enqueued ?? 0 }));
    const next = await this.store.nextWakeAt({ taskNames: this.taskNames().length ? this.taskNames() : tasks.map((t) => t.taskName) });
    return { counts, tasks, unhandled, running: [...this.running.keys()], nextWakeAt: next === null ? null : new Date(next) };
  }

  /**
   * Calls `listener` with the item's WorkInfo now and after every change (state, progress,
   * output); returns an unsubscribe function.
   *
   * @example
   * const off = engine.subscribe(id, (info) => render(info.progress))
   */
  subscribe(id: string, listener: (info: WorkInfo) => void): () => void {
    return this.observer.subscribe(id, listener);
  }

  /** Calls `listener` with a query's results now and whenever they change. */
  subscribeQuery(query: WorkQuery, listener: (infos: WorkInfo[]) => void): () => void {
    return this.observer.subscribeQuery(query, listener);
  }

  /**
   * Follows one item as an async iterator: its WorkInfo now and after each change, ending after
   * it finishes (succeeded, failed or cancelled) or when `signal` aborts.
   *
   * @example
   * for await (const info of engine.observe(id)) console.log(info.state, info.progress)
   */
  observe(id: string, options: { signal?: AbortSignal } = {}): AsyncIterableIterator<WorkInfo> {
    return iterate<WorkInfo>((l) => this.observer.subscribe(id, l), (info) => FINISHED_STATES.includes(info.state), options.signal);
  }

  /** Follows a query as an async iterator of result lists, until `signal` aborts. */
  observeQuery(query: WorkQuery, options: { signal?: AbortSignal } = {}): AsyncIterableIterator<WorkInfo[]> {
    return iterate<WorkInfo[]>((l) => this.observer.subscribeQuery(query, l), () => false, options.signal);
  }

  /**
   * What the constraint trackers report now (each signal read afresh where the platform can).
   *
   * @example
   * engine.deviceState().network // { connected: true, metered: false, roaming: false }
   */
  deviceState(): DeviceState {
    const state: DeviceState = { ...UNKNOWN_DEVICE };
    for (const tracker of Object.values(this.trackers) as Array<SignalTracker<SignalName>>) {
      tracker.refresh();
      (state as unknown as Record<string, unknown>)[tracker.signal] = tracker.get();
    }
    return state;
  }

  /** Whether background work can run on this platform now (available, restricted or denied, with the reason). */
  getStatus(): PlatformStatus & { platform: string } {
    return { platform: this.platform.name, ...this.platform.status() };
  }

  /** What this platform promises: survival of restarts and reboots, running while closed, minimum interval, budget. */
  guarantees(): Guarantees {
    return { ...this.platform.guarantees };
  }

  /**
   * Runs the work that is due (and whose constraints are met) inside a time budget, as a mobile OS
   * grants one: most important first (expedited, priority, due time); work whose typical duration
   * (learned from the journal) no longer fits is left for later; at the deadline, or when
   * `signal` aborts, what still runs is aborted (`budget-expired`) and re-queued without being
   * charged. For platforms that wake the app (service worker `sync`, expo-background-task);
   * call it on an engine whose worker loop is not started.
   *
   * @example
   * const report = await engine.runDue({ budget: '25s' })
   * scheduleNextWake(report.nextWakeAt)
   */
  async runDue(options: { budget: Duration; signal?: AbortSignal }): Promise<RunDueReport> {
    const budgetMs = parseDuration(options.budget, 'budget');
    if (budgetMs <= 0) throw new InvalidOptionError(`The budget must be above zero, not ${String(options.budget)}; pass the time the platform granted, such as '25s'.`);
    if (this.started || this.windowDeadline !== null) throw new InvalidStateError(`runDue() needs an engine whose worker loop is not running; stop it first.`);
    const startedAt = this.clock.now();
    const deadline = startedAt + budgetMs;
    this.windowDeadline = deadline;
    const report: RunDueReport = { ran: [], stopped: [], skipped: [], stillDue: 0, nextWakeAt: null, elapsedMs: 0 };
    const offs = [
      this.events.on('work:succeeded', ({ id, taskName }) => void report.ran.push({ id, taskName, outcome: 'succeeded' })),
      this.events.on('work:retrying', ({ id, taskName }) => void report.ran.push({ id, taskName, outcome: 'retrying' })),
      this.events.on('work:failed', ({ id, taskName }) => void report.ran.push({ id, taskName, outcome: 'failed' })),
      this.events.on('work:stopped', ({ id, reason }) => void (reason === 'budget-expired' && report.stopped.push(id))),
    ];
    let timer: TimerHandle | null = null;
    const onAbort = (): void => this.windowWake();
    options.signal?.addEventListener('abort', onAbort);
    try {
      await this.store.reconcile(startedAt);
      const taskNames = this.taskNames();
      const typical = taskNames.length ? await this.store.typicalDurations(taskNames, 20) : new Map<string, number>();
      timer = this.clock.setTimeout(() => this.windowWake(), budgetMs);
      // As the worker loop does while constrained work runs: an attempt whose constraints are lost
      // is stopped (constraint-lost), and a change that lets more work run wakes the window.
      if (this.hasTrackers()) this.watchTrackers(true);
      const tooLong = new Set<string>();
      for (;;) {
        const now = this.clock.now();
        if (now >= deadline || options.signal?.aborted) break;
        const fits = taskNames.filter((t) => (typical.get(t) ?? 0) <= deadline - now);
        for (const t of taskNames) if (!fits.includes(t)) tooLong.add(t);
        const free = this.concurrency - this.attempts.size;
        if (free > 0 && fits.length > 0) {
          const claimed = await this.store.claim({ now, workerId: this.workerId, leaseMs: this.leaseMs, limit: free, taskNames: fits, taskLimits: this.taskLimits(), conditions: this.readConditions() });
          for (const c of claimed) this.launch(c);
        }
        if (this.attempts.size === 0) break;
        // Wait for a slot to free up, the deadline, an abort or a change of the device's conditions.
        await new Promise<void>((resolve) => {
          this.windowWake = resolve;
          void Promise.race([...this.attempts].map((a) => a.done)).then(resolve);
        });
      }
      for (const attempt of this.attempts) attempt.stop('budget-expired');
      await this.allDone();
      const now = this.clock.now();
      const counts = await this.store.counts(now);
      // Tasks left out because their typical run did not fit what remained, and that still have due work.
      for (const t of tooLong) if (counts.some((r) => r.taskName === t && r.due > 0)) report.skipped.push({ taskName: t, typicalMs: typical.get(t)! });
      report.stillDue = counts.filter((r) => this.tasks.has(r.taskName)).reduce((n, r) => n + r.due, 0);
      const next = taskNames.length ? await this.store.nextWakeAt({ taskNames }) : null;
      report.nextWakeAt = next === null ? null : new Date(next);
      report.elapsedMs = now - startedAt;
      return report;
    } finally {
      if (timer !== null) this.clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const off of offs) off();
      this.unwatchTrackers();
      this.windowWake = () => {};
      this.windowDeadline = null;
    }
  }

  /**
   * Subscribes to a lifecycle event; returns an unsubscribe function.
   *
   * @example
   * engine.on('work:failed', ({ id, error }) => log.warn(id, error))
   */
  on<E extends keyof WorkEvents>(event: E, listener: WorkListener<E>): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Starts the worker loop: returns expired leases to the queue (reconcile), then runs due work
   * and arms one timer for the next due time.
   */
  async start(): Promise<void> {
    if (this.started) return;
    await this.store.reconcile(this.clock.now());
    this.started = true;
    this.stopping = false;
    this.requestTick();
    await this.ticking;
  }

  /** Whether the worker loop is running. */
  get isStarted(): boolean {
    return this.started && !this.stopping;
  }

  /**
   * Runs a pass now: claims due work and re-arms the wake timer. Schedulers call this when they
   * learn of new work from outside (another process, a platform wake-up). Idempotent.
   */
  wake(): void {
    this.requestTick(true);
    this.refresh();
  }

  /**
   * Re-reads everything observed through `subscribe`/`observe`, for changes made outside this
   * engine (another process writing the same store). Works whether or not the loop is started.
   */
  refresh(): void {
    if (this.observer.active) this.observer.refresh();
  }

  /**
   * Stops claiming, lets running handlers finish within the grace period, then aborts the rest;
   * aborted attempts go back to the queue without being charged. Resolves when all have settled.
   */
  async stop(options: { grace?: Duration } = {}): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    this.disarmWake();
    await this.ticking;
    const grace = options.grace === undefined ? this.graceMs : parseDuration(options.grace, 'grace');
    if (this.attempts.size > 0) {
      let timer: TimerHandle | null = null;
      const graceOver = new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, grace)));
      await Promise.race([this.allDone(), graceOver]);
      if (timer !== null) this.clock.clearTimeout(timer);
      for (const attempt of this.attempts) attempt.stop('shutdown');
      await this.allDone();
    }
    this.unwatchTrackers();
    this.started = false;
    this.stopping = false;
  }

  /** Stops the worker (if started) and closes the store. */
  async close(options: { grace?: Duration } = {}): Promise<void> {
    await this.stop(options);
    await this.store.close();
  }

  /** A snapshot of the loop's state. */
  activity(): EngineActivity {
    return { started: this.started, ticking: this.ticking !== null, running: [...this.running.keys()], wakeAt: this.wakeAt };
  }

  /** Resolves when no pass is in flight (running attempts may continue). */
  async flush(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  /** Resolves when no pass is in flight and no attempt is running. */
  async whenIdle(): Promise<void> {
    while (this.ticking || this.attempts.size > 0) {
      await this.ticking;
      await this.allDone();
    }
  }

  /** The conditions stores filter on, from fresh tracker readings. */
  private readConditions(): DeviceConditions {
    return this.hasTrackers() ? toConditions(this.deviceState()) : ALL_MET;
  }

  private hasTrackers(): boolean {
    return Object.keys(this.trackers).length > 0;
  }

  private runningConstrained(): boolean {
    for (const a of this.attempts) if (a.spec.constraintMask !== 0 || a.spec.minBattery !== null || a.spec.maxMemory !== null) return true;
    return false;
  }

  /**
   * Watches the trackers only while it matters: some due work waits on a constraint, or some
   * running attempt has constraints that could be lost. Otherwise no signal is sampled.
   */
  private watchTrackers(needed: boolean): void {
    if (needed && !this.trackerSubscriptions) {
      this.trackerSubscriptions = (Object.values(this.trackers) as Array<SignalTracker<SignalName>>).map((t) => t.subscribe(() => this.onConditionsChanged()));
    } else if (!needed && this.trackerSubscriptions) {
      this.unwatchTrackers();
    }
  }

  private unwatchTrackers(): void {
    for (const off of this.trackerSubscriptions ?? []) off();
    this.trackerSubscriptions = null;
  }

  /** A tracker changed: stop attempts whose constraints are lost, and claim work that can now run. */
  private onConditionsChanged(): void {
    const conditions = toConditions(this.deviceState());
    for (const attempt of this.attempts) {
      if (!constraintsMet(attempt.spec, conditions)) attempt.stop('constraint-lost');
    }
    if (this.observer.active) this.observer.refresh();
    this.requestTick();
    if (this.windowDeadline !== null) this.windowWake();
  }

  private planContext(taskName: string, now: number): Parameters<typeof planWork>[2] {
    return { id: this.createId(), now, task: this.tasks.get(taskName), maxInputBytes: this.maxInputBytes, cron: this.cron };
  }

  /** Stores planned rows, announces them and wakes the loop. */
  private async insertNew(specs: WorkSpec[]): Promise<WorkInfo[]> {
    await this.store.enqueue(specs);
    this.announce(specs);
    // waitingFor as this process sees it now, like every other WorkInfo the engine returns.
    const conditions = this.readConditions();
    return specs.map((s) => toWorkInfo(s, null, conditions));
  }

  private announce(specs: readonly WorkSpec[]): void {
    if (this.events.has('work:enqueued')) for (const s of specs) this.events.emit('work:enqueued', { id: s.id, taskName: s.taskName, runAt: s.runAt });
    this.requestTick();
  }

  /**
   * Puts a batch in prerequisite order and checks its prerequisites: no duplicate ids, no cycle,
   * and every prerequisite outside the batch exists and can still succeed.
   */
  private async orderBatch(specs: WorkSpec[]): Promise<WorkSpec[]> {
    if (specs.every((s) => s.prerequisites.length === 0)) {
      // No chains (the common case): the batch is already in order; only ids can clash.
      const ids = new Set<string>();
      for (const s of specs) {
        if (ids.has(s.id)) throw new InvalidOptionError(`The work id "${s.id}" appears twice in one batch; give each item its own id.`);
        ids.add(s.id);
      }
      return specs;
    }
    const byId = new Map<string, WorkSpec>();
    for (const s of specs) {
      if (byId.has(s.id)) throw new InvalidOptionError(`The work id "${s.id}" appears twice in one batch; give each item its own id.`);
      byId.set(s.id, s);
    }
    const ordered: WorkSpec[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (spec: WorkSpec): void => {
      const mark = state.get(spec.id);
      if (mark === 'done') return;
      if (mark === 'visiting') throw new InvalidChainError(`The work "${spec.id}" is part of a cycle of prerequisites; a chain must not loop back on itself.`);
      state.set(spec.id, 'visiting');
      for (const p of spec.prerequisites) {
        const inBatch = byId.get(p);
        if (inBatch) visit(inBatch);
      }
      state.set(spec.id, 'done');
      ordered.push(spec);
    };
    for (const s of specs) visit(s);
    await this.checkPrerequisites(ordered);
    return ordered;
  }

  /**
   * Ids the caller chose must be free: a typed error before anything is written, rather than the
   * store's refusal of the batch (which stays as the backstop when two enqueues race for one id).
   */
  private async checkIdsFree(requests: ReadonlyArray<{ id?: unknown } | undefined>, specs: readonly WorkSpec[]): Promise<void> {
    const chosen = specs.filter((_, i) => (requests[i] as { id?: unknown } | undefined)?.id !== undefined).map((s) => s.id);
    if (chosen.length === 0) return;
    const taken = await this.store.query({ ids: chosen, limit: chosen.length });
    if (taken.length > 0) {
      throw new DuplicateWorkError(taken[0]!.id, 'stored');
    }
  }

  /** Every prerequisite outside `specs` must exist, be one-time work, and not have failed or been cancelled. */
  private async checkPrerequisites(specs: readonly WorkSpec[]): Promise<void> {
    const own = new Set(specs.map((s) => s.id));
    const outside = [...new Set(specs.flatMap((s) => s.prerequisites).filter((p) => !own.has(p)))];
    if (outside.length === 0) return;
    const found = new Map((await this.store.query({ ids: outside, limit: outside.length })).map((s) => [s.id, s]));
    for (const id of outside) {
      const p = found.get(id);
      if (!p) throw new InvalidChainError(`The prerequisite "${id}" does not exist; chain only onto work that is stored.`);
      if (p.state === 'cancelled' || p.state === 'failed') {
        throw new InvalidChainError(`The prerequisite "${id}" is ${p.state}, so work after it could never run; retry it first or chain onto other work.`);
      }
      if (p.schedule) throw new InvalidChainError(`The prerequisite "${id}" is periodic work, which never finishes; chain only onto one-time work.`);
    }
  }

  private async applyUnique(uniqueName: string, now: number, decide: (existing: WorkSpec[]) => UniqueDecision): Promise<{ decision: UniqueDecision; work: WorkInfo[] }> {
    let decision: UniqueDecision | undefined;
    const { cancelled } = await this.store.enqueueUnique(uniqueName, now, (existing) => {
      decision = decide(existing);
      return decision.plan;
    });
    this.afterCancel(cancelled);
    this.announce(decision!.plan.insert);
    if (decision!.plan.update.length) {
      this.requestTick();
      this.observer.refresh();
    }
    // Re-read: the chain rule may already have resolved what was inserted (an append onto a failed chain).
    const ids = decision!.plan.insert.map((s) => s.id);
    const stored = new Map((await this.query({ ids, limit: ids.length || 1 })).map((w) => [w.id, w]));
    return { decision: decision!, work: decision!.plan.insert.map((s) => stored.get(s.id) ?? toWorkInfo(s, null)) };
  }

  /** How a built chain is stored: one planned row per step, each waiting for its parents' leaves. */
  private readonly chainEnqueuer: ChainEnqueuer = {
    enqueueChain: async (nodes, unique: UniqueChain | null): Promise<ChainResult> => {
      const now = this.clock.now();
      const leaves: string[][] = [];
      const specs: WorkSpec[] = [];
      for (const node of nodes) {
        const after = [...new Set(node.parents.flatMap((p) => leaves[p] ?? []))];
        const ids = node.steps.map((step) => {
          const { task, ...request } = step;
          // A step's own `after` that is not an array goes to planWork as given, which names the mistake.
          const own: unknown = request.after ?? [];
          const stepAfter = Array.isArray(own) ? [...after, ...(own as string[])] : (own as string[]);
          const spec = planWork(task, { ...request, after: stepAfter }, { ...this.planContext(task, now), uniqueName: unique?.name ?? null });
          specs.push(spec);
          return spec.id;
        });
        // A combine node has no steps of its own: its leaves are its parents' leaves.
        leaves.push(ids.length > 0 ? ids : after);
      }
      // Steps take no id, but a caller outside TypeScript may pass one anyway.
      await this.checkIdsFree(nodes.flatMap((n) => n.steps as ReadonlyArray<{ id?: unknown }>), specs);
      if (!unique) return { outcome: 'enqueued', work: await this.insertNew(await this.orderBatch(specs)) };
      await this.checkPrerequisites(specs);
      const { decision, work } = await this.applyUnique(unique.name, now, (existing) => planUniqueWork(unique.policy, existing, specs));
      return { outcome: decision.outcome, work };
    },
  };

  private afterCancel(ids: string[]): void {
    for (const id of ids) {
      this.running.get(id)?.stop('cancelled');
      this.events.emit('work:cancelled', { id });
    }
    if (ids.length) this.requestTick();
  }

  private allDone(): Promise<unknown> {
    return Promise.allSettled([...this.attempts].map((a) => a.done));
  }

  /** Coalesces pass requests: at most one pass runs, and one more follows if asked meanwhile. */
  private requestTick(reconcile = false, fromTimer = false): void {
    if (reconcile) this.reconcilePending = true;
    if (!this.started || this.stopping) return;
    // While the store keeps failing, only the backoff timer starts a pass: wake-ups, enqueues and
    // settles would otherwise retry at once and hammer a full disk or a down server.
    if (this.storeFailures > 0 && !fromTimer && this.wakeTimer !== null) return;
    if (this.ticking) {
      this.tickRequested = true;
      return;
    }
    this.ticking = this.runPasses();
  }

  private async runPasses(): Promise<void> {
    try {
      do {
        // Each pass starts a microtask after it was asked for: attempts that finish together (their
        // settles committed together) free their slots in consecutive microtasks, and a pass started
        // by the first of them would claim for one slot. A microtask later it claims for all of them.
        await undefined;
        if (!this.started || this.stopping) return;
        this.tickRequested = false;
        try {
          await this.pass();
          this.storeFailures = 0;
        } catch (error) {
          // The store is unreachable or failing: say so, and try again later with backoff.
          this.storeFailures++;
          this.events.emit('worker:error', { error, during: 'claiming work' });
          this.armWake(this.clock.now() + Math.min(30_000, 250 * 2 ** Math.min(this.storeFailures, 7)));
          return;
        }
      } while (this.tickRequested && this.started && !this.stopping);
    } finally {
      // In the same synchronous step as the loop's last check of tickRequested, so a request made
      // after that check always finds no pass in flight and starts one: none is lost in between.
      this.ticking = null;
    }
  }

  /** One pass: reconcile if asked, claim into free slots, arm the timer for the next due time. */
  private async pass(): Promise<void> {
    const now = this.clock.now();
    if (this.clockSetBack > 0) {
      const delta = this.clockSetBack;
      this.clockSetBack = 0;
      await this.rebaseAfterClockSetBack(now, delta);
    }
    if (this.reconcilePending) {
      this.reconcilePending = false;
      await this.store.reconcile(now);
    }
    if (this.keepResultsMs !== null && now - this.lastAutoPrune >= Math.min(this.keepResultsMs, 3_600_000)) {
      this.lastAutoPrune = now;
      await this.store.prune({ finishedBefore: now - this.keepResultsMs });
    }
    const taskNames = this.taskNames();
    if (taskNames.length === 0) return this.disarmWake();
    const conditions = this.readConditions();
    // Slots are handlers, not attempts: one whose handler finished frees its slot at once, so this
    // claim can share a transaction with its settle in a store that groups writes.
    const free = this.concurrency - this.handlersBusy;
    let filled = false;
    if (free > 0) {
      const claimed = await this.store.claim({ now, workerId: this.workerId, leaseMs: this.leaseMs, limit: free, taskNames, taskLimits: this.taskLimits(), conditions });
      for (const c of claimed) this.launch(c);
      filled = claimed.length === free;
    }
    if (this.stopping) return;
    // Every slot was filled (some may have freed up already): each settle triggers another pass,
    // so no timer, and no wake-time query, is needed until a claim comes back short.
    if (filled || this.handlersBusy >= this.concurrency) {
      if (this.hasTrackers() && this.runningConstrained()) this.watchTrackers(true);
      return this.disarmWake();
    }
    let next = await this.store.nextWakeAt({ taskNames, excludeOwner: this.workerId, conditions });
    if (this.hasTrackers()) {
      // Constrained work that is not due yet still needs a pass when it falls due (to watch the
      // trackers then); constrained work already due waits for a tracker event, not a timer.
      const nextAny = await this.store.nextWakeAt({ taskNames, excludeOwner: this.workerId });
      const waitingNow = nextAny !== null && nextAny <= now && (next === null || next > now);
      this.watchTrackers(waitingNow || this.runningConstrained());
      if (nextAny !== null && nextAny > now && (next === null || nextAny < next)) next = nextAny;
    }
    if (next !== null && next <= now) {
      // Due but not claimed: another worker's lease expired (a reconcile will free it), or another
      // process won the race. Retry at once a few times, then back off so this cannot spin.
      this.dueNowStreak++;
      this.armWake(this.dueNowStreak <= 2 ? now : now + 1000);
    } else {
      this.dueNowStreak = 0;
      this.armWake(next);
    }
  }

  private taskLimits(): Record<string, number> | undefined {
    let limits: Record<string, number> | undefined;
    for (const [name, task] of this.tasks) if (task.concurrency !== undefined) (limits ??= {})[name] = task.concurrency;
    return limits;
  }

  private launch(claim: ClaimedWork): void {
    const task = this.tasks.get(claim.spec.taskName)!;
    let deps = this.attemptDeps.get(task);
    if (deps === undefined) {
      deps = {
        store: this.store,
        clock: this.clock,
        events: this.events,
        leaseMs: this.leaseMs,
        maxOutputBytes: this.maxInputBytes,
        cron: this.cron,
        classifier: task.classify ?? this.classifier,
        loadInput: (spec) => this.loadInput(spec),
        onHandlerDone: () => {
          this.handlersBusy--;
          this.requestTick();
        },
      };
      this.attemptDeps.set(task, deps);
    }
    this.handlersBusy++;
    const attempt = new AttemptRunner({ spec: applyTaskDefaults(claim.spec, task), run: claim.run }, task, deps);
    this.running.set(claim.spec.id, attempt);
    this.attempts.add(attempt);
    void attempt.done.finally(() => {
      this.attempts.delete(attempt);
      if (this.running.get(claim.spec.id) === attempt) this.running.delete(claim.spec.id);
      // An attempt that ended without reaching its handler's end (it threw first) still frees its slot.
      if (!attempt.handlerDone) this.handlersBusy--;
      // Another pass now that the result is stored: a retry due later needs the wake timer re-armed.
      this.requestTick();
    });
  }

  /** The handler's input: stored input, merged with the prerequisites' outputs for chains. */
  private async loadInput(spec: EffectiveSpec): Promise<unknown> {
    const input = decodeJson(spec.inputJson);
    if (spec.prerequisites.length === 0) return input;
    const parents = new Map((await this.store.query({ ids: spec.prerequisites, limit: spec.prerequisites.length })).map((p) => [p.id, p]));
    const outputs = spec.prerequisites.map((id) => decodeJson(parents.get(id)?.outputJson));
    return mergeInputs(input, outputs, spec.inputMerger);
  }

  private armWake(at: number | null): void {
    if (at === this.wakeAt && this.wakeTimer !== null) return;
    this.disarmWake();
    if (at === null || !this.started || this.stopping) return;
    this.wakeAt = at;
    this.wakeTimer = this.clock.setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = null;
      // Timers run on a monotonic clock; a wake-up well before its wall-clock time means the
      // wall clock was set back, and periodic runs computed before that are now too far ahead.
      const early = at - this.clock.now();
      if (early > CLOCK_JUMP_TOLERANCE_MS) this.clockSetBack = Math.max(this.clockSetBack, early);
      this.requestTick(true, true);
    }, Math.max(0, at - this.clock.now()));
  }

  /**
   * After the wall clock was set back by `delta`, brings each periodic series' next run back by as
   * much (never before now, never later than one period from now), so it neither stalls for the
   * jump nor runs twice.
   */
  private async rebaseAfterClockSetBack(now: number, delta: number): Promise<void> {
    for (let offset = 0; ; offset += 1000) {
      const page = await this.store.query({ states: ['enqueued'], limit: 1000, offset });
      for (const spec of page) {
        if (!spec.schedule) continue;
        const nextPeriod = nextScheduledRun(spec.schedule, now, this.cron) ?? spec.runAt;
        const target = Math.min(nextPeriod, Math.max(now, spec.runAt - delta));
        if (target < spec.runAt) await this.store.update(spec.id, { runAt: target }, now);
      }
      if (page.length < 1000) return;
    }
  }

  private disarmWake(): void {
    if (this.wakeTimer !== null) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.wakeAt = null;
  }
}

/**
 * Builds the WorkInfo view of a stored row.
 *
 * @example
 * toWorkInfo(await store.get(id), null).state
 */
export function toWorkInfo(spec: WorkSpec, lastRun: RunRecord | null, conditions: DeviceConditions = ALL_MET): WorkInfo {
  return {
    id: spec.id,
    taskName: spec.taskName,
    state: spec.state,
    input: decodeJson(spec.inputJson),
    output: decodeJson(spec.outputJson),
    progress: decodeJson(spec.progressJson),
    tags: [...spec.tags],
    priority: priorityName(spec.priority),
    expedited: spec.priority >= EXPEDITED_RANK,
    attempt: spec.attempt,
    maxAttempts: spec.maxAttempts,
    uniqueName: spec.uniqueName,
    schedule: spec.schedule,
    prerequisites: [...spec.prerequisites],
    inputMerger: spec.inputMerger,
    constraints: spec.constraints ? { ...spec.constraints } : null,
    waitingFor: spec.state === 'enqueued' ? waitingFor(spec, conditions) : [],
    nextRunAt: spec.state === 'enqueued' ? new Date(spec.runAt) : null,
    lastRun,
    lastError: spec.lastError,
    createdAt: new Date(spec.createdAt),
    updatedAt: new Date(spec.updatedAt),
    finishedAt: spec.finishedAt === null ? null : new Date(spec.finishedAt),
  };
}

function toSteps(steps: ChainStep | readonly ChainStep[]): readonly ChainStep[] {
  const list = Array.isArray(steps) ? (steps as readonly ChainStep[]) : [steps as ChainStep];
  if (list.length === 0) throw new InvalidChainError(`A chain needs at least one step.`);
  return list;
}

/** Random bytes drawn in blocks: one getRandomValues call per 256 ids instead of one per id. */
const randomPool = new Uint8Array(4096);
let randomOffset = randomPool.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Makes sure `count` unused random bytes wait in the pool at `randomOffset`. */
function ensureRandom(count: number): void {
  if (randomOffset + count > randomPool.length) {
    const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
    if (c?.getRandomValues) c.getRandomValues(randomPool);
    else for (let i = 0; i < randomPool.length; i++) randomPool[i] = Math.floor(Math.random() * 256);
    randomOffset = 0;
  }
}

/** The timestamp part of the last id made (`xxxxxxxx-xxxx-`) and its millisecond: ids made in one millisecond share it. */
let uuidMs = -1;
let uuidPrefix = '';
/** The 12-bit counter in `rand_a` of ids made in `uuidMs` (RFC 9562 §6.2, method 1). */
let uuidCounter = 0;

/**
 * A UUIDv7: 48 bits of milliseconds then random bits, so ids sort by creation time and a store's
 * id index grows at its end instead of dirtying a random page per insert.
 *
 * @example
 * createUuidV7(Date.now()) // '019a…-…-7…-…-…'
 */
export function createUuidV7(nowMs: number): string {
  const ms = Math.max(0, Math.floor(nowMs));
  if (ms !== uuidMs) {
    // 48 bits of milliseconds, big-endian: bytes 0-3, a dash, bytes 4-5, a dash.
    let rest = ms;
    const b = new Array<number>(6);
    for (let i = 5; i >= 0; i--) {
      b[i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    uuidMs = ms;
    uuidPrefix = `${HEX[b[0]!]}${HEX[b[1]!]}${HEX[b[2]!]}${HEX[b[3]!]}-${HEX[b[4]!]}${HEX[b[5]!]}-`;
    uuidCounter = -1;
  }
  ensureRandom(10);
  const p = randomPool;
  const o = randomOffset;
  randomOffset += 10;
  // rand_a counts up within a millisecond from a random start below 2048, so ids made in one
  // millisecond sort in creation order too (and a store's id index grows at its end, never splits
  // a page in the middle); past 4095 it starts again from random bits, still unique by rand_b.
  uuidCounter = uuidCounter < 0 || uuidCounter >= 0xfff ? ((p[o]! & 0x07) << 8) | p[o + 1]! : uuidCounter + 1;
  // The version (7) in byte 6's high nibble, the counter in the rest of bytes 6-7, the variant
  // (10) in byte 8's top bits, and random bits everywhere else.
  return (
    uuidPrefix +
    HEX[0x70 | (uuidCounter >> 8)]! +
    HEX[uuidCounter & 0xff]! +
    '-' +
    HEX[(p[o + 2]! & 0x3f) | 0x80]! +
    HEX[p[o + 3]!]! +
    '-' +
    HEX[p[o + 4]!]! +
    HEX[p[o + 5]!]! +
    HEX[p[o + 6]!]! +
    HEX[p[o + 7]!]! +
    HEX[p[o + 8]!]! +
    HEX[p[o + 9]!]!
  );
}
