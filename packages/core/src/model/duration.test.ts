import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';
import { InvalidDurationError } from '../errors.js';

describe('parseDuration', () => {
  it('reads bare numbers as milliseconds', () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(250)).toBe(250);
  });

  it('reads every unit and compound strings', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(' 10s ')).toBe(10_000);
  });

  it.each([-1, Number.NaN, Infinity, '', 's', '10', '5 parsecs', '-5s', '10x', '1h 30m', '10s!'])('rejects %j with a typed error', (value) => {
    expect(() => parseDuration(value as never, 'delay')).toThrow(InvalidDurationError);
  });

  it('names the option and the value in the message', () => {
    expect(() => parseDuration('5 parsecs', 'delay')).toThrow(/The delay '5 parsecs' is not a valid duration/);
  });

  it('rejects non-string, non-number values', () => {
    expect(() => parseDuration({} as never)).toThrow(InvalidDurationError);
  });
});

describe('formatDuration', () => {
  it('formats for people', () => {
    expect(formatDuration(12)).toBe('12ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(90_061_000)).toBe('1d1h');
  });
});
