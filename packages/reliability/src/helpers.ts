/**
 * Small helpers the scenarios share: waiting on a condition with a deadline, a seeded random
 * source (so a failing run can be replayed with `OFFSTAGE_RELIABILITY_SEED`), and temporary
 * directories removed after the test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Resolves after `ms` of wall time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every `intervalMs` until it returns something other than undefined/false, and
 * returns that; throws naming `what` after `timeoutMs`.
 *
 * @example
 * await waitUntil('all succeeded', async () => (await store.counts(Date.now())).length === 1)
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await sleep(intervalMs);
  }
}

/** A seeded pseudo-random source (mulberry32): same seed, same run. */
export interface Random {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T;
}

/**
 * A random source seeded from `OFFSTAGE_RELIABILITY_SEED`, or from the time (printed in the
 * figures, so any run can be replayed).
 *
 * @example
 * const random = createRandom(); random.int(0, 1500)
 */
export function createRandom(seed: number = Number(process.env.OFFSTAGE_RELIABILITY_SEED ?? Date.now() % 2 ** 31)): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/**
 * Returns a function that makes a fresh temporary directory per call, and a cleanup that removes
 * them all (call it in `afterAll`). It never removes a path it did not create.
 *
 * @example
 * const temp = tempDirs(); afterAll(temp.cleanup); const dir = temp.make()
 */
export function tempDirs(prefix = 'offstage-reliability-'): { make: () => string; cleanup: () => void } {
  const made: string[] = [];
  return {
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    cleanup: () => {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
