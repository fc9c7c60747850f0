/**
 * Turns a caller's request into the WorkSpec row to store, validating every field first, so a
 * bad request throws a typed error before anything is written. Pure: time and ids come in.
 * Options the request leaves out are stored as null and resolved from the running worker's task
 * definition at claim time (see `applyTaskDefaults`), so work enqueued from a process without
 * handlers (the CLI) still gets the task's own retry policy.
 */
import { InvalidOptionError, InvalidScheduleError, UnknownTaskError } from '../errors.js';
import { describeValue, hasLoneSurrogate, isPrintableName, quoteText } from '../model/describe-value.js';
import { parseDuration } from '../model/duration.js';
import { EXPEDITED_RANK, PRIORITY_RANK, type InputMerger, type PeriodicWorkRequest, type Priority, type WorkRequest, type WorkSpec } from '../model/work.js';
import type { TaskOptions } from '../engine/task.js';
import { DEFAULT_BACKOFF, resolveBackoff } from './backoff.js';
import { constraintKey } from './constraints.js';
import { encodeJson } from './encode-json.js';
import { firstRunAt, resolveSchedule, type CronParser } from './schedule.js';

/** Attempts before work fails for good, when neither the request nor the task says. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Per-attempt timeout when neither the request nor the task says (WorkManager's 10-minute limit). */
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** Longest task name or unique name accepted. */
export const MAX_TASK_NAME_LENGTH = 200;
/** Latest (and earliest) time a `Date` can hold, in epoch ms: a run time past it is not a time. */
const LAST_DATE_MS = 8.64e15;

/** What {@link planWork} needs besides the request. */
export interface PlanContext {
  id: string;
  now: number;
  /** The task's registered defaults, or undefined when the task is not registered here. */
  task: TaskOptions | undefined;
  maxInputBytes: number;
  /** Evaluates cron schedules, when periodic work uses them. */
  cron?: CronParser;
  /** The unique name to store, if any. */
  uniqueName?: string | null;
}

const REQUEST_KEYS = new Set(['id', 'input', 'delay', 'startAt', 'tags', 'priority', 'maxAttempts', 'backoff', 'timeout', 'allowUnregistered', 'expedited', 'after', 'inputMerger', 'constraints']);
const PERIODIC_KEYS = new Set([...[...REQUEST_KEYS].filter((k) => k !== 'after' && k !== 'inputMerger'), 'every', 'flex', 'cron', 'timezone', 'endOnFailure']);

/**
 * Validates a one-time request and builds its row: state `enqueued` (or `blocked` when it has
 * prerequisites), attempt 0, token 0.
 *
 * @example
 * planWork('sync', { delay: '5m' }, { id: 'w1', now: Date.now(), task: {}, maxInputBytes: 1e6 })
 */
export function planWork(taskName: string, request: WorkRequest | undefined, ctx: PlanContext): WorkSpec {
  const req = checkRequest(taskName, request, REQUEST_KEYS, ctx);
  const after = req.after ?? [];
  // Ids are names (see validateName): one that is not printable cannot name stored work.
  if (!Array.isArray(after) || after.some((id) => typeof id !== 'string' || id === '' || !isPrintableName(id))) {
    throw new InvalidOptionError(`The after option ${describeValue(after)} is invalid; pass an array of work ids.`);
  }
  const inputMerger: InputMerger = req.inputMerger ?? 'overwrite';
  if (inputMerger !== 'overwrite' && inputMerger !== 'array') {
    throw new InvalidOptionError(`The inputMerger ${quoteText(inputMerger)} is unknown; use 'overwrite' or 'array'.`);
  }
  const spec = baseSpec(taskName, req, ctx, checkRunAt(startTime(req, ctx.now), taskName));
  spec.prerequisites = after.length === 0 ? [] : [...new Set(after)];
  spec.inputMerger = inputMerger;
  if (spec.prerequisites.length > 0) spec.state = 'blocked';
  return spec;
}

/**
 * Validates a periodic request and builds its row, due at the first run of its schedule.
 *
 * @example
 * planPeriodicWork('refresh', { every: '1h', flex: '10m' }, { id: 'w2', now, task: {}, maxInputBytes: 1e6 })
 */
