/**
 * The worker's log lines: one per event, naming the attempt, and the retry rule when one decided.
 */
import { describe, expect, it } from 'vitest';
import { formatWorkEvent } from '../src/format/log-work-events.js';

const at = new Date(2026, 10, 21, 12, 0, 0, 0);

describe('formatWorkEvent', () => {
  it('names the rule that decided a retry, and the wait until the next attempt', () => {
    const line = formatWorkEvent('work:retrying', { id: 'u-1', taskName: 'upload', attempt: 1, error: 'HTTP 502', runAt: at.getTime() + 60_000, rule: 'server-error' }, at);
    expect(line).toBe('12:00:00.000  retrying   upload          u-1  attempt 1 failed: HTTP 502; next attempt in 1m (rule server-error)');
  });

  it('says nothing of a rule when the work’s own backoff decided', () => {
    const line = formatWorkEvent('work:failed', { id: 'u-2', taskName: 'upload', attempt: 3, error: 'boom', rule: null }, at);
    expect(line).toBe('12:00:00.000  failed     upload          u-2  attempt 3 failed for good: boom');
  });
});
