/**
 * The WorkStore seam: persistence only. Each method is one atomic step of the work lifecycle, and
 * every transition is a compare-and-set on state and fencing token, so two workers (or a worker and
 * a reconcile) can never both win. Stores never read a clock (callers pass `now`) and never decide
 * policy (core computes the next state; the store only persists it).
 */
import type { RunOutcome, RunQuery, RunRecord, StopReason, WorkQuery, WorkSpec, WorkState } from '../model/work.js';

/** What a store can do beyond the contract. Flags, not extra methods. */
export interface StoreCapabilities {
  /** Several processes may share the store (SQLite file, PostgreSQL). */
  multiProcess: boolean;
  /** The store can tell a worker when another process enqueued work (LISTEN/NOTIFY). */
  notifications: boolean;
}

/** Options for {@link WorkStore.claim}. */
export interface ClaimOptions {
  now: number;
  /** The claiming worker; becomes `leaseOwner` and the journal's `workerId`. */
  workerId: string;
  /** Lease length; `leaseExpiresAt = now + leaseMs`. */
  leaseMs: number;
  /** Claim at most this many items. */
  limit: number;
  /** Only claim work for these task names (the ones this worker can run). */
  taskNames: readonly string[];
  /**
   * Per-task limits on how many items may be `running` at once across the whole store (every
   * worker and process). A claim takes at most `limit - running` items of such a task.
   */
  taskLimits?: Readonly<Record<string, number>>;
  /** What the device offers now: only items whose constraints these meet are claimed. Default: everything met. */
  conditions?: DeviceConditions;
}

/**
 * The device's state as the engine's constraint trackers see it, in the form stores filter on:
 * an item is eligible when `(constraintMask & unmet) = 0`, `minBattery` is null or at most
 * `battery`, and `maxMemory` is null or above `memory`.
 */
export interface DeviceConditions {
  /** Bits of the boolean constraints not met now (see `CONSTRAINT_BITS`). */
  unmet: number;
  /** Battery level 0..1 (1 when unknown or on mains power). */
  battery: number;
  /** Fraction of memory in use, 0..1. */
  memory: number;
}

/** An item a worker now owns, with the journal row opened for this attempt. */
export interface ClaimedWork {
  /** The row after the claim: `running`, `attempt` + 1, `leaseToken` + 1, lease set. */
  spec: WorkSpec;
  /** The journal row opened for this attempt (`endedAt` and `outcome` null). */
  run: RunRecord;
}

/** Options for {@link WorkStore.heartbeat}. */
export interface HeartbeatOptions {
  id: string;
  leaseToken: number;
  now: number;
  leaseMs: number;
}

/**
 * The result of one attempt, as core resolved it, for {@link WorkStore.settle}.
 * Applied only if the item is still `running` with `leaseToken`; otherwise nothing changes.
 */
export interface Settlement {
  id: string;
  /** The fencing token the claim returned. */
  leaseToken: number;
  /** The journal row opened by the claim. */
  runId: number;
  now: number;
  /** The item's next state. */
  state: Extract<WorkState, 'succeeded' | 'failed' | 'enqueued' | 'cancelled'>;
  /** The attempt count to store (the claim's, or one less when the stop is not charged). */
  attempt: number;
  /** Next start time when `state` is `enqueued`. */
  runAt?: number;
  /** Output JSON to store when defined: a success, including a periodic run re-enqueued for its next period. */
  outputJson?: string | null;
  /** The error to keep on the item (null clears it, undefined keeps the current one). */
  lastError?: string | null;
  /** How to close the journal row. */
  outcome: RunOutcome;
  error: string | null;
  stopReason: StopReason | null;
  /** The retry rule that applied, recorded on the journal row (undefined: null). */
  rule?: string | null;
}

/** Options for {@link WorkStore.cancel}. Selectors are unioned; an empty list matches nothing. */
export interface CancelOptions {
  ids?: readonly string[];
  tags?: readonly string[];
  all?: boolean;
  now: number;
}

