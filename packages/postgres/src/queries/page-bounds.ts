/**
 * pageBounds: a query's limit and offset as SQL values. Never lets a fraction, NaN or a negative
 * number reach SQL; Infinity is "no limit".
 */

/**
 * The default page size of `query` and `runs`.
 *
 * @example
 * pageBounds(undefined, 0)[0] === DEFAULT_PAGE_SIZE // true
 */
export const DEFAULT_PAGE_SIZE = 100;

/**
 * `[limit, offset]` for SQL: limit null means unlimited (for `Infinity`); bad values become 0.
 *
 * @example
 * pageBounds(undefined, undefined) // [100, 0]
 */
export function pageBounds(limit: number | undefined, offset: number | undefined): [number | null, number] {
  const l = limit ?? DEFAULT_PAGE_SIZE;
  const o = offset ?? 0;
  // Past the safe integers a count is as good as infinite (and `1e+300` is no bigint).
  return [l >= Number.MAX_SAFE_INTEGER ? null : toCount(l), o >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : toCount(o)];
}

function toCount(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 0;
  return Math.floor(value);
}
