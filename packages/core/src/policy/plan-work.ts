/**
 * Turns a caller's WorkRequest into the WorkSpec row to store, validating every field first, so a
 * bad request throws a typed error before anything is written. Pure: time and ids come in.
 */
import { InvalidOptionError, UnknownTaskError } from '../errors.js';
import { parseDuration } from '../model/duration.js';
import { PRIORITY_RANK, type Priority, type WorkRequest, type WorkSpec } from '../model/work.js';
import type { TaskOptions } from '../engine/task.js';
import { resolveBackoff } from './backoff.js';
import { encodeJson } from './encode-json.js';

/** Attempts before work fails for good, when neither the request nor the task says. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Per-attempt timeout when neither the request nor the task says (WorkManager's 10-minute limit). */
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** Longest task name accepted. */
export const MAX_TASK_NAME_LENGTH = 200;

/** What {@link planWork} needs besides the request. */
export interface PlanContext {
  id: string;
  now: number;
  /** The task's registered defaults, or undefined when the task is not registered here. */
  task: TaskOptions | undefined;
  maxInputBytes: number;
}

/**
 * Validates a request and builds its row: state `enqueued`, attempt 0, token 0.
 *
 * @example
 * planWork('sync', { delay: '5m' }, { id: 'w1', now: Date.now(), task: {}, maxInputBytes: 1e6 })
 */
export function planWork(taskName: string, request: WorkRequest | undefined, ctx: PlanContext): WorkSpec {
  validateTaskName(taskName);
  const req = request ?? {};
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    throw new InvalidOptionError(`The work request for task "${taskName}" must be an object such as { input, delay }, not ${JSON.stringify(req)}.`);
  }
  if (!ctx.task && !req.allowUnregistered) {
    throw new UnknownTaskError(
      `No task named "${taskName}" is registered; register a handler for it, or pass allowUnregistered: true to enqueue it for a worker elsewhere.`,
    );
  }
  const task = ctx.task ?? {};
  const inputJson = encodeJson(req.input, `The input of task "${taskName}"`, ctx.maxInputBytes);

  let runAt = ctx.now;
  if (req.delay !== undefined) runAt = ctx.now + parseDuration(req.delay, 'delay');
  if (req.startAt !== undefined) {
    const at = req.startAt instanceof Date ? req.startAt.getTime() : req.startAt;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw new InvalidOptionError(`The startAt ${String(req.startAt)} is not a valid time; pass a Date or epoch milliseconds.`);
    }
    runAt = Math.max(runAt, at);
  }

  const tags = req.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw new InvalidOptionError(`The tags ${JSON.stringify(tags)} are invalid; pass an array of non-empty strings.`);
  }

  const priority = req.priority ?? 'normal';
  if (!Object.hasOwn(PRIORITY_RANK, priority)) {
    throw new InvalidOptionError(`The priority '${String(priority)}' is unknown; use one of ${Object.keys(PRIORITY_RANK).join(', ')}.`);
  }

  const maxAttempts = req.maxAttempts ?? task.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new InvalidOptionError(`The maxAttempts ${String(maxAttempts)} is invalid; use a whole number of at least 1.`);
  }

  const timeoutOption = req.timeout !== undefined ? req.timeout : task.timeout;
  let timeoutMs: number | null = DEFAULT_TIMEOUT_MS;
  if (timeoutOption === null) timeoutMs = null;
  else if (timeoutOption !== undefined) {
    timeoutMs = parseDuration(timeoutOption, 'timeout');
    if (timeoutMs === 0) throw new InvalidOptionError(`The timeout must be above zero; pass null for no timeout.`);
  }

  return {
    id: ctx.id,
    taskName,
    state: 'enqueued',
    inputJson,
    outputJson: null,
    progressJson: null,
    tags: [...new Set(tags)],
    priority: PRIORITY_RANK[priority as Priority],
    runAt,
    attempt: 0,
    maxAttempts,
    backoff: resolveBackoff(req.backoff, resolveBackoff(task.backoff)),
    timeoutMs,
    lastError: null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    finishedAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    leaseToken: 0,
  };
}

/** Throws {@link InvalidOptionError} unless `name` is a usable task name. */
export function validateTaskName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > MAX_TASK_NAME_LENGTH) {
    throw new InvalidOptionError(
      `The task name ${JSON.stringify(name) ?? String(name)} is invalid; use a non-empty string of at most ${MAX_TASK_NAME_LENGTH} characters.`,
    );
  }
}

/** The priority name for a stored rank (the nearest defined rank at or below it). */
export function priorityName(rank: number): Priority {
  let best: Priority = 'low';
  for (const [name, value] of Object.entries(PRIORITY_RANK) as [Priority, number][]) {
    if (rank >= value && value >= PRIORITY_RANK[best]) best = name;
  }
  return best;
}
