import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from './backoff.js';
import { InvalidDurationError, InvalidOptionError } from '../errors.js';

describe('backoffDelay', () => {
  it('doubles exponentially from the initial delay and caps', () => {
    const p = { policy: 'exponential' as const, initialDelayMs: 1000, maxDelayMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(p, n))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('grows linearly and caps', () => {
    const p = { policy: 'linear' as const, initialDelayMs: 1000, maxDelayMs: 3500 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(p, n))).toEqual([1000, 2000, 3000, 3500]);
  });

  it('allows zero delay', () => {
    expect(backoffDelay({ policy: 'exponential', initialDelayMs: 0, maxDelayMs: 0 }, 7)).toBe(0);
  });

  it('does not overflow on huge attempt counts', () => {
    expect(backoffDelay(DEFAULT_BACKOFF, 10_000)).toBe(DEFAULT_BACKOFF.maxDelayMs);
  });
});

describe('resolveBackoff', () => {
  it("uses WorkManager's defaults: exponential, 30 s, capped at 5 h", () => {
    expect(resolveBackoff(undefined)).toEqual({ policy: 'exponential', initialDelayMs: 30_000, maxDelayMs: 18_000_000 });
  });

  it('fills gaps from the base', () => {
    expect(resolveBackoff({ initialDelay: '1s' })).toEqual({ policy: 'exponential', initialDelayMs: 1000, maxDelayMs: 18_000_000 });
    expect(resolveBackoff({ policy: 'linear', initialDelay: 0, maxDelay: 0 })).toEqual({ policy: 'linear', initialDelayMs: 0, maxDelayMs: 0 });
  });

  it('rejects unknown policies, bad durations and a cap below the initial delay', () => {
    expect(() => resolveBackoff({ policy: 'fibonacci' as never })).toThrow(InvalidOptionError);
    expect(() => resolveBackoff({ initialDelay: '-1s' })).toThrow(InvalidDurationError);
    expect(() => resolveBackoff({ initialDelay: '1m', maxDelay: '1s' })).toThrow(/below its initialDelay/);
  });
});
