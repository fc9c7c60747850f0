/**
 * Relative times for people ("in 5s", "3m ago"), on the units core's durations use. It must never
 * be used for `--json` output, which carries absolute ISO times.
 */
import { formatDuration } from '@offstage/core';

/**
 * Describes `at` relative to `now`: `'in 30s'`, `'2m ago'`, `'now'` (within a second), or `'-'`.
 *
 * @example
 * formatRelativeTime(Date.now() + 90_000) // 'in 1m30s'
 * formatRelativeTime(new Date(Date.now() - 5000)) // '5s ago'
 */
export function formatRelativeTime(at: Date | number | null | undefined, now: number = Date.now()): string {
  if (at === null || at === undefined) return '-';
  const ms = (at instanceof Date ? at.getTime() : at) - now;
  if (Math.abs(ms) < 1000) return 'now';
  const text = formatDuration(Math.abs(ms) < 60_000 ? Math.round(Math.abs(ms) / 1000) * 1000 : Math.abs(ms));
  return ms > 0 ? `in ${text}` : `${text} ago`;
}
