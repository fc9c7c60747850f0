/**
 * Error-classified retries: a classifier maps an attempt's error to a retry rule (how long to
 * wait, how many attempts). Pure. The default follows the reference table for HTTP-like errors;
 * anything it does not recognise falls back to the work's own backoff.
 */
import { parseDuration, type Duration } from '../model/duration.js';

/**
 * What to do after a failed attempt: retry after `delay` while the attempt number is at most
 * `maxRetries`, or give up at once. `name` is recorded in the journal.
 */
export type RetryRule = { name: string; delay: Duration; maxRetries: number } | { name: string; giveUp: true };

/** Maps an error to a rule, or undefined to use the work's own backoff. May be given per task. */
export type ErrorClassifier = (error: unknown) => RetryRule | undefined;

/** The reference table, by name. */
export const DEFAULT_RETRY_RULES = {
  network: { name: 'network-unavailable', delay: '30s', maxRetries: 5 },
  auth: { name: 'auth-failed', delay: '60s', maxRetries: 2 },
  server: { name: 'server-error', delay: '60s', maxRetries: 3 },
  client: { name: 'client-error', giveUp: true },
  timeout: { name: 'timeout', delay: '120s', maxRetries: 2 },
} as const satisfies Record<string, RetryRule>;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'EAI_AGAIN', 'ENETDOWN', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The default classifier: network unavailable → 30 s, up to 5 times; authentication failed
 * (401, 403) → 60 s, 2 times; server error (5xx) → 60 s, 3 times; client error (other 4xx) → give
 * up at once; timeout → 120 s, 2 times; anything else → undefined (the work's own backoff).
 * It reads `status`, `statusCode` or `response.status`, and Node's error `code`s, on the error or
 * its `cause`.
 *
 * @example
 * defaultClassifier(Object.assign(new Error('Bad gateway'), { status: 502 })) // the server-error rule
 */
export const defaultClassifier: ErrorClassifier = (error) => {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const status = httpStatus(e);
    if (status !== undefined) {
      if (status === 401 || status === 403) return DEFAULT_RETRY_RULES.auth;
      if (status === 408) return DEFAULT_RETRY_RULES.timeout;
      if (status >= 500) return DEFAULT_RETRY_RULES.server;
      if (status >= 400) return DEFAULT_RETRY_RULES.client;
    }
    const code = (e as { code?: unknown }).code;
    const name = (e as { name?: unknown }).name;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return DEFAULT_RETRY_RULES.network;
    if ((typeof code === 'string' && TIMEOUT_CODES.has(code)) || name === 'TimeoutError') return DEFAULT_RETRY_RULES.timeout;
    if (name === 'TypeError' && (e as Error).message === 'fetch failed') return DEFAULT_RETRY_RULES.network;
  }
  return undefined;
};

function httpStatus(e: unknown): number | undefined {
  const o = e as { status?: unknown; statusCode?: unknown; response?: { status?: unknown } };
  for (const v of [o.status, o.statusCode, o.response?.status]) if (typeof v === 'number' && v >= 100 && v < 600) return v;
  return undefined;
}

/** A rule resolved for one attempt: retry at a delay, or fail now. */
export type RetryDecision = { rule: string; retryInMs: number | null };

/**
 * Applies a classifier to an attempt's error. Returns undefined when the classifier has no rule
 * (or throws: then `onClassifierError` hears about it and the work's own backoff applies).
 *
 * @example
 * decideRetry(defaultClassifier, err, 2) // { rule: 'server-error', retryInMs: 60_000 }
 */
export function decideRetry(classifier: ErrorClassifier, error: unknown, attempt: number, onClassifierError?: (e: unknown) => void): RetryDecision | undefined {
  let rule: RetryRule | undefined;
  try {
    rule = classifier(error);
  } catch (e) {
    onClassifierError?.(e);
    return undefined;
  }
  if (!rule) return undefined;
  if ('giveUp' in rule) return { rule: rule.name, retryInMs: null };
  let delay: number;
  try {
    delay = parseDuration(rule.delay, `retry rule '${rule.name}' delay`);
  } catch (e) {
    onClassifierError?.(e);
    return undefined;
  }
  return { rule: rule.name, retryInMs: attempt <= rule.maxRetries ? delay : null };
}
