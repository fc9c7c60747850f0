/**
 * Backoff: how long to wait after a failed attempt. Pure; WorkManager's rule, without its 10 s floor.
 */
import type { BackoffOptions, BackoffPolicy } from '../model/work.js';
import { parseDuration } from '../model/duration.js';
import { InvalidOptionError } from '../errors.js';
import { describeValue, quoteText } from '../model/describe-value.js';

/** WorkManager's defaults: exponential, 30 s, capped at 5 h. */
export const DEFAULT_BACKOFF: BackoffPolicy = { policy: 'exponential', initialDelayMs: 30_000, maxDelayMs: 5 * 3_600_000 };

/**
 * The delay before the next attempt after `attempt` (1-based) failed.
 * Exponential: `initial * 2^(attempt-1)`; linear: `initial * attempt`; both capped at `maxDelayMs`.
 *
 * @example
 * backoffDelay({ policy: 'exponential', initialDelayMs: 1000, maxDelayMs: 60_000 }, 3) // 4000
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const n = Math.max(1, attempt);
  const raw = policy.policy === 'linear' ? policy.initialDelayMs * n : policy.initialDelayMs * 2 ** Math.min(n - 1, 60);
  return Math.min(raw, policy.maxDelayMs);
}

/**
 * Turns backoff options into a stored policy, filling gaps from `base`, or throws a typed error.
 *
 * @example
 * resolveBackoff({ initialDelay: '1s' }) // { policy: 'exponential', initialDelayMs: 1000, maxDelayMs: 18_000_000 }
 */
export function resolveBackoff(options: BackoffOptions | undefined, base: BackoffPolicy = DEFAULT_BACKOFF): BackoffPolicy {
  if (options === undefined) return { ...base };
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(`The backoff option ${describeValue(options)} is not an object; pass { policy, initialDelay, maxDelay }.`);
  }
  const policy = options.policy ?? base.policy;
  if (policy !== 'exponential' && policy !== 'linear') {
    throw new InvalidOptionError(`The backoff policy ${quoteText(policy)} is unknown; use 'exponential' or 'linear'.`);
  }
  const initialDelayMs = options.initialDelay === undefined ? base.initialDelayMs : parseDuration(options.initialDelay, 'backoff initialDelay');
  const maxDelayMs = options.maxDelay === undefined ? Math.max(base.maxDelayMs, initialDelayMs) : parseDuration(options.maxDelay, 'backoff maxDelay');
  if (maxDelayMs < initialDelayMs) {
    throw new InvalidOptionError(`The backoff maxDelay (${maxDelayMs} ms) is below its initialDelay (${initialDelayMs} ms); raise maxDelay or lower initialDelay.`);
  }
  return { policy, initialDelayMs, maxDelayMs };
}
