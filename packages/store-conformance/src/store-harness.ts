/**
 * The per-test fixture of the conformance suite: opens a fresh store before each case, closes it
 * after, and offers short helpers (enqueue by overrides, claim with defaults, settle a claim).
 * Helpers only shorten cases; they must never hide a store call whose result a case asserts on.
 */
import { afterEach, beforeEach } from 'vitest';
import type { ClaimedWork, ClaimOptions, Settlement, WorkSpec, WorkStore } from '@offstage/core';
import { makeSpec, type SpecOverrides } from './make-spec.js';

/** The store under test, opened by `open()`. */
export interface ConformanceTarget {
  /** Shown as the suite's name, for example `'MemoryStore'` or `'SqliteStore (better-sqlite3)'`. */
  name: string;
  /** Opens a new, empty store. Called once per test. */
  open(): Promise<WorkStore>;
}

/** The states an attempt can finish in. */
export type FinishedState = 'succeeded' | 'failed' | 'cancelled';

/** Default worker ids and lease used by the cases. */
export const WORKER_A = 'worker-a';
export const WORKER_B = 'worker-b';
export const LEASE_MS = 30_000;

/** What each case works with. */
export interface StoreHarness {
  /** The store opened for the current test. */
  readonly store: WorkStore;
  /** Enqueues one {@link makeSpec} per override set, in one batch, and returns the specs. */
  enqueue(...overrides: SpecOverrides[]): Promise<WorkSpec[]>;
  /** Claims with defaults: now 0, worker A, 30 s lease, limit 100, task `noop`. */
  claim(options?: Partial<ClaimOptions>): Promise<ClaimedWork[]>;
  /** Claims with `claim`'s defaults and limit 1, and fails unless exactly item `id` was claimed. */
  claimOne(id: string, options?: Partial<ClaimOptions>): Promise<ClaimedWork>;
  /**
   * Runs item `id` to a finished state: claims exactly it at `now` (by its task name, so give items
   * of one case distinct task names or priorities) and settles it to `state` at `now`; fails
   * unless the settle applied. Default `succeeded`.
   */
  finish(id: string, now: number, state?: FinishedState): Promise<ClaimedWork>;
  /** Closes the store now; the fixture will not close it again. */
  close(): Promise<void>;
}

/**
 * Registers beforeEach/afterEach hooks in the current describe block that open and close a store
 * per test, and returns the harness the cases use.
 *
 * @example
 * describe('claim', () => { const h = createStoreHarness(target); it('…', async () => { await h.enqueue({ id: 'a' }); }); });
 */
export function createStoreHarness(target: ConformanceTarget): StoreHarness {
  let current: WorkStore | undefined;
  let closed = false;

  beforeEach(async () => {
    current = await target.open();
    closed = false;
  });
  afterEach(async () => {
    if (current && !closed) await current.close();
    current = undefined;
  });

  const harness: StoreHarness = {
    get store(): WorkStore {
      if (!current) throw new Error('The conformance store is only open inside a test.');
      return current;
    },
    async enqueue(...overrides) {
      const specs = overrides.map(makeSpec);
      await harness.store.enqueue(specs);
      return specs;
    },
    async claim(options = {}) {
      return harness.store.claim({ now: 0, workerId: WORKER_A, leaseMs: LEASE_MS, limit: 100, taskNames: ['noop'], ...options });
    },
    async claimOne(id, options = {}) {
      const claimed = await harness.claim({ limit: 1, ...options });
      const first = claimed[0];
      if (claimed.length !== 1 || !first || first.spec.id !== id) {
        throw new Error(`Expected to claim exactly "${id}", got [${claimed.map((c) => c.spec.id).join(', ')}].`);
      }
      return first;
    },
    async finish(id, now, state = 'succeeded') {
      const spec = await harness.store.get(id);
      if (!spec) throw new Error(`Cannot finish "${id}": no such item.`);
      const claimed = await harness.claimOne(id, { now, taskNames: [spec.taskName] });
      const settlement =
        state === 'succeeded'
          ? settlementFor(claimed, { now, outputJson: JSON.stringify({ from: id }) })
          : state === 'failed'
            ? settlementFor(claimed, { now, state, lastError: `${id} broke`, outcome: 'failed', error: `${id} broke` })
            : settlementFor(claimed, { now, state, outcome: 'cancelled', stopReason: 'cancelled' });
      if (!(await harness.store.settle(settlement))) throw new Error(`Settling "${id}" to ${state} was refused.`);
      return claimed;
    },
    async close() {
      closed = true;
      await harness.store.close();
    },
  };
  return harness;
}

/**
 * A Settlement for a claimed item: by default it succeeded at the claim's start time with the
 * claim's attempt count; override any field (a stale `leaseToken`, `state: 'enqueued'`, …).
 *
 * @example
 * await store.settle(settlementFor(claimed, { now: 10, outputJson: '{"ok":true}' }));
 */
export function settlementFor(claimed: ClaimedWork, overrides: Partial<Settlement> = {}): Settlement {
  return {
    id: claimed.spec.id,
    leaseToken: claimed.spec.leaseToken,
    runId: claimed.run.id,
    now: claimed.run.startedAt,
    state: 'succeeded',
    attempt: claimed.spec.attempt,
    outcome: 'succeeded',
    error: null,
    stopReason: null,
    ...overrides,
  };
}
