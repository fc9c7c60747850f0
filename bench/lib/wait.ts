/**
 * Waiting without hanging: a counter that resolves when it reaches a target (stamping the moment
 * with `performance.now()`), bounded by a timeout so a stuck queue fails the run instead of
 * stalling it forever.
 */
import { performance } from 'node:perf_hooks';
import { VerificationError } from './verify.js';

interface Waiter {
  target: number;
  resolve: (at: number) => void;
  reject: (error: Error) => void;
}

/**
 * A monotonically increasing count that others can wait on.
 *
 * @example
 * const done = new Counter()
 * engine.on('work:succeeded', () => done.increment())
 * const finishedAt = await done.until(n, 60_000, 'all jobs succeeded')
 */
export class Counter {
  value = 0;
  private waiters: Waiter[] = [];
  private failure: Error | null = null;

  /** Adds one; resolves every waiter whose target is now reached, with the time it was reached. */
  increment(): void {
    this.value++;
    if (this.waiters.length === 0) return;
    const at = performance.now();
    this.waiters = this.waiters.filter((w) => {
      if (this.value < w.target) return true;
      w.resolve(at);
      return false;
    });
  }

  /** Makes every current and future wait reject with `error` (e.g. a `worker:error` event). */
  fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiters) w.reject(this.failure);
    this.waiters = [];
  }

  /**
   * Resolves with `performance.now()` at the moment the count reached `target`; rejects after
   * `timeoutMs`, or when {@link fail} is called, naming what was awaited.
   */
  until(target: number, timeoutMs: number, what: string): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.value >= target) return Promise.resolve(performance.now());
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new VerificationError(`Timed out after ${timeoutMs} ms waiting for ${what} (${this.value}/${target})`));
      }, timeoutMs);
      const waiter: Waiter = {
        target,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/**
 * Yields to the event loop once (a `setImmediate` turn), so timers and I/O callbacks get to run.
 *
 * @example
 * await nextTurn()
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
