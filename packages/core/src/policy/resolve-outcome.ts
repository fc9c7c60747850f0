/**
 * What happens after an attempt: the next state, run time, attempt count and journal entry.
 * Pure. WorkManager's stop semantics: an attempt stopped by the system (shutdown, lost lease) goes
 * back to the queue without being charged; a timeout is the handler's failure and is charged.
 * Periodic work never finishes on success: it is enqueued for its next period with attempts
 * reset, and a run that fails for good moves on to the next period unless `endOnFailure`.
 */
import { NonRetryableError, RetryLaterError } from '../errors.js';
import { parseDuration } from '../model/duration.js';
import { describeValue } from '../model/describe-value.js';
import type { StopReason } from '../model/work.js';
import type { Settlement } from '../store/work-store.js';
import { backoffDelay } from './backoff.js';
import type { EffectiveSpec } from './plan-work.js';
import { nextRunAt, type CronParser } from './schedule.js';

/** How one attempt ended, as the runner saw it. */
export type AttemptResult =
  | { kind: 'success'; outputJson: string }
  | {
      kind: 'error';
      error: unknown;
      /**
       * What an error classifier decided: retry after `retryInMs`, give up (`null`), or use the
       * work's own backoff (`undefined`, with `rule` naming why, such as a failed classifier).
       */
      retry?: { rule: string; retryInMs: number | null | undefined };
    }
  | { kind: 'stopped'; reason: StopReason };

/** The claim an attempt ran under, with the task's defaults applied. */
export interface AttemptClaim {
  spec: EffectiveSpec;
  runId: number;
}

/**
 * Resolves an attempt's result into the settlement to store.
 *
 * @example
 * resolveOutcome({ spec, runId }, { kind: 'error', error: new Error('503') }, now)
 * // → { state: 'enqueued', runAt: now + 30_000, outcome: 'retrying', ... } on a first attempt
 */
export function resolveOutcome(claim: AttemptClaim, result: AttemptResult, now: number, cron?: CronParser): Settlement {
  const { spec, runId } = claim;

  if (result.kind === 'success') {
    // Written out rather than spread from a shared base: this runs once per attempt, and object
    // spreads are the slow path of V8's object literals.
    const next = spec.schedule ? nextRunAt(spec.schedule, now, cron) : null;
    // A periodic series goes on: back to the queue for its next period, attempts reset.
    if (next !== null) {
      return { id: spec.id, leaseToken: spec.leaseToken, runId, now, state: 'enqueued', attempt: 0, runAt: next, outputJson: result.outputJson, lastError: null, outcome: 'succeeded', error: null, stopReason: null };
    }
    return { id: spec.id, leaseToken: spec.leaseToken, runId, now, state: 'succeeded', attempt: spec.attempt, outputJson: result.outputJson, lastError: null, outcome: 'succeeded', error: null, stopReason: null };
  }

  const base = { id: spec.id, leaseToken: spec.leaseToken, runId, now };
  const attemptsLeft = spec.attempt < spec.maxAttempts;

  if (result.kind === 'stopped') {
    if (result.reason === 'cancelled') {
      return { ...base, state: 'cancelled', attempt: spec.attempt, outcome: 'cancelled', error: null, stopReason: 'cancelled' };
    }
    if (result.reason === 'timeout') {
      const message = `Timed out after ${spec.timeoutMs ?? 0} ms`;
      return failure(base, spec, message, attemptsLeft ? now + backoffDelay(spec.backoff, spec.attempt) : null, 'timeout', cron);
    }
    // Shutdown or lost lease: the system interrupted the attempt, so it is not charged.
    return { ...base, state: 'enqueued', attempt: Math.max(0, spec.attempt - 1), runAt: now, outcome: 'stopped', error: null, stopReason: result.reason };
  }

  const message = errorMessage(result.error);
  if (result.error instanceof NonRetryableError) return failure(base, spec, message, null, null, cron);
  const retry = result.retry;
  if (retry && retry.retryInMs !== undefined) {
    // The classifier's rule decides, within the work's own attempt limit.
    const retryAt = retry.retryInMs !== null && attemptsLeft ? now + retry.retryInMs : null;
    return { ...failure(base, spec, message, retryAt, null, cron), rule: retry.rule };
  }
  if (retry) return { ...failure(base, spec, message, attemptsLeft ? now + backoffDelay(spec.backoff, spec.attempt) : null, null, cron), rule: retry.rule };
  if (result.error instanceof RetryLaterError) {
    let delay: number;
    try {
      delay = parseDuration(result.error.delay, 'RetryLaterError delay');
    } catch {
      delay = backoffDelay(spec.backoff, spec.attempt);
    }
    return failure(base, spec, message, attemptsLeft ? now + delay : null, null, cron);
  }
  return failure(base, spec, message, attemptsLeft ? now + backoffDelay(spec.backoff, spec.attempt) : null, null, cron);
}

function failure(
  base: Pick<Settlement, 'id' | 'leaseToken' | 'runId' | 'now'>,
  spec: EffectiveSpec,
  message: string,
  retryAt: number | null,
  stopReason: StopReason | null,
  cron: CronParser | undefined,
): Settlement {
  if (retryAt === null) {
    const next = spec.schedule && !spec.schedule.endOnFailure ? nextRunAt(spec.schedule, base.now, cron) : null;
    // This period failed for good; unless the user asked otherwise, the series moves on.
    if (next !== null) return { ...base, state: 'enqueued', attempt: 0, runAt: next, lastError: message, outcome: 'failed', error: message, stopReason };
    return { ...base, state: 'failed', attempt: spec.attempt, lastError: message, outcome: 'failed', error: message, stopReason };
  }
  return { ...base, state: 'enqueued', attempt: spec.attempt, runAt: retryAt, lastError: message, outcome: 'retrying', error: message, stopReason };
}

/**
 * A one-line message for anything a handler might throw, Error or not. It never throws itself
 * (a throwing `message` getter, a cyclic null-prototype object): a message that fails to build
 * would leave the attempt unsettled and the item running until its lease expired, again and again.
 */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return error.message ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : error.name;
    if (typeof error === 'string') return error;
  } catch {
    return 'Non-Error thrown: an error whose message cannot be read';
  }
  return `Non-Error thrown: ${describeValue(error)}`;
}
