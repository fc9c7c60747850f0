/**
 * makeSpec: a complete, valid WorkSpec from a few overrides, so conformance cases state only the
 * fields they are about. Test data only; it must never pick values a store could mistake for a rule
 * (every default is the plain one a freshly enqueued item would have).
 */
import type { WorkSpec } from '@offstage/core';

/** Overrides for {@link makeSpec}; `id` is the only required field. */
export type SpecOverrides = Partial<WorkSpec> & { id: string };

/**
 * Builds a freshly enqueued WorkSpec: task `noop`, priority normal (10), due at 0, no attempts,
 * WorkManager's default backoff, no timeout, no tags, token 0, created at 0; one-time (no
 * schedule), not unique, no prerequisites, overwrite merger. Like core's planner, an item given
 * prerequisites starts `blocked` unless the overrides name a state.
 *
 * @example
 * await store.enqueue([makeSpec({ id: 'a', priority: 30, runAt: 1_000, tags: ['sync'] })]);
 * await store.enqueue([makeSpec({ id: 'b', prerequisites: ['a'] })]); // stored blocked
 */
export function makeSpec(overrides: SpecOverrides): WorkSpec {
  const prerequisites = overrides.prerequisites ?? [];
  return {
    taskName: 'noop',
    state: prerequisites.length > 0 ? 'blocked' : 'enqueued',
    inputJson: '{}',
    outputJson: null,
    progressJson: null,
    tags: [],
    priority: 10,
    runAt: 0,
    attempt: 0,
    maxAttempts: 5,
    backoff: { policy: 'exponential', initialDelayMs: 30_000, maxDelayMs: 18_000_000 },
    timeoutMs: null,
    uniqueName: null,
    schedule: null,
    prerequisites,
    inputMerger: 'overwrite',
    constraints: null,
    constraintMask: 0,
    minBattery: null,
    maxMemory: null,
    lastError: null,
    createdAt: 0,
    updatedAt: 0,
    finishedAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    leaseToken: 0,
    ...overrides,
  };
}
