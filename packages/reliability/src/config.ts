/**
 * How big a reliability run is. `npm test` runs the default, short sizes (CI-friendly, about two
 * minutes for this package on two cores); `npm run test:reliability` sets
 * `OFFSTAGE_RELIABILITY=full` for the sizes whose figures go into RELIABILITY.md. Every scenario
 * reads its sizes through {@link bySize}, so the two runs differ only in numbers, never in checks.
 */

/** `default` (the short run in `npm test`) or `full` (`npm run test:reliability`). */
export type ReliabilitySize = 'default' | 'full';

/**
 * The size of this run, from `OFFSTAGE_RELIABILITY` (`full` or anything else for the default).
 *
 * @example
 * if (reliabilitySize() === 'full') console.log('long run')
 */
export function reliabilitySize(): ReliabilitySize {
  return process.env.OFFSTAGE_RELIABILITY === 'full' ? 'full' : 'default';
}

/**
 * Picks the value for this run's size.
 *
 * @example
 * const rounds = bySize({ default: 8, full: 50 })
 */
export function bySize<T>(values: Record<ReliabilitySize, T>): T {
  return values[reliabilitySize()];
}