/** Options for {@link WorkStore.prune}. */
export interface PruneOptions {
  /** Delete finished work (and its journal) that finished before this time. */
  finishedBefore: number;
  /** Delete journal rows of any work that ended before this time. Default: same as `finishedBefore`. */
  runsEndedBefore?: number;
}

/** Options for {@link WorkStore.nextWakeAt}. */
export interface NextWakeOptions {
  taskNames: readonly string[];
  /** Only count enqueued items these conditions meet (as in {@link ClaimOptions.conditions}). */
  conditions?: DeviceConditions;
  /** Leases held by this worker are renewed by heartbeat, so they are not a reason to wake. */
  excludeOwner?: string;
}

/** Fields of an unfinished item that {@link WorkStore.update} may change. */
export type WorkUpdate = Partial<
  Pick<
    WorkSpec,
    'inputJson' | 'tags' | 'priority' | 'runAt' | 'maxAttempts' | 'backoff' | 'timeoutMs' | 'schedule' | 'constraints' | 'constraintMask' | 'minBattery' | 'maxMemory'
  >
>;

/** What a unique-work plan asks {@link WorkStore.enqueueUnique} to do, all in one transaction. */
export interface UniquePlan {
  /** New items to insert (as {@link WorkStore.enqueue}); they may list existing items as prerequisites. */
  insert: WorkSpec[];
  /** Existing unfinished items to cancel (as {@link WorkStore.cancel}). */
  cancel: string[];
  /** Existing unfinished items to change in place (as {@link WorkStore.update}). */
  update: Array<{ id: string; fields: WorkUpdate }>;
}

/** One row of {@link WorkStore.counts}. */
export interface CountRow {
  taskName: string;
  state: WorkState;
  count: number;
  /** For `enqueued` rows: how many of them are due at `now`. Otherwise 0. */
  due: number;
}

/**
 * Persistence for work items and their run journal.
 *
 * Every method is atomic. Every write that changes a `running` item checks its `leaseToken`
 * (fencing), so a worker that lost its lease cannot overwrite the result of the next owner.
 *
 * **Chains.** An item with prerequisites is stored `blocked`. Whenever a transaction finishes an
 * item (settle to succeeded, failed or cancelled; cancel; a unique plan's cancel) or inserts
 * blocked items, the store applies the chain rule before committing, repeating until nothing
 * changes: a `blocked` item with a `failed` prerequisite becomes `failed` (`lastError`
 * "Prerequisite <id> failed.", `finishedAt` now); else with a `cancelled` prerequisite becomes
 * `cancelled` (`finishedAt` now); else, when every prerequisite has `succeeded`, becomes
 * `enqueued` with `runAt = max(runAt, now)`. Each change sets `updatedAt` now.
 */
export interface WorkStore {
  readonly capabilities: StoreCapabilities;

  /**
   * Inserts new items (state `enqueued` or `blocked`, attempt 0, token 0), stored as given, all or
   * none. A prerequisite must be in the batch (earlier) or already stored; an unknown id, or an id
   * that already exists, rejects the whole batch. Then applies the chain rule (`now` is each
   * spec's `createdAt`).
   */
  enqueue(specs: readonly WorkSpec[]): Promise<void>;

  /**
   * Unique work: in one transaction that excludes every other unique enqueue of the same name
   * (across processes), reads all items with `uniqueName` in any state (oldest first), asks the
   * pure `plan` what to do, applies it (cancels, then updates, then inserts, then the chain rule)
   * and returns the existing items it read and the ids it cancelled. If `plan` throws, nothing
   * changes and the error propagates.
   */
  enqueueUnique(uniqueName: string, now: number, plan: (existing: WorkSpec[]) => UniquePlan): Promise<{ existing: WorkSpec[]; cancelled: string[] }>;