export function planPeriodicWork(taskName: string, request: PeriodicWorkRequest, ctx: PlanContext): WorkSpec {
  const req = checkRequest(taskName, request, PERIODIC_KEYS, ctx) as PeriodicWorkRequest;
  const schedule = resolveSchedule(req, ctx.cron, ctx.now);
  const start = checkRunAt(startTime(req, ctx.now), taskName);
  let first: number;
  try {
    first = firstRunAt(schedule, start, ctx.cron);
  } catch (error) {
    // A cron parser fails on its own terms near the end of representable time.
    if (error instanceof InvalidScheduleError) throw error;
    throw new InvalidScheduleError(`The schedule of task "${taskName}" has no run after its start time ${new Date(start).toISOString()}; start it earlier.`);
  }
  const spec = baseSpec(taskName, req, ctx, checkRunAt(first, taskName));
  spec.schedule = schedule;
  return spec;
}

function checkRequest(taskName: string, request: WorkRequest | undefined, keys: Set<string>, ctx: PlanContext): WorkRequest {
  validateName(taskName, 'task name');
  const req = request ?? {};
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    throw new InvalidOptionError(`The work request for task "${taskName}" must be an object such as { input, delay }, not ${describeValue(req)}.`);
  }
  const unknown = Object.keys(req).filter((k) => !keys.has(k));
  if (unknown.length > 0) {
    throw new InvalidOptionError(`The work request for task "${taskName}" has unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => quoteText(k)).join(', ')}; check the spelling.`);
  }
  if (!ctx.task && !req.allowUnregistered) {
    throw new UnknownTaskError(
      `No task named "${taskName}" is registered; register a handler for it, or pass allowUnregistered: true to enqueue it for a worker elsewhere.`,
    );
  }
  if (req.id !== undefined) validateName(req.id, 'work id');
  return req;
}

function startTime(req: WorkRequest, now: number): number {
  let runAt = now;
  if (req.delay !== undefined) runAt = now + parseDuration(req.delay, 'delay');
  if (req.startAt !== undefined) {
    const at = req.startAt instanceof Date ? req.startAt.getTime() : req.startAt;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw new InvalidOptionError(`The startAt ${describeValue(req.startAt)} is not a valid time; pass a Date or epoch milliseconds.`);
    }
    runAt = Math.max(runAt, at);
  }
  return runAt;
}

/** A run time must be one a `Date` can hold, or `nextRunAt` and every store's ordering break. */
function checkRunAt(runAt: number, taskName: string): number {
  if (!Number.isFinite(runAt) || Math.abs(runAt) > LAST_DATE_MS) {
    throw new InvalidOptionError(`The work for task "${taskName}" would first run at ${String(runAt)} ms, past the last date JavaScript can represent; use a shorter delay or an earlier startAt.`);
  }
  return runAt;
}

