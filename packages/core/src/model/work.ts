/**
 * The vocabulary, in WorkManager's words: a WorkRequest is what a caller asks for, a WorkSpec is
 * the persisted row, a WorkInfo is what queries see, and a RunRecord is one attempt in the journal.
 * Types only; the rules that act on them live in `policy/`.
 */
import type { Duration } from './duration.js';

/**
 * The life of a work item.
 *
 * ```
 * enqueued ──claim──▶ running ──success──▶ succeeded
 *    ▲                  │ ├──failure, attempts left──▶ enqueued (later, per backoff)
 *    │                  │ ├──failure, final──────────▶ failed
 *    └──stop/lease lost─┘ └──cancel──────────────────▶ cancelled
 * blocked: waiting on a prerequisite in a chain.
 * ```
 */
export type WorkState = 'enqueued' | 'running' | 'succeeded' | 'failed' | 'blocked' | 'cancelled';

/** States a work item never leaves. */
export const FINISHED_STATES: readonly WorkState[] = ['succeeded', 'failed', 'cancelled'];

/** Every work state, in lifecycle order. */
export const WORK_STATES: readonly WorkState[] = ['blocked', 'enqueued', 'running', 'succeeded', 'failed', 'cancelled'];

/** How urgent work is among work that is due at the same time. */
export type Priority = 'critical' | 'high' | 'normal' | 'low';

/** Priority names to the integers stored and sorted on (higher runs first). */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { critical: 30, high: 20, normal: 10, low: 0 };

/** The rank stored for expedited work: above every priority, so it runs ahead of everything else. */
export const EXPEDITED_RANK = 40;

/** Every rank core ever stores, highest first. Stores may index exactly these. */
export const CLAIM_RANKS: readonly number[] = [EXPEDITED_RANK, 30, 20, 10, 0];

/**
 * When periodic work runs. `interval`: every `intervalMs`, in the last `flexMs` of each period,
 * the period starting when the previous run completed (WorkManager's rule). `cron`: at the next
 * occurrence of the expression after the previous run completed, in `timezone` (null: UTC).
 * Unless `endOnFailure`, a run that fails for good does not end the series.
 */
export type Schedule =
  | { kind: 'interval'; intervalMs: number; flexMs: number; endOnFailure: boolean }
  | { kind: 'cron'; expression: string; timezone: string | null; endOnFailure: boolean };

/**
 * How the outputs of a chain's prerequisites become a dependent's input: `overwrite` merges
 * object outputs key by key, later prerequisites winning (WorkManager's OverwritingInputMerger);
 * `array` collects every value of each key into an array (ArrayCreatingInputMerger).
 */
export type InputMerger = 'overwrite' | 'array';

/** What to do when unique one-time work is enqueued under a name that already has work. */
export type ExistingWorkPolicy = 'keep' | 'replace' | 'append' | 'append-or-replace';

/** What to do when unique periodic work is enqueued under a name that already has work. */
export type ExistingPeriodicWorkPolicy = 'keep' | 'update' | 'cancel-and-reenqueue';

/** How the delay between attempts grows. */
export type BackoffKind = 'exponential' | 'linear';

/** Backoff as a caller writes it. WorkManager's defaults: exponential, 30 s, capped at 5 h. */
export interface BackoffOptions {
  /** `exponential` doubles the delay each attempt; `linear` adds the initial delay each attempt. */
  policy?: BackoffKind;
  /** The delay after the first failed attempt. Default `'30s'`; zero is allowed. */
  initialDelay?: Duration;
  /** The largest delay ever applied. Default `'5h'`. */
  maxDelay?: Duration;
}