  /**
   * Changes fields of an unfinished item (`enqueued`, `blocked` or `running`) in place; lease and
   * state are untouched. Returns false if the item is missing or finished.
   */
  update(id: string, fields: WorkUpdate, now: number): Promise<boolean>;

  /**
   * Atomically takes up to `limit` items that are `enqueued`, due (`runAt <= now`) and for one of
   * `taskNames` (within `taskLimits`), ordered by priority (high first), then `runAt`, then
   * insertion order. Each becomes
   * `running` with `attempt + 1`, `leaseToken + 1`, the lease, and a new open journal row.
   */
  claim(options: ClaimOptions): Promise<ClaimedWork[]>;

  /** Extends the lease if the item is still `running` under `leaseToken`. False when the lease is lost. */
  heartbeat(options: HeartbeatOptions): Promise<boolean>;

  /** Stores reported progress if the item is still `running` under `leaseToken`. */
  setProgress(id: string, leaseToken: number, progressJson: string, now: number): Promise<boolean>;

  /**
   * Applies an attempt's result and closes its journal row, if the item is still `running` under
   * `leaseToken`. Returns false (and changes nothing) when the token is stale.
   * Clears the lease; sets `finishedAt` for finished states.
   */
  settle(settlement: Settlement): Promise<boolean>;

  /**
   * Cancels matching items that are `enqueued`, `blocked` or `running`: state `cancelled`,
   * lease cleared and token incremented (so a running owner's settle is refused), any open journal
   * row closed with outcome `cancelled`, stop reason `cancelled`. Returns the ids cancelled.
   */
  cancel(options: CancelOptions): Promise<string[]>;

  /**
   * Returns every `running` item whose lease expired (`leaseExpiresAt <= now`) to `enqueued`
   * without charging the attempt (`attempt - 1`), clears the lease, increments the token, and
   * closes its open journal row as `stopped` / `lease-lost`. Returns the ids returned to the queue.
   */
  reconcile(now: number): Promise<string[]>;

  /**
   * Puts a `failed` or `cancelled` item back to `enqueued`, due at `now`, with `attempt` 0 and
   * `finishedAt` cleared. Returns false if the item is missing or in another state.
   */
  retry(id: string, now: number): Promise<boolean>;

  /** One item, or undefined. */
  get(id: string): Promise<WorkSpec | undefined>;

  /** Items matching the query, newest first (by `createdAt`, then insertion order). */
  query(query: WorkQuery): Promise<WorkSpec[]>;

  /** Journal rows matching the query, newest first (by `startedAt`, then row id). */
  runs(query: RunQuery): Promise<RunRecord[]>;

  /** The most recent journal row of each given item. */
  lastRuns(workIds: readonly string[]): Promise<Map<string, RunRecord>>;

  /**
   * How long each task's recent successful attempts took: the median (the lower middle value for
   * an even count) of `endedAt - startedAt` over the `sample` most recent `succeeded` journal rows
   * per task name (by start time, then row id). Tasks with no such row are
   * absent. Used to decide whether work fits in a time budget.
   */
  typicalDurations(taskNames: readonly string[], sample: number): Promise<Map<string, number>>;

  /** Counts by task name and state (only non-zero rows), with how many enqueued items are due. */
  counts(now: number): Promise<CountRow[]>;

  /**
   * When a worker running `taskNames` next has something to do: the earliest `runAt` of their
   * `enqueued` items, or the earliest lease expiry of their `running` items not held by `excludeOwner`.
   * Null when nothing is pending. On disk this must be an index lookup, never a scan: it runs
   * after every pass.
   */
  nextWakeAt(options: NextWakeOptions): Promise<number | null>;

  /** Deletes old finished work (never a prerequisite of unfinished work) and journal rows; returns how many of each. */
  prune(options: PruneOptions): Promise<{ work: number; runs: number }>;

  /** Releases the store's resources. Idempotent; any other call after it throws StoreClosedError. */
  close(): Promise<void>;
}
