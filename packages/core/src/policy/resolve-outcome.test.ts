import { describe, expect, it } from 'vitest';
import { resolveOutcome } from './resolve-outcome.js';
import { NonRetryableError, RetryLaterError } from '../errors.js';
import type { EffectiveSpec } from './plan-work.js';

const spec = (over: Partial<EffectiveSpec> = {}): EffectiveSpec => ({
  id: 'w', taskName: 't', state: 'running', inputJson: 'null', outputJson: null, progressJson: null, tags: [], priority: 10,
  runAt: 0, attempt: 1, maxAttempts: 3, backoff: { policy: 'exponential', initialDelayMs: 1000, maxDelayMs: 60_000 },
  timeoutMs: 5000, lastError: null, createdAt: 0, updatedAt: 0, finishedAt: null, leaseOwner: 'a', leaseExpiresAt: 10, leaseToken: 7,
  uniqueName: null, schedule: null, prerequisites: [], inputMerger: 'overwrite', constraints: null, constraintMask: 0, minBattery: null, maxMemory: null,
  ...over,
});

describe('resolveOutcome', () => {
  const now = 100_000;

  it('succeeds with output and clears the error', () => {
    const s = resolveOutcome({ spec: spec(), runId: 3 }, { kind: 'success', outputJson: '{"ok":1}' }, now);
    expect(s).toMatchObject({ id: 'w', leaseToken: 7, runId: 3, state: 'succeeded', outputJson: '{"ok":1}', lastError: null, outcome: 'succeeded', attempt: 1 });
  });

  it('retries a thrown error per backoff while attempts remain', () => {
    const s = resolveOutcome({ spec: spec({ attempt: 2 }), runId: 1 }, { kind: 'error', error: new Error('503') }, now);
    expect(s).toMatchObject({ state: 'enqueued', runAt: now + 2000, outcome: 'retrying', error: '503', lastError: '503', attempt: 2 });
  });

  it('fails once attempts are used up', () => {
    const s = resolveOutcome({ spec: spec({ attempt: 3 }), runId: 1 }, { kind: 'error', error: new Error('503') }, now);
    expect(s).toMatchObject({ state: 'failed', outcome: 'failed', error: '503' });
  });

  it('fails at once on a non-retryable error', () => {
    const s = resolveOutcome({ spec: spec(), runId: 1 }, { kind: 'error', error: new NonRetryableError('gone') }, now);
    expect(s).toMatchObject({ state: 'failed', outcome: 'failed', error: 'NonRetryableError: gone' });
  });

  it('honours a retry-later delay instead of the backoff', () => {
    const s = resolveOutcome({ spec: spec(), runId: 1 }, { kind: 'error', error: new RetryLaterError('busy', '2m') }, now);
    expect(s).toMatchObject({ state: 'enqueued', runAt: now + 120_000, outcome: 'retrying' });
  });

  it('charges a timeout as a failed attempt', () => {
    const s = resolveOutcome({ spec: spec(), runId: 1 }, { kind: 'stopped', reason: 'timeout' }, now);
    expect(s).toMatchObject({ state: 'enqueued', runAt: now + 1000, outcome: 'retrying', stopReason: 'timeout', attempt: 1 });
  });

  it.each(['shutdown', 'lease-lost'] as const)('returns work stopped by %s to the queue without charging the attempt', (reason) => {
    const s = resolveOutcome({ spec: spec({ attempt: 2 }), runId: 1 }, { kind: 'stopped', reason }, now);
    expect(s).toMatchObject({ state: 'enqueued', runAt: now, attempt: 1, outcome: 'stopped', stopReason: reason });
  });

  it('describes non-Error throws', () => {
    expect(resolveOutcome({ spec: spec(), runId: 1 }, { kind: 'error', error: { code: 42 } }, now).error).toBe('Non-Error thrown: {"code":42}');
    expect(resolveOutcome({ spec: spec(), runId: 1 }, { kind: 'error', error: 'plain' }, now).error).toBe('plain');
    expect(resolveOutcome({ spec: spec(), runId: 1 }, { kind: 'error', error: undefined }, now).error).toBe('Non-Error thrown: undefined');
  });

  describe('periodic work', () => {
    const hourly = { kind: 'interval' as const, intervalMs: 3_600_000, flexMs: 0, endOnFailure: false };

    it('re-enqueues a success for the next period, from the completion time, attempts reset', () => {
      const s = resolveOutcome({ spec: spec({ schedule: hourly, attempt: 2 }), runId: 1 }, { kind: 'success', outputJson: '1' }, now);
      expect(s).toMatchObject({ state: 'enqueued', runAt: now + 3_600_000, attempt: 0, outcome: 'succeeded', outputJson: '1' });
    });

    it('runs in the flex window at the end of the next period', () => {
      const s = resolveOutcome({ spec: spec({ schedule: { ...hourly, flexMs: 600_000 } }), runId: 1 }, { kind: 'success', outputJson: '1' }, now);
      expect(s.runAt).toBe(now + 3_000_000);
    });

    it('retries a failure inside the period per backoff', () => {
      const s = resolveOutcome({ spec: spec({ schedule: hourly, attempt: 1 }), runId: 1 }, { kind: 'error', error: new Error('x') }, now);
      expect(s).toMatchObject({ state: 'enqueued', runAt: now + 1000, outcome: 'retrying', attempt: 1 });
    });

    it('moves on to the next period after a final failure', () => {
      const s = resolveOutcome({ spec: spec({ schedule: hourly, attempt: 3 }), runId: 1 }, { kind: 'error', error: new Error('x') }, now);
      expect(s).toMatchObject({ state: 'enqueued', runAt: now + 3_600_000, outcome: 'failed', attempt: 0, lastError: 'x' });
    });

    it('ends the series on a final failure when asked', () => {
      const s = resolveOutcome({ spec: spec({ schedule: { ...hourly, endOnFailure: true }, attempt: 3 }), runId: 1 }, { kind: 'error', error: new Error('x') }, now);
      expect(s).toMatchObject({ state: 'failed', outcome: 'failed' });
    });

    it('uses the cron parser for cron schedules, and ends a series with no next occurrence', () => {
      const cronSpec = spec({ schedule: { kind: 'cron', expression: 'x', timezone: null, endOnFailure: false } });
      const cron = { next: (_e: string, _z: string | null, after: number) => (after < 200_000 ? after + 500 : null) };
      expect(resolveOutcome({ spec: cronSpec, runId: 1 }, { kind: 'success', outputJson: '1' }, now, cron)).toMatchObject({ state: 'enqueued', runAt: now + 500 });
      expect(resolveOutcome({ spec: cronSpec, runId: 1 }, { kind: 'success', outputJson: '1' }, 300_000, cron)).toMatchObject({ state: 'succeeded' });
    });
  });
});