function baseSpec(taskName: string, req: WorkRequest, ctx: PlanContext, runAt: number): WorkSpec {
  const inputJson = encodeJson(req.input, `The input of task "${taskName}"`, ctx.maxInputBytes);
  const tags = req.tags ?? [];
  // Unpaired surrogates do not survive UTF-8 (SQLite, PostgreSQL); PostgreSQL's text cannot hold NUL at all.
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t.length === 0 || hasLoneSurrogate(t) || t.includes('\u0000'))) {
    throw new InvalidOptionError(`The tags ${describeValue(tags)} are invalid; pass an array of non-empty strings (without unpaired surrogates or NUL characters).`);
  }
  const priority = req.priority ?? 'normal';
  if (typeof priority !== 'string' || !Object.hasOwn(PRIORITY_RANK, priority)) {
    throw new InvalidOptionError(`The priority ${quoteText(priority)} is unknown; use one of ${Object.keys(PRIORITY_RANK).join(', ')}.`);
  }
  if (req.expedited !== undefined && typeof req.expedited !== 'boolean') {
    throw new InvalidOptionError(`The expedited option must be true or false, not ${describeValue(req.expedited)}.`);
  }
  if (req.maxAttempts !== undefined) checkMaxAttempts(req.maxAttempts);
  const backoff = req.backoff === undefined ? null : resolveBackoff(req.backoff, ctx.task?.backoff ? resolveBackoff(ctx.task.backoff) : DEFAULT_BACKOFF);
  const timeoutMs = req.timeout === undefined ? null : resolveTimeout(req.timeout);
  // Read into locals rather than spread into the literal below: a spread makes V8 build the row
  // on its slow path, and this runs once per enqueued item.
  const { constraints, constraintMask, minBattery, maxMemory } = constraintKey(req.constraints);
  return {
    id: req.id ?? ctx.id,
    taskName,
    state: 'enqueued',
    inputJson,
    outputJson: null,
    progressJson: null,
    tags: tags.length === 0 ? [] : [...new Set(tags)],
    priority: req.expedited ? EXPEDITED_RANK : PRIORITY_RANK[priority as Priority],
    runAt,
    attempt: 0,
    maxAttempts: req.maxAttempts ?? null,
    backoff,
    timeoutMs,
    lastError: null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    finishedAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    leaseToken: 0,
    uniqueName: ctx.uniqueName ?? null,
    schedule: null,
    prerequisites: [],
    inputMerger: 'overwrite',
    constraints,
    constraintMask,
    minBattery,
    maxMemory,
  };
}

/** Throws {@link InvalidOptionError} unless `value` is a whole number of at least 1. */
export function checkMaxAttempts(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(`The maxAttempts ${describeValue(value)} is invalid; use a whole number of at least 1.`);
  }
}

/** A timeout option as stored: 0 for none (`null`), else positive milliseconds. */
export function resolveTimeout(value: unknown): number {
  if (value === null) return 0;
  const ms = parseDuration(value as never, 'timeout');
  if (ms === 0) throw new InvalidOptionError(`The timeout must be above zero; pass null for no timeout.`);
  return ms;
}

/** Throws {@link InvalidOptionError} unless `name` is a usable task name. */
export function validateTaskName(name: unknown): asserts name is string {
  validateName(name, 'task name');
}

/**
 * Throws {@link InvalidOptionError} unless `name` is a non-empty string of at most 200 characters
 * without line breaks, control characters or unpaired surrogates (which UTF-8 stores cannot keep,
 * so the name would read back changed and its work never match).
 */
export function validateName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > MAX_TASK_NAME_LENGTH || !isPrintableName(name)) {
    throw new InvalidOptionError(
      `The ${what} ${describeValue(name)} is invalid; use a non-empty string of at most ${MAX_TASK_NAME_LENGTH} characters, without control characters or unpaired surrogates.`,
    );
  }
}

/** The priority name for a stored rank (the nearest defined rank at or below it). */
export function priorityName(rank: number): Priority {
  let best: Priority = 'low';
  for (const [name, value] of PRIORITY_ENTRIES) {
    if (rank >= value && value >= PRIORITY_RANK[best]) best = name;
  }
  return best;
}

/** PRIORITY_RANK's entries, listed once (priorityName runs for every WorkInfo built). */
const PRIORITY_ENTRIES = Object.entries(PRIORITY_RANK) as [Priority, number][];

/** A stored spec with its null options resolved from the task definition, then the defaults. */
export type EffectiveSpec = WorkSpec & { maxAttempts: number; backoff: NonNullable<WorkSpec['backoff']>; timeoutMs: number };

/**
 * Resolves the options a request left to the task: maxAttempts, backoff, timeout (0 = none).
 *
 * @example
 * applyTaskDefaults(claimed.spec, { maxAttempts: 3 }).maxAttempts // 3 unless the request set it
 */
export function applyTaskDefaults(spec: WorkSpec, task: TaskOptions | undefined): EffectiveSpec {
  return {
    ...spec,
    maxAttempts: spec.maxAttempts ?? task?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoff: spec.backoff ?? (task?.backoff ? resolveBackoff(task.backoff) : { ...DEFAULT_BACKOFF }),
    timeoutMs: spec.timeoutMs ?? (task?.timeout === undefined ? DEFAULT_TIMEOUT_MS : resolveTimeout(task.timeout)),
  };
}
