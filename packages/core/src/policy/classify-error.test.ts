import { describe, expect, it } from 'vitest';
import { decideRetry, defaultClassifier, DEFAULT_RETRY_RULES } from './classify-error.js';

const withStatus = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });
const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('defaultClassifier (the reference table)', () => {
  it.each([
    ['network unavailable (ECONNREFUSED)', withCode('ECONNREFUSED'), DEFAULT_RETRY_RULES.network],
    ['network unavailable (fetch failed)', new TypeError('fetch failed'), DEFAULT_RETRY_RULES.network],
    ['authentication failed (401)', withStatus(401), DEFAULT_RETRY_RULES.auth],
    ['forbidden (403)', withStatus(403), DEFAULT_RETRY_RULES.auth],
    ['server error (503)', withStatus(503), DEFAULT_RETRY_RULES.server],
    ['server error via response.status', Object.assign(new Error('x'), { response: { status: 500 } }), DEFAULT_RETRY_RULES.server],
    ['client error (404)', withStatus(404), DEFAULT_RETRY_RULES.client],
    ['timeout (ETIMEDOUT)', withCode('ETIMEDOUT'), DEFAULT_RETRY_RULES.timeout],
    ['timeout (TimeoutError)', Object.assign(new Error('t'), { name: 'TimeoutError' }), DEFAULT_RETRY_RULES.timeout],
    ['a cause chain', new Error('wrapped', { cause: withStatus(502) }), DEFAULT_RETRY_RULES.server],
  ])('%s', (_label, error, rule) => {
    expect(defaultClassifier(error)).toBe(rule);
  });

  it('leaves anything else to the work’s own backoff', () => {
    expect(defaultClassifier(new Error('disk full'))).toBeUndefined();
    expect(defaultClassifier('text')).toBeUndefined();
    expect(defaultClassifier(null)).toBeUndefined();
  });
});

describe('decideRetry', () => {
  it('retries while the attempt is within the rule’s retries, then gives up', () => {
    expect(decideRetry(defaultClassifier, withStatus(500), 3)).toEqual({ rule: 'server-error', retryInMs: 60_000 });
    expect(decideRetry(defaultClassifier, withStatus(500), 4)).toEqual({ rule: 'server-error', retryInMs: null });
    expect(decideRetry(defaultClassifier, withStatus(400), 1)).toEqual({ rule: 'client-error', retryInMs: null });
  });

  it('falls back, and reports, when the classifier throws or returns a bad delay', () => {
    const errors: unknown[] = [];
    expect(decideRetry(() => { throw new Error('bug'); }, new Error('x'), 1, (e) => errors.push(e))).toBeUndefined();
    expect(decideRetry(() => ({ name: 'bad', delay: 'soon', maxRetries: 1 }), new Error('x'), 1, (e) => errors.push(e))).toBeUndefined();
    expect(errors).toHaveLength(2);
  });
});
