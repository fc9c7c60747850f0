/**
 * Durations: a bare number is always milliseconds; a string carries its unit ('30s', '15m', '1h30m').
 * Parsing is strict so that unit confusion fails loudly instead of scheduling work a thousand times late.
 */
import { InvalidDurationError } from '../errors.js';
import { describeValue, quoteText } from './describe-value.js';

/** A duration: milliseconds as a number, or a string with units such as `'250ms'`, `'30s'`, `'15m'`, `'2h'`, `'1d'`, `'1h30m'`. */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/**
 * Converts a {@link Duration} to whole milliseconds, or throws {@link InvalidDurationError}.
 *
 * @param what names the option in the error message (for example `'delay'`).
 * @example
 * parseDuration('1h30m') // 5_400_000
 * parseDuration(250)     // 250
 */
export function parseDuration(value: Duration, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new InvalidDurationError(`The ${what} ${String(value)} is not a valid duration; use a non-negative number of milliseconds or a string like '30s'.`);
    }
    return checkRange(Math.round(value), value, what);
  }
  if (typeof value !== 'string') {
    throw new InvalidDurationError(`The ${what} ${describeValue(value)} is not a valid duration; use milliseconds or a string like '30s'.`);
  }
  const text = value.trim();
  let total = 0;
  let matched = 0;
  PART.lastIndex = 0;
  for (let m = PART.exec(text); m !== null; m = PART.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
    matched = PART.lastIndex;
  }
  if (text.length === 0 || matched !== text.length) {
    throw new InvalidDurationError(`The ${what} ${quoteText(value)} is not a valid duration; write a number with a unit (ms, s, m, h, d, w), such as '30s' or '1h30m'.`);
  }
  return checkRange(Math.round(total), value, what);
}

/**
 * A duration must be a whole number of milliseconds that arithmetic keeps exact: past
 * `Number.MAX_SAFE_INTEGER` (about 285,000 years) `now + duration` is no longer a time at all.
 */
function checkRange(ms: number, value: Duration, what: string): number {
  if (!Number.isSafeInteger(ms)) {
    throw new InvalidDurationError(`The ${what} ${quoteText(String(value))} is too long to be a duration; use at most ${Number.MAX_SAFE_INTEGER} ms.`);
  }
  return ms;
}

/** Formats milliseconds for people: `1500` → `'1.5s'`, `5_400_000` → `'1h30m'`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  if (rest < 1000) return `${sign}${rest}ms`;
  if (rest < 60_000) return `${sign}${Number((rest / 1000).toFixed(1))}s`;
  const out: string[] = [];
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out.push(`${n}${unit}`);
    rest -= n * size;
  }
  return sign + out.slice(0, 2).join('');
}
