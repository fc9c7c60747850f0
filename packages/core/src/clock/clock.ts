/**
 * Time, behind one small interface, so the engine can run on the wall clock or on a virtual one.
 * This module is the only place core reads `Date.now` or arms a real timer.
 */

/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** Where the engine gets the time and arms its timers. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Longest delay a JavaScript timer accepts (about 24.8 days); longer waits are re-armed. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * The wall clock.
 *
 * @example
 * createWorkEngine({ store, clock: systemClock })
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_DELAY_MS)),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};
