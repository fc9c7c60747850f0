/**
 * Unique work: what enqueueing under an existing unique name does, per ExistingWorkPolicy.
 * Pure; the store runs it inside the transaction that excludes every other enqueue of the name,
 * so two processes racing on one name cannot both insert.
 */
import { InvalidOptionError } from '../errors.js';
import { quoteText } from '../model/describe-value.js';
import type { ExistingPeriodicWorkPolicy, ExistingWorkPolicy, WorkSpec, WorkState } from '../model/work.js';
import type { UniquePlan, WorkUpdate } from '../store/work-store.js';

/** How a unique enqueue ended. */
export type UniqueOutcome = 'enqueued' | 'kept' | 'replaced' | 'appended' | 'updated';

/** A plan plus the outcome to report. */
export interface UniqueDecision {
  plan: UniquePlan;
  outcome: UniqueOutcome;
  /** The existing item that was kept or updated, when that is the outcome. */
  kept?: WorkSpec;
}

const UNFINISHED: readonly WorkState[] = ['enqueued', 'blocked', 'running'];
const WORK_POLICIES: readonly ExistingWorkPolicy[] = ['keep', 'replace', 'append', 'append-or-replace'];
const PERIODIC_POLICIES: readonly ExistingPeriodicWorkPolicy[] = ['keep', 'update', 'cancel-and-reenqueue'];

/** Throws {@link InvalidOptionError} unless `policy` is an ExistingWorkPolicy. */
export function checkWorkPolicy(policy: unknown): asserts policy is ExistingWorkPolicy {
  if (!WORK_POLICIES.includes(policy as ExistingWorkPolicy)) {
    throw new InvalidOptionError(`The unique work policy ${quoteText(policy)} is unknown; use one of ${WORK_POLICIES.join(', ')}.`);
  }
}

/** Throws {@link InvalidOptionError} unless `policy` is an ExistingPeriodicWorkPolicy. */
export function checkPeriodicPolicy(policy: unknown): asserts policy is ExistingPeriodicWorkPolicy {
  if (!PERIODIC_POLICIES.includes(policy as ExistingPeriodicWorkPolicy)) {
    throw new InvalidOptionError(`The unique periodic work policy ${quoteText(policy)} is unknown; use one of ${PERIODIC_POLICIES.join(', ')}.`);
  }
}

/**
 * Plans one-time unique work (a single item or a whole chain in `fresh`, prerequisites first).
 *
 * - `keep`: unfinished work under the name stays; nothing is added.
 * - `replace`: unfinished work is cancelled; the new work is added.
 * - `append`: the new chain's roots wait for the existing chain's leaves (and fail or are
 *   cancelled with them, by the chain rule).
 * - `append-or-replace`: like append, unless a leaf failed or was cancelled: then like replace.
 *
 * @example
 * planUniqueWork('keep', existing, [spec]).outcome // 'kept' when existing has unfinished work
 */
export function planUniqueWork(policy: ExistingWorkPolicy, existing: readonly WorkSpec[], fresh: readonly WorkSpec[]): UniqueDecision {
  checkWorkPolicy(policy);
  const unfinished = existing.filter((s) => UNFINISHED.includes(s.state));
  const none: UniquePlan = { insert: [], cancel: [], update: [] };
  if (existing.length === 0) return { plan: { ...none, insert: [...fresh] }, outcome: 'enqueued' };
  switch (policy) {
    case 'keep':
      return unfinished.length > 0 ? { plan: none, outcome: 'kept', kept: unfinished[0] } : { plan: { ...none, insert: [...fresh] }, outcome: 'enqueued' };
    case 'replace':
      return { plan: { ...none, cancel: unfinished.map((s) => s.id), insert: [...fresh] }, outcome: unfinished.length > 0 ? 'replaced' : 'enqueued' };
    case 'append-or-replace':
    case 'append': {
      const leaves = chainLeaves(latestChain(existing));
      if (policy === 'append-or-replace' && leaves.some((s) => s.state === 'failed' || s.state === 'cancelled')) {
        return { plan: { ...none, cancel: unfinished.map((s) => s.id), insert: [...fresh] }, outcome: 'replaced' };
      }
      return { plan: { ...none, insert: appendTo(leaves, fresh) }, outcome: 'appended' };
    }
  }
}

