/**
 * Store cases for constraints and the journal's learning: claim and nextWakeAt filter on
 * DeviceConditions (mask and thresholds), settle records the retry rule, and typicalDurations is
 * the median of recent successes per task.
 */
import { expect, it } from 'vitest';
import { CONSTRAINT_BITS, type DeviceConditions } from '@offstage/core';
import { settlementFor, type StoreHarness } from '../store-harness.js';

const ALL: DeviceConditions = { unmet: 0, battery: 1, memory: 0 };

/**
 * Registers the constraint store cases.
 *
 * @example
 * describe('constraints', () => constraintStoreCases(createStoreHarness(target)));
 */
export function constraintStoreCases(h: StoreHarness): void {
  it('claims only items whose constraints the conditions meet', async () => {
    await h.enqueue(
      { id: 'net', constraintMask: CONSTRAINT_BITS['network:connected'] },
      { id: 'charge', constraintMask: CONSTRAINT_BITS.charging | CONSTRAINT_BITS.deviceIdle },
      { id: 'battery', minBattery: 0.5 },
      { id: 'memory', maxMemory: 0.8 },
      { id: 'free' },
    );
    const offlineLowBattery: DeviceConditions = { unmet: CONSTRAINT_BITS['network:connected'] | CONSTRAINT_BITS.deviceIdle, battery: 0.4, memory: 0.8 };
    expect((await h.claim({ conditions: offlineLowBattery })).map((c) => c.spec.id)).toEqual(['free']);
    expect((await h.claim({ conditions: { unmet: CONSTRAINT_BITS.charging, battery: 0.5, memory: 0.79 } })).map((c) => c.spec.id).sort()).toEqual(['battery', 'memory', 'net']);
    expect((await h.claim({ conditions: ALL })).map((c) => c.spec.id)).toEqual(['charge']);
  });

  it('claims everything when no conditions are given', async () => {
    await h.enqueue({ id: 'a', constraintMask: 63, minBattery: 1, maxMemory: 0.01 });
    expect((await h.claim()).map((c) => c.spec.id)).toEqual(['a']);
  });

  it('nextWakeAt skips enqueued items the conditions do not meet', async () => {
    await h.enqueue({ id: 'blocked-by-net', runAt: 100, constraintMask: CONSTRAINT_BITS['network:unmetered'] }, { id: 'later', runAt: 500 });
    const metered: DeviceConditions = { unmet: CONSTRAINT_BITS['network:unmetered'], battery: 1, memory: 0 };
    expect(await h.store.nextWakeAt({ taskNames: ['noop'], conditions: metered })).toBe(500);
    expect(await h.store.nextWakeAt({ taskNames: ['noop'], conditions: ALL })).toBe(100);
    expect(await h.store.nextWakeAt({ taskNames: ['noop'] })).toBe(100);
  });

  it('records the retry rule on the journal row', async () => {
    await h.enqueue({ id: 'r' });
    const claimed = await h.claimOne('r');
    expect(claimed.run.rule).toBeNull();
    expect(await h.store.settle(settlementFor(claimed, { now: 10, state: 'enqueued', runAt: 70, outcome: 'retrying', error: 'HTTP 503', rule: 'server-error' }))).toBe(true);
    const [run] = await h.store.runs({ workId: 'r' });
    expect(run).toMatchObject({ outcome: 'retrying', rule: 'server-error' });
  });

  it('typicalDurations is the median of the most recent successes per task', async () => {
    const durations = [100, 900, 300, 200, 50_000];
    for (const [i, ms] of durations.entries()) {
      await h.enqueue({ id: `ok-${i}`, taskName: 'sync', runAt: 0 });
      const claimed = await h.claimOne(`ok-${i}`, { now: i * 100_000, taskNames: ['sync'] });
      // The last one fails: failures never count.
      const state = i === durations.length - 1 ? 'failed' : 'succeeded';
      await h.store.settle(settlementFor(claimed, { now: i * 100_000 + ms, state, outcome: state }));
    }
    await h.enqueue({ id: 'other', taskName: 'resize' });
    const typical = await h.store.typicalDurations(['sync', 'resize', 'unknown'], 10);
    expect([...typical]).toEqual([['sync', 200]]);
    // Only the most recent successes: the last two are 300 and 200.
    expect((await h.store.typicalDurations(['sync'], 2)).get('sync')).toBe(200);
  });
}
