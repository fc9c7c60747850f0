/**
 * Conformance cases for close: after it, every method rejects with StoreClosedError (never a
 * driver's own error, never a silent success), so the engine can tell shutdown from failure.
 */
import { expect, it } from 'vitest';
import { StoreClosedError, type WorkStore } from '@offstage/core';
import { makeSpec } from '../make-spec.js';
import type { StoreHarness } from '../store-harness.js';

/** One call of every WorkStore method except close. */
const CALLS: Record<string, (store: WorkStore) => Promise<unknown>> = {
  enqueue: (s) => s.enqueue([makeSpec({ id: 'b' })]),
  claim: (s) => s.claim({ now: 0, workerId: 'w', leaseMs: 1_000, limit: 1, taskNames: ['noop'] }),
  heartbeat: (s) => s.heartbeat({ id: 'a', leaseToken: 1, now: 0, leaseMs: 1_000 }),
  setProgress: (s) => s.setProgress('a', 1, '{}', 0),
  settle: (s) =>
    s.settle({ id: 'a', leaseToken: 1, runId: 1, now: 0, state: 'succeeded', attempt: 1, outcome: 'succeeded', error: null, stopReason: null }),
  cancel: (s) => s.cancel({ all: true, now: 0 }),
  reconcile: (s) => s.reconcile(0),
  retry: (s) => s.retry('a', 0),
  get: (s) => s.get('a'),
  query: (s) => s.query({}),
  runs: (s) => s.runs({}),
  lastRuns: (s) => s.lastRuns(['a']),
  counts: (s) => s.counts(0),
  nextWakeAt: (s) => s.nextWakeAt({ taskNames: ['noop'] }),
  prune: (s) => s.prune({ finishedBefore: 0 }),
};

/**
 * Registers the close cases.
 *
 * @example
 * describe('close', () => closeCases(createStoreHarness(target)));
 */
export function closeCases(h: StoreHarness): void {
  it('declares its capabilities as flags', () => {
    expect(typeof h.store.capabilities.multiProcess).toBe('boolean');
    expect(typeof h.store.capabilities.notifications).toBe('boolean');
  });

  it.each(Object.keys(CALLS))('%s rejects with StoreClosedError after close', async (name) => {
    await h.enqueue({ id: 'a' });
    await h.claim();
    const store = h.store;
    await h.close();
    const call = CALLS[name];
    if (!call) throw new Error(`no call for ${name}`);
    const error: unknown = await call(store).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreClosedError);
    expect((error as StoreClosedError).code).toBe('STORE_CLOSED');
  });
}
