/**
 * A model of the real wall clock for clock-jump scenarios. On Node, `Date.now()` jumps when the
 * system time is changed, but timers are monotonic: a pending `setTimeout` still fires after its
 * remaining delay. `VirtualClock.set()` models a different world, where timers are pinned to
 * wall-clock instants. This clock keeps timers on a monotonic virtual timeline and adds a
 * jumpable offset to `now()`, so a scenario can show what a deployed engine does when NTP or a
 * user moves the clock.
 */
import type { Clock, TimerHandle } from '@offstage/core';
import { VirtualClock } from '@offstage/core/testing';

/**
 * A clock whose `now()` can jump while its timers keep their remaining delays.
 *
 * @example
 * const clock = new WallClockModel(Date.UTC(2030, 0, 1))
 * clock.jump(-3_600_000) // the wall clock goes back an hour; pending timers are unaffected
 */
export class WallClockModel implements Clock {
  /** The monotonic timeline timers live on. */
  readonly monotonic: VirtualClock;
  private offset = 0;

  constructor(start: number) {
    this.monotonic = new VirtualClock(start);
  }

  now(): number {
    return this.monotonic.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.monotonic.setTimeout(fn, ms);
  }

  clearTimeout(handle: TimerHandle): void {
    this.monotonic.clearTimeout(handle);
  }

  /** Moves the wall clock by `deltaMs` (negative: backwards) without touching any timer. */
  jump(deltaMs: number): void {
    this.offset += deltaMs;
  }
}
