import { describe, expect, it } from 'vitest';
import { chainLeaves, planUniquePeriodicWork, planUniqueWork } from './plan-unique.js';
import { InvalidOptionError } from '../errors.js';
import type { WorkSpec, WorkState } from '../model/work.js';

const spec = (id: string, state: WorkState = 'enqueued', over: Partial<WorkSpec> = {}): WorkSpec => ({
  id, taskName: 't', state, inputJson: 'null', outputJson: null, progressJson: null, tags: [], priority: 10, runAt: 100, attempt: 0,
  maxAttempts: null, backoff: null, timeoutMs: null, lastError: null, createdAt: 0, updatedAt: 0, finishedAt: null, leaseOwner: null,
  leaseExpiresAt: null, leaseToken: 0, uniqueName: 'u', schedule: null, prerequisites: [], inputMerger: 'overwrite', constraints: null, constraintMask: 0, minBattery: null, maxMemory: null, ...over,
});

describe('planUniqueWork', () => {
  const fresh = [spec('new')];

  it('enqueues when nothing exists, whatever the policy', () => {
    for (const policy of ['keep', 'replace', 'append', 'append-or-replace'] as const) {
      expect(planUniqueWork(policy, [], fresh)).toMatchObject({ outcome: 'enqueued', plan: { insert: fresh, cancel: [] } });
    }
  });

  it('keep keeps unfinished work, and enqueues after finished work', () => {
    expect(planUniqueWork('keep', [spec('old', 'running')], fresh)).toMatchObject({ outcome: 'kept', plan: { insert: [] } });
    expect(planUniqueWork('keep', [spec('old', 'succeeded')], fresh)).toMatchObject({ outcome: 'enqueued', plan: { insert: fresh } });
  });

  it('replace cancels only unfinished work', () => {
    const d = planUniqueWork('replace', [spec('a', 'succeeded'), spec('b', 'running'), spec('c', 'blocked')], fresh);
    expect(d).toMatchObject({ outcome: 'replaced', plan: { cancel: ['b', 'c'], insert: fresh } });
  });

  it('append attaches the new roots to the leaves of the existing chain', () => {
    const existing = [spec('a', 'succeeded'), spec('b', 'blocked', { prerequisites: ['a'] }), spec('c', 'blocked', { prerequisites: ['a'] })];
    const chain = [spec('n1'), spec('n2', 'blocked', { prerequisites: ['n1'] })];
    const d = planUniqueWork('append', existing, chain);
    expect(d.outcome).toBe('appended');
    expect(d.plan.insert.map((s) => [s.id, s.state, s.prerequisites])).toEqual([
      ['n1', 'blocked', ['b', 'c']],
      ['n2', 'blocked', ['n1']],
    ]);
  });

  it('append-or-replace replaces a chain whose leaf failed or was cancelled', () => {
    expect(planUniqueWork('append-or-replace', [spec('a', 'failed')], fresh)).toMatchObject({ outcome: 'replaced', plan: { insert: fresh } });
    expect(planUniqueWork('append-or-replace', [spec('a', 'succeeded')], fresh).outcome).toBe('appended');
  });

  it('rejects unknown policies', () => {
    expect(() => planUniqueWork('merge' as never, [], fresh)).toThrow(InvalidOptionError);
  });

  it('append continues the newest chain, leaving work a replace cancelled behind', () => {
    const existing = [spec('old', 'cancelled'), spec('replacement', 'enqueued')];
    const d = planUniqueWork('append', existing, fresh);
    expect(d.plan.insert[0]!.prerequisites).toEqual(['replacement']);
  });

  it('finds leaves', () => {
    expect(chainLeaves([spec('a'), spec('b', 'blocked', { prerequisites: ['a'] })]).map((s) => s.id)).toEqual(['b']);
  });
});

describe('planUniquePeriodicWork', () => {
  const schedule = { kind: 'interval' as const, intervalMs: 1000, flexMs: 0, endOnFailure: false };
  const fresh = spec('new', 'enqueued', { schedule, runAt: 50, inputJson: '"v2"' });

  it('keep, update and cancel-and-reenqueue', () => {
    const series = spec('old', 'enqueued', { schedule, runAt: 500 });
    expect(planUniquePeriodicWork('keep', [series], fresh)).toMatchObject({ outcome: 'kept', plan: { insert: [], update: [] } });
    expect(planUniquePeriodicWork('update', [series], fresh)).toMatchObject({
      outcome: 'updated',
      plan: { update: [{ id: 'old', fields: { inputJson: '"v2"', runAt: 50, schedule } }], insert: [] },
    });
    expect(planUniquePeriodicWork('cancel-and-reenqueue', [series], fresh)).toMatchObject({ outcome: 'replaced', plan: { cancel: ['old'], insert: [fresh] } });
  });

  it('update refuses to turn one-time work periodic', () => {
    expect(() => planUniquePeriodicWork('update', [spec('one-time')], fresh)).toThrow(/one-time work/);
  });

  it('rejects unknown policies', () => {
    expect(() => planUniquePeriodicWork('replace' as never, [], fresh)).toThrow(/unique periodic work policy 'replace'/);
  });
});
