import { describe, expect, it } from 'vitest';
import { firstRunAt, nextRunAt, resolveSchedule, type CronParser } from './schedule.js';
import { InvalidDurationError, InvalidScheduleError } from '../errors.js';

/** A stand-in parser: fires every 10 ms of the epoch, rejects the word 'bad'. */
const cron: CronParser = {
  next: (expression, _zone, after) => {
    if (expression === 'bad') throw new Error('invalid configuration');
    if (expression === 'never') return null;
    return (Math.floor(after / 10) + 1) * 10;
  },
};

describe('resolveSchedule', () => {
  it('builds interval and cron schedules', () => {
    expect(resolveSchedule({ every: '1h', flex: '10m' }, undefined, 0)).toEqual({ kind: 'interval', intervalMs: 3_600_000, flexMs: 600_000, endOnFailure: false });
    expect(resolveSchedule({ cron: '*/5 * * * *', timezone: 'Europe/Paris', endOnFailure: true }, cron, 0)).toEqual({
      kind: 'cron',
      expression: '*/5 * * * *',
      timezone: 'Europe/Paris',
      endOnFailure: true,
    });
  });

  it.each([
    ['an interval of zero', { every: 0 }, /above zero/],
    ['a negative interval', { every: -5 }, InvalidDurationError],
    ['a flex wider than the interval', { every: '1h', flex: '2h' }, /wider than the interval/],
    ['neither every nor cron', {}, /needs every/],
    ['both every and cron', { every: '1h', cron: '* * * * *' }, /either cron or every/],
    ['a cron that does not parse', { cron: 'bad' }, /does not parse/],
    ['a cron that never fires', { cron: 'never' }, /never fires/],
    ['an unknown time zone', { cron: '* * * * *', timezone: 'Mars/Olympus' }, /time zone 'Mars\/Olympus' is unknown/],
    ['a time zone without cron', { every: '1h', timezone: 'UTC' }, /only applies to cron/],
  ])('rejects %s', (_label, request, error) => {
    expect(() => resolveSchedule(request as never, cron, 0)).toThrow(error as never);
  });

  it('needs a cron parser for cron schedules', () => {
    expect(() => resolveSchedule({ cron: '* * * * *' }, undefined, 0)).toThrow(InvalidScheduleError);
  });
});

describe('next runs', () => {
  const hourly = { kind: 'interval' as const, intervalMs: 3_600_000, flexMs: 0, endOnFailure: false };

  it('first run: at the start, or at the start of the first flex window', () => {
    expect(firstRunAt(hourly, 1000, undefined)).toBe(1000);
    expect(firstRunAt({ ...hourly, flexMs: 600_000 }, 1000, undefined)).toBe(1000 + 3_000_000);
    expect(firstRunAt({ kind: 'cron', expression: 'x', timezone: null, endOnFailure: false }, 20, cron)).toBe(20);
  });

  it('next run: from the completion time', () => {
    expect(nextRunAt(hourly, 5000, undefined)).toBe(5000 + 3_600_000);
    expect(nextRunAt({ kind: 'cron', expression: 'x', timezone: null, endOnFailure: false }, 21, cron)).toBe(30);
    expect(nextRunAt({ kind: 'cron', expression: 'never', timezone: null, endOnFailure: false }, 21, cron)).toBeNull();
  });
});
