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
  /** Abort an attempt that runs longer than this; the timeout counts as a failed attempt. Default from the task, else 10 m. */
  timeout?: Duration;
  /**
   * Enqueue even if no handler for this task is registered in this process (a worker elsewhere
   * will run it). Default false: an unknown name is an error.
   */
  allowUnregistered?: boolean;
}

/** Why an attempt stopped before its handler settled it. */
export type StopReason = 'timeout' | 'cancelled' | 'shutdown' | 'lease-lost';

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
  /** Attempts started and charged so far (WorkManager's runAttemptCount). */
  attempt: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Per-attempt timeout in ms, or null for none. */
  timeoutMs: number | null;
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
  /** Attempts charged so far. */
  attempt: number;
  maxAttempts: number;
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
