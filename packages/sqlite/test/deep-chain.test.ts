/**
 * Chains of 1,000 steps on a file database beside 20,000 unrelated items: walking the chain one
 * success at a time releases exactly the next step each time, and one failure (or one cancel) at
 * the root finishes all 999 dependents inside that single settle (or cancel). The chain rule reads
 * dependents through work_deps, so a cascade costs one small round per step; a rule that scanned
 * the table each round would read 1,000 × 20,000 rows. The timings are printed, not asserted (a
 * loaded machine must not fail the suite); query-plans.test.ts asserts the no-scan plans.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimedWork, WorkSpec } from '@offstage/core';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import type { SqliteStore } from '@offstage/sqlite';
import { makeWork } from './make-work.js';
import { useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();
const DEPTH = 1_000;

/** A chain `<name>-0` → `<name>-1` → …, each step its own task so a claim can take one step alone. */
function chain(name: string): WorkSpec[] {
  return Array.from({ length: DEPTH }, (_, i) =>
    makeWork({
      id: `${name}-${i}`,
      taskName: name,
      state: i === 0 ? 'enqueued' : 'blocked',
      prerequisites: i === 0 ? [] : [`${name}-${i - 1}`],
    }),
  );
}

async function claimOnly(store: SqliteStore, taskName: string, now: number): Promise<ClaimedWork> {
  const claimed = await store.claim({ now, workerId: 'w', leaseMs: 60_000, limit: 10, taskNames: [taskName] });
  if (claimed.length !== 1 || !claimed[0]) throw new Error(`expected one ${taskName} step due at ${now}, got [${claimed.map((c) => c.spec.id).join(', ')}]`);
  return claimed[0];
}

function settlement(c: ClaimedWork, now: number, state: 'succeeded' | 'failed') {
  return {
    id: c.spec.id, leaseToken: c.spec.leaseToken, runId: c.run.id, now, state, attempt: c.spec.attempt,
    outputJson: state === 'succeeded' ? '{}' : undefined, outcome: state, error: state === 'failed' ? 'boom' : null, stopReason: null,
  } as const;
}

describe(`a chain of ${DEPTH} steps on a file`, () => {
  let store: SqliteStore;

  beforeAll(async () => {
    store = openSqliteStore(join(tempDir(), 'chain.db'));
    const padding = Array.from({ length: 20_000 }, (_, i) => makeWork({ id: `pad-${i}`, taskName: 'pad', runAt: 5_000_000 + i }));
    for (let i = 0; i < padding.length; i += 5_000) await store.enqueue(padding.slice(i, i + 5_000));
  });
  afterAll(async () => {
    await store.close();
  });

  it('releases exactly the next step after each success, one at a time', async () => {
    const t0 = performance.now();
    await store.enqueue(chain('walk'));
    const enqueueMs = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < DEPTH; i++) {
      const now = 10 + i;
      const claimed = await claimOnly(store, 'walk', now);
      expect(claimed.spec.id).toBe(`walk-${i}`);
      expect(await store.settle(settlement(claimed, now, 'succeeded'))).toBe(true);
    }
    const walkMs = performance.now() - t1;
    expect(await store.claim({ now: 1e9, workerId: 'w', leaseMs: 1, limit: 10, taskNames: ['walk'] })).toEqual([]);
    const done = await store.query({ taskNames: ['walk'], limit: Infinity });
    expect(done).toHaveLength(DEPTH);
    expect(done.every((s) => s.state === 'succeeded')).toBe(true);
    // Each step was released by its prerequisite's settle at that settle's time.
    expect(await store.get('walk-500')).toMatchObject({ runAt: 10 + 499, finishedAt: 10 + 500 });
    console.log(`chain of ${DEPTH}: enqueue ${enqueueMs.toFixed(1)} ms, claim + settle each step ${walkMs.toFixed(0)} ms`);
  }, 60_000);

  it('fails all 999 dependents in the settle that fails the root, each naming its own prerequisite', async () => {
    await store.enqueue(chain('fail'));
    const root = await claimOnly(store, 'fail', 1);
    const t0 = performance.now();
    expect(await store.settle(settlement(root, 2, 'failed'))).toBe(true);
    const cascadeMs = performance.now() - t0;
    const failed = await store.query({ taskNames: ['fail'], states: ['failed'], limit: Infinity });
    expect(failed).toHaveLength(DEPTH);
    for (const i of [1, 2, 500, DEPTH - 1]) {
      expect(await store.get(`fail-${i}`)).toMatchObject({ state: 'failed', lastError: `Prerequisite fail-${i - 1} failed.`, finishedAt: 2, updatedAt: 2 });
    }
    console.log(`chain of ${DEPTH}: failure cascade in one settle ${cascadeMs.toFixed(1)} ms`);
  }, 60_000);

  it('cancels all 999 dependents in the cancel of the root, returning only the root', async () => {
    await store.enqueue(chain('cancel'));
    const t0 = performance.now();
    expect(await store.cancel({ ids: ['cancel-0'], now: 3 })).toEqual(['cancel-0']);
    const cascadeMs = performance.now() - t0;
    const cancelled = await store.query({ taskNames: ['cancel'], states: ['cancelled'], limit: Infinity });
    expect(cancelled).toHaveLength(DEPTH);
    expect(cancelled.every((s) => s.finishedAt === 3 && s.lastError === null)).toBe(true);
    // The unrelated items were never touched.
    expect((await store.counts(0)).filter((r) => r.taskName === 'pad')).toEqual([{ taskName: 'pad', state: 'enqueued', count: 20_000, due: 0 }]);
    console.log(`chain of ${DEPTH}: cancel cascade ${cascadeMs.toFixed(1)} ms`);
  }, 60_000);
});
