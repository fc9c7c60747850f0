/**
 * A plain freshly enqueued WorkSpec for this package's own tests (the conformance suite has its
 * own). Test data only.
 */
import type { WorkSpec } from '@offstage/core';

/**
 * A WorkSpec with defaults (task `noop`, priority 10, due at 0) and the given overrides.
 *
 * @example
 * await store.enqueue([makeWork({ id: 'a', runAt: 5 })]);
 */
export function makeWork(overrides: Partial<WorkSpec> & { id: string }): WorkSpec {
  return {
    taskName: 'noop',
    state: 'enqueued',
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
    prerequisites: [],
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
