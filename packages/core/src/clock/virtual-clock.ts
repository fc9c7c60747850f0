/**
 * A clock that only moves when told to, for tests: timers fire in due order as time is advanced.
 * It never fires a timer on its own and never reads the wall clock after construction.
 */
import type { Clock, TimerHandle } from './clock.js';

interface VirtualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manually advanced {@link Clock}.
 *
 * @example
 * const clock = new VirtualClock(0)
 * clock.setTimeout(() => console.log('fired'), 1000)
 * clock.advance(1000) // logs 'fired'
 */
export class VirtualClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: VirtualTimer[] = [];

  /** @param start the initial time in epoch ms (default: 2030-01-01T00:00:00Z, a fixed point for reproducible tests). */
  constructor(start = Date.UTC(2030, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** When the earliest pending timer fires, or null when none is pending. */
  nextTimerAt(): number | null {
    let next: number | null = null;
    for (const t of this.timers) if (next === null || t.at < next) next = t.at;
    return next;
  }

  /** How many timers are pending. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Fires, in order, every timer due at or before the current time. Returns how many fired. */
  fireDue(): number {
    let fired = 0;
    for (;;) {
      const due = this.earliestDue(this.time);
      if (!due) return fired;
      this.timers = this.timers.filter((t) => t !== due);
      fired++;
      due.fn();
    }
  }

  /** Moves time to `at` (never backwards unless `allowBackwards`), firing due timers on the way. */
  advanceTo(at: number, allowBackwards = false): void {
    if (at < this.time && !allowBackwards) throw new RangeError(`Cannot move a virtual clock backwards from ${this.time} to ${at}.`);
    for (;;) {
      const due = this.earliestDue(at);
      if (!due) break;
      this.time = Math.max(this.time, due.at);
      this.timers = this.timers.filter((t) => t !== due);
      due.fn();
    }
    this.time = at;
  }

  /** Moves time forward by `ms`, firing due timers on the way. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  /**
   * Sets the time without firing anything: a wall-clock jump. Pending timers keep their remaining
   * delays, as real timers do (they run on a monotonic clock), so code can notice the jump.
   */
  set(at: number): void {
    const delta = at - this.time;
    for (const t of this.timers) t.at += delta;
    this.time = at;
  }

  private earliestDue(limit: number): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.timers) if (t.at <= limit && (!best || t.at < best.at || (t.at === best.at && t.id < best.id))) best = t;
    return best;
  }
}