/** Backoff as stored: kind and milliseconds. */
export interface BackoffPolicy {
  policy: BackoffKind;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Options a caller gives when enqueueing one-time work. Every field is optional. */
export interface WorkRequest<Input = unknown> {
  /** The work's id. Default: a new time-ordered UUID. Lets a batch name its own prerequisites. */
  id?: string;
  /** JSON-serialisable input handed to the handler. */
  input?: Input;
  /** Wait this long before the first attempt. */
  delay?: Duration;
  /** Do not start before this moment (a Date or epoch milliseconds). Combined with `delay`, the later wins. */
  startAt?: Date | number;
  /** Free-form labels for querying and cancelling in bulk. */
  tags?: string[];
  /** Order among due work. Default `'normal'`. */
  priority?: Priority;
  /** Attempts before the work fails for good (at least 1). Default from the task, else 5. */
  maxAttempts?: number;
  /** Backoff between failed attempts. Default from the task, else exponential, 30 s, capped at 5 h. */
  backoff?: BackoffOptions;
  /**
   * Abort an attempt that runs longer than this; the timeout counts as a failed attempt.
   * `null` for no timeout. Default from the task, else 10 m.
   */
  timeout?: Duration | null;
  /** Run ahead of all other due work, whatever its priority (WorkManager's expedited work). */
  expedited?: boolean;
  /** Existing work that must succeed before this starts; this work is `blocked` until then. */
  after?: string[];
  /** How prerequisites' outputs merge into this work's input. Default `'overwrite'`. */
  inputMerger?: InputMerger;
  /** Conditions that must hold for the work to start and keep running. */
  constraints?: Constraints;
  /**
   * Enqueue even if no handler for this task is registered in this process (a worker elsewhere
   * will run it). Default false: an unknown name is an error.
   */
  allowUnregistered?: boolean;
}

/**
 * Options for periodic work: every `every` (with an optional `flex` window at the end of each
 * period), or on a `cron` expression in a `timezone`. The first run is due after `delay`
 * (plus `every - flex` when a flex window is set); each later run is computed from the moment
 * the previous one completed, so after downtime the work runs once, not once per missed period.
 */
export interface PeriodicWorkRequest<Input = unknown> extends Omit<WorkRequest<Input>, 'after' | 'inputMerger'> {
  /** The period. Give this or `cron`. */
  every?: Duration;
  /** Run in the last `flex` of each period. Default: at the end of the period. At most `every`. */
  flex?: Duration;
  /** A cron expression (5 or 6 fields). Give this or `every`. */
  cron?: string;
  /** IANA time zone for `cron`, such as `'Europe/Paris'`. Default UTC. */
  timezone?: string;
  /** End the series when a run fails for good. Default false: the next period still runs. */
  endOnFailure?: boolean;
}

/**
 * Conditions work waits for (WorkManager's Constraints). Work whose constraints are not met stays
 * enqueued and says what it waits for; a running attempt whose constraint is lost is stopped and
 * re-queued without being charged.
 */
export interface Constraints {
  /** `connected`: any network; `unmetered`: Wi-Fi or Ethernet; `not-roaming`: not on a roaming cellular network. */
  network?: 'connected' | 'unmetered' | 'not-roaming';
  /** The device is on mains power. */
  charging?: boolean;
  /** Battery above 15% (`true`), or above the given fraction (0..1). Unknown battery counts as mains power. */
  batteryNotLow?: boolean | number;
  /** Free storage is not low (on Node: low means under 10% of the disk and under 1 GiB free). */
  storageNotLow?: boolean;
  /** The device is idle (no user activity / low load). */
  deviceIdle?: boolean;
  /** Memory in use is below this fraction (0..1); `true` means below 85%. */
  memoryBelow?: boolean | number;
}

/** A constraint a work item can wait for, as named in `WorkInfo.waitingFor`. */
export type ConstraintName =
  | 'network:connected'
  | 'network:unmetered'
  | 'network:not-roaming'
  | 'charging'
  | 'batteryNotLow'
  | 'storageNotLow'
  | 'deviceIdle'
  | 'memory';

/** Why an attempt stopped before its handler settled it. */
export type StopReason = 'timeout' | 'cancelled' | 'shutdown' | 'lease-lost' | 'constraint-lost' | 'budget-expired';

/** How one attempt ended. `retrying` is a failed attempt that will be tried again. */
export type RunOutcome = 'succeeded' | 'failed' | 'retrying' | 'stopped' | 'cancelled';

/** The persisted work row. Stores read and write exactly these fields. */
export interface WorkSpec {
  id: string;
  taskName: string;
  state: WorkState;
  /** Input as a JSON string (stores never parse it). */
  inputJson: string;
  /** Output of a succeeded item as a JSON string, or null. */
  outputJson: string | null;
  /** Last reported progress as a JSON string, or null. */
  progressJson: string | null;
  tags: string[];
  /** See {@link PRIORITY_RANK}; higher runs first. */
  priority: number;
  /** Earliest time (epoch ms) the next attempt may start. */
  runAt: number;
  /** Attempts started and charged so far (WorkManager's runAttemptCount); periodic work resets it each period. */
  attempt: number;
  /** Null: the running task's default applies (else 5). */
  maxAttempts: number | null;
  /** Null: the running task's default applies (else exponential, 30 s, 5 h). */
  backoff: BackoffPolicy | null;
  /** Per-attempt timeout in ms; 0 for none; null: the running task's default applies (else 10 min). */
  timeoutMs: number | null;
  /** Unique work name, or null. */
  uniqueName: string | null;
  /** Periodic schedule, or null for one-time work. */
  schedule: Schedule | null;
  /** Ids of the work that must succeed before this runs (chains). */
  prerequisites: string[];
  /** How prerequisites' outputs merge into the input. */
  inputMerger: InputMerger;
  /** The constraints as requested, or null (stores keep them as given). */
  constraints: Constraints | null;
  /**
   * Derived from `constraints` by core, for claim filtering: one bit per boolean constraint
   * (see `CONSTRAINT_BITS`), the battery floor and the memory ceiling (fractions), or null.
   */
  constraintMask: number;
  minBattery: number | null;
  maxMemory: number | null;
  /** Message of the last failed attempt, or null. */
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  /** When the item reached a finished state, or null. */
  finishedAt: number | null;
  /** The worker holding the lease while running, else null. */
  leaseOwner: string | null;
  /** When the lease runs out (epoch ms) while running, else null. */
  leaseExpiresAt: number | null;
  /** Fencing token: incremented by every claim; a settle must present the current one. */
  leaseToken: number;
}

/** One attempt in the run journal. */
export interface RunRecord {
  /** Journal row id, unique per store. */
  id: number;
  workId: string;
  taskName: string;
  /** 1-based attempt number this run was (equals the work's `attempt` when claimed). */
  attempt: number;
  workerId: string;
  startedAt: number;
  /** Null while the attempt is still running. */
  endedAt: number | null;
  /** Null while running. */
  outcome: RunOutcome | null;
  error: string | null;
  stopReason: StopReason | null;
  /** The retry rule that decided what followed a failure (for example `'server-error'`), or null. */
  rule: string | null;
}

/** A work item as queries and observers see it. */
export interface WorkInfo<Output = unknown> {
  id: string;
  taskName: string;
  state: WorkState;
  input: unknown;
  /** Output of a succeeded item, else undefined. */
  output: Output | undefined;
  /** Last progress the handler reported, else undefined. */
  progress: unknown;
  tags: string[];
  priority: Priority;
  /** Whether the work runs ahead of all priorities. */
  expedited: boolean;
  /** Attempts charged so far. */
  attempt: number;
  /** Attempts allowed, or null when the task's default applies (known only to a worker that registers it). */
  maxAttempts: number | null;
  /** The unique work name, or null. */
  uniqueName: string | null;
  /** The periodic schedule, or null for one-time work. */
  schedule: Schedule | null;
  /** Work that must succeed before this runs. */
  prerequisites: string[];
  /** How the prerequisites' outputs merge into the input. */
  inputMerger: InputMerger;
  /** The constraints the work requires, or null. */
  constraints: Constraints | null;
  /** For waiting work: the constraints not met right now, as this process sees them (empty when nothing is missing). */
  waitingFor: ConstraintName[];
  /** When the next attempt may start, if the item is waiting to run; else null. */
  nextRunAt: Date | null;
  /** The most recent attempt, if any. */
  lastRun: RunRecord | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** Filter for queries. All given fields must match (AND); array fields match any element (OR). */
export interface WorkQuery {
  ids?: string[];
  states?: WorkState[];
  taskNames?: string[];
  tags?: string[];
  uniqueNames?: string[];
  /** Only items that list this id among their prerequisites (a chain's next step). */
  dependentsOf?: string;
  /** Page size. Default 100. */
  limit?: number;
  /** Rows to skip, for paging. Default 0. */
  offset?: number;
}

/** Filter for journal queries; newest first. */
export interface RunQuery {
  workId?: string;
  taskNames?: string[];
  outcomes?: RunOutcome[];
  /** Only runs that started at or after this time (epoch ms). */
  since?: number;
  limit?: number;
  offset?: number;
}

/** Counts of work by state, plus what the store knows about the next wake-up. */
export type StateCounts = Record<WorkState, number>;
