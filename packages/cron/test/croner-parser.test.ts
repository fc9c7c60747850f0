import { describe, expect, it } from 'vitest';
import { cronerParser } from '@offstage/cron';

describe('cronerParser', () => {
  it('finds the next occurrence strictly after a time, in a zone', () => {
    const t0 = Date.UTC(2030, 0, 1);
    expect(cronerParser.next('0 * * * *', null, t0)).toBe(t0 + 3_600_000);
    expect(cronerParser.next('0 * * * *', null, t0 - 1)).toBe(t0);
    expect(new Date(cronerParser.next('0 3 * * *', 'America/New_York', t0)!).toISOString()).toBe('2030-01-01T08:00:00.000Z');
  });

  it('throws on expressions that do not parse', () => {
    expect(() => cronerParser.next('every day', null, 0)).toThrow();
  });

  it('refuses argument types croner would loop on', () => {
    expect(() => cronerParser.next('0 * * * *', ['UTC'] as never, 0)).toThrow(TypeError);
    expect(() => cronerParser.next(5 as never, null, 0)).toThrow(TypeError);
    expect(() => cronerParser.next('0 * * * *', null, Infinity)).toThrow(RangeError);
  });
});
