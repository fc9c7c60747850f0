/**
 * Tasks: named handlers registered in code. Only registered names ever run; work for an unknown
 * name stays enqueued (iOS's permitted-identifier rule).
 */
import type { BackoffOptions, StopReason } from '../model/work.js';
import type { ErrorClassifier } from '../policy/classify-error.js';
import type { Duration } from '../model/duration.js';

/** What a handler receives for one attempt. */
export interface TaskContext<Input = unknown> {
  /** The work item's id. */
  id: string;
  /** The task name this work was enqueued for. */
  taskName: string;
  /** The input given at enqueue, decoded from JSON. */
  input: Input;
  /** 1-based number of this attempt. */
  attempt: number;
  /** Tags given at enqueue. */
  tags: readonly string[];
  /**
   * Aborted when the attempt must stop: timeout, cancellation, shutdown or a lost lease.
   * `signal.reason` is an `AttemptStoppedError` naming which.
   */
  signal: AbortSignal;
  /** When this attempt times out (epoch ms), or null when it has no timeout. */
  deadline: number | null;
  /** Reports progress (any JSON value): persisted, throttled, and shown to observers. */
  progress(value: unknown): void;
}

/** A task's handler: resolve with the output (JSON-serialisable), or throw to fail the attempt. */
export type TaskHandler<Input = unknown, Output = unknown> = (context: TaskContext<Input>) => Promise<Output> | Output;

/** Per-task defaults applied to work enqueued for it. */
export interface TaskOptions {
  /** Default attempts before failing for good. */
  maxAttempts?: number;
  /** Default backoff between failed attempts. */
  backoff?: BackoffOptions;
  /** Default per-attempt timeout; `null` for none. */
  timeout?: Duration | null;
  /**
   * At most this many items of this task run at once across the whole store: every worker and
   * process together (for example 1, so two syncs never overlap).
   */
  concurrency?: number;
  /** Maps this task's errors to retry rules, instead of the engine's classifier. */
  classify?: ErrorClassifier;
}

/** A handler with its defaults. */
export interface TaskDefinition<Input = unknown, Output = unknown> extends TaskOptions {
  handler: TaskHandler<Input, Output>;
}

/** A handler alone, or a handler with defaults. */
export type TaskEntry = TaskHandler<never, unknown> | TaskDefinition<never, unknown>;

/**
 * Defines a task with typed input and output, for a tasks module or `register`.
 *
 * @example
 * export const tasks = {
 *   sync: defineTask<{ since: string }>({ maxAttempts: 3, handler: async ({ input }) => pull(input.since) }),
 * }
 */
export function defineTask<Input = unknown, Output = unknown>(definition: TaskDefinition<Input, Output> | TaskHandler<Input, Output>): TaskDefinition<Input, Output> {
  return typeof definition === 'function' ? { handler: definition } : definition;
}

/**
 * Thrown as an aborted attempt's `signal.reason`, naming why it stopped.
 *
 * @example
 * signal.addEventListener('abort', () => console.log((signal.reason as AttemptStoppedError).reason))
 */
export class AttemptStoppedError extends Error {
  /** Why the attempt was stopped. */
  readonly reason: StopReason;
  constructor(reason: StopReason, message: string) {
    super(message);
    this.name = 'AttemptStoppedError';
    this.reason = reason;
  }
}
