/**
 * pageBounds: a query's limit and offset as SQLite integers. Never lets a fraction, NaN or a
 * negative number reach SQL (SQLite reads a negative LIMIT as "no limit").
 */

/** The default page size of `query` and `runs`. */
export const DEFAULT_PAGE_SIZE = 100;

/**
 * `[limit, offset]` for SQL: limit -1 means unlimited (for `Infinity`); bad values become 0.
 *
 * @example
 * pageBounds(undefined, undefined) // [100, 0]
 */
export function pageBounds(limit: number | undefined, offset: number | undefined): [number, number] {
  return [toCount(limit ?? DEFAULT_PAGE_SIZE, true), toCount(offset ?? 0, false)];
}

function toCount(value: number, infiniteIsUnlimited: boolean): number {
  // Past the safe integers a count is as good as infinite, and as a float it would not bind to LIMIT.
  if (value >= Number.MAX_SAFE_INTEGER) return infiniteIsUnlimited ? -1 : Number.MAX_SAFE_INTEGER;
  if (!Number.isFinite(value) || value <= 0) return 0;
  return Math.floor(value);
}