/**
 * Plans unique periodic work (`fresh` is the one new periodic item).
 *
 * - `keep`: an unfinished series stays as it is.
 * - `update`: the unfinished series takes the new input, schedule and options in place, keeping
 *   its id and history; its next run moves earlier if the new schedule is due sooner.
 * - `cancel-and-reenqueue`: the old series is cancelled and the new one starts.
 *
 * @example
 * planUniquePeriodicWork('update', existing, spec).outcome // 'updated'
 */
export function planUniquePeriodicWork(policy: ExistingPeriodicWorkPolicy, existing: readonly WorkSpec[], fresh: WorkSpec): UniqueDecision {
  checkPeriodicPolicy(policy);
  const unfinished = existing.filter((s) => UNFINISHED.includes(s.state));
  const none: UniquePlan = { insert: [], cancel: [], update: [] };
  if (unfinished.length === 0) return { plan: { ...none, insert: [fresh] }, outcome: 'enqueued' };
  if (policy === 'keep') return { plan: none, outcome: 'kept', kept: unfinished[0] };
  if (policy === 'cancel-and-reenqueue') return { plan: { ...none, cancel: unfinished.map((s) => s.id), insert: [fresh] }, outcome: 'replaced' };
  const series = unfinished.find((s) => s.schedule !== null);
  if (!series) {
    throw new InvalidOptionError(`The unique name "${fresh.uniqueName ?? ''}" holds one-time work, which the 'update' policy cannot turn periodic; use 'cancel-and-reenqueue'.`);
  }
  const fields: WorkUpdate = {
    inputJson: fresh.inputJson,
    tags: fresh.tags,
    priority: fresh.priority,
    maxAttempts: fresh.maxAttempts,
    backoff: fresh.backoff,
    timeoutMs: fresh.timeoutMs,
    schedule: fresh.schedule,
    constraints: fresh.constraints,
    constraintMask: fresh.constraintMask,
    minBattery: fresh.minBattery,
    maxMemory: fresh.maxMemory,
    runAt: Math.min(series.runAt, fresh.runAt),
  };
  return { plan: { ...none, update: [{ id: series.id, fields }] }, outcome: 'updated', kept: series };
}

/**
 * The chain an append continues: the connected group (by prerequisites) holding the newest item.
 * Work a `replace` cancelled is an older, separate group, so it is left behind, as WorkManager
 * leaves replaced work behind by deleting it.
 */
export function latestChain(existing: readonly WorkSpec[]): WorkSpec[] {
  const newest = existing[existing.length - 1];
  if (!newest) return [];
  const parent = new Map<string, string>(existing.map((s) => [s.id, s.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(id, root);
    return root;
  };
  for (const s of existing) for (const p of s.prerequisites) if (parent.has(p)) parent.set(find(s.id), find(p));
  const group = find(newest.id);
  return existing.filter((s) => find(s.id) === group);
}

/** Items of a unique name that no other item of the name depends on: where an append attaches. */
export function chainLeaves(existing: readonly WorkSpec[]): WorkSpec[] {
  const depended = new Set(existing.flatMap((s) => s.prerequisites));
  return existing.filter((s) => !depended.has(s.id));
}

function appendTo(leaves: readonly WorkSpec[], fresh: readonly WorkSpec[]): WorkSpec[] {
  const freshIds = new Set(fresh.map((s) => s.id));
  const leafIds = leaves.map((s) => s.id);
  return fresh.map((s) => {
    // Roots of the new chain (no prerequisite inside it) wait for the old chain's leaves.
    if (s.prerequisites.some((p) => freshIds.has(p))) return s;
    return { ...s, state: 'blocked', prerequisites: [...new Set([...s.prerequisites, ...leafIds])] };
  });
}
