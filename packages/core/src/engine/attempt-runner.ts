/**
 * One attempt, from claim to settle (WorkManager's WorkerWrapper). It races the handler against
 * the attempt's stop conditions (timeout, cancel, shutdown, lost lease), keeps the lease alive by
 * heartbeat, and settles through the store's fenced compare-and-set. It never throws: every
 * failure becomes a settlement or a `worker:error` event.
 */
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { StopReason } from '../model/work.js';
import type { ClaimedWork, WorkStore } from '../store/work-store.js';
import { decodeJson, encodeJson } from '../policy/encode-json.js';
import { resolveOutcome, type AttemptResult } from '../policy/resolve-outcome.js';
import type { EffectiveSpec } from '../policy/plan-work.js';
import type { CronParser } from '../policy/schedule.js';
import { decideRetry, type ErrorClassifier } from '../policy/classify-error.js';
import type { EventHub } from './events.js';
import { AttemptStoppedError, type TaskDefinition } from './task.js';
import { NonRetryableError, RetryLaterError } from '../errors.js';

/** How often persisted progress may be written for one attempt. */
export const PROGRESS_WRITE_INTERVAL_MS = 250;

/** What an attempt needs from its engine. */
export interface AttemptDeps {
  store: WorkStore;
  clock: Clock;
  events: EventHub;
  leaseMs: number;
  maxOutputBytes: number;
  /** Evaluates cron schedules for periodic work. */
  cron?: CronParser;
  /** Maps a failure to a retry rule; null for the work's own backoff only. */
  classifier: ErrorClassifier | null;
  /** The handler's input: the stored input, merged with prerequisites' outputs for chains. */
  loadInput(spec: EffectiveSpec): Promise<unknown>;
  /**
   * Called once, as soon as the handler has finished (or the attempt was stopped) and before the
   * result is written: the attempt no longer occupies a handler slot, though `done` is still pending.
   */
  onHandlerDone?(): void;
}

const STOP_MESSAGES: Record<StopReason, string> = {
  timeout: 'The attempt ran past its timeout.',
  cancelled: 'The work was cancelled.',
  shutdown: 'The worker is shutting down.',
  'lease-lost': 'The worker lost its lease on this work.',
  'constraint-lost': 'A constraint of this work is no longer met.',
  'budget-expired': 'The time budget for this run window ran out.',
};

/**
 * Runs one claimed attempt. `done` resolves once the attempt is settled (or given up).
 *
 * @example
 * const attempt = new AttemptRunner(claimed, definition, deps)
 * attempt.stop('shutdown'); await attempt.done
 */
export class AttemptRunner {
  /** Resolves when the attempt has ended and its result is stored (or refused). */
  readonly done: Promise<void>;
  readonly id: string;
  /** Made when the handler first reads its signal: most handlers never do, and one costs a few µs. */
  private controller: AbortController | null = null;
  /** Why the attempt was stopped, once it was. */
  private stopError: AttemptStoppedError | null = null;
  private resolveStop!: (result: AttemptResult) => void;
  private readonly stopped: Promise<AttemptResult>;
  private timers: TimerHandle[] = [];
  private finished = false;
  private pendingProgress: string | null = null;
  private progressWrite: Promise<unknown> | null = null;
  private progressTimer: TimerHandle | null = null;

  constructor(
    private readonly claim: ClaimedWork & { spec: EffectiveSpec },
    private readonly task: TaskDefinition<never, unknown>,
    private readonly deps: AttemptDeps,
  ) {
    this.id = claim.spec.id;
    this.stopped = new Promise((resolve) => (this.resolveStop = resolve));
    this.done = this.run();
  }

  /** Whether the handler has finished (or the attempt was stopped): `onHandlerDone` has been called. */
  get handlerDone(): boolean {
    return this.finished;
  }

  /** The claimed row, with task defaults applied. */
  get spec(): EffectiveSpec {
    return this.claim.spec;
  }

  /** Stops the attempt: aborts its signal and settles it for `reason` without waiting for the handler. */
  stop(reason: StopReason): void {
    if (this.finished || this.stopError !== null) return;
    this.stopError = new AttemptStoppedError(reason, STOP_MESSAGES[reason]);
    this.controller?.abort(this.stopError);
    this.resolveStop({ kind: 'stopped', reason });
  }

  /** The handler's abort signal, made on first use (already aborted if the attempt was stopped before). */
  private get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.stopError !== null) this.controller.abort(this.stopError);
    }
    return this.controller.signal;
  }

  private async run(): Promise<void> {
    const { spec, run } = this.claim;
    const { clock, events, store } = this.deps;
    const startedAt = clock.now();
    // A timeout of 0 means none.
    const deadline = spec.timeoutMs > 0 ? startedAt + spec.timeoutMs : null;
    if (spec.timeoutMs > 0) this.timers.push(clock.setTimeout(() => this.stop('timeout'), spec.timeoutMs));
    this.scheduleHeartbeat();
    events.emit('work:started', { id: spec.id, taskName: spec.taskName, attempt: spec.attempt, runId: run.id });

    const handled = this.invokeHandler(deadline);
    // A handler that ignores its signal keeps running, but the attempt settles now and frees its slot.
    const result = await Promise.race([handled, this.stopped]);
    this.finished = true;
    // Before the settle is called: the engine can then claim for this slot while the settle is
    // still queued, and a store that groups writes commits both together.
    this.deps.onHandlerDone?.();
    for (const t of this.timers) clock.clearTimeout(t);
    if (this.progressTimer !== null) clock.clearTimeout(this.progressTimer);

    // Cancellation and lost leases were already written by whoever took the work away.
    if (result.kind === 'stopped' && (result.reason === 'cancelled' || result.reason === 'lease-lost')) {
      if (result.reason === 'lease-lost') events.emit('work:stopped', { id: spec.id, taskName: spec.taskName, attempt: spec.attempt, reason: 'lease-lost' });
      return;
    }
    try {
      if (this.pendingProgress !== null) await store.setProgress(spec.id, spec.leaseToken, this.pendingProgress, clock.now());
      const now = clock.now();
      const settlement = resolveOutcome({ spec, runId: run.id }, result, now, this.deps.cron);
      const applied = await store.settle(settlement);
      if (!applied) {
        events.emit('work:stopped', { id: spec.id, taskName: spec.taskName, attempt: spec.attempt, reason: 'lease-lost' });
        return;
      }
      if (settlement.outcome === 'succeeded') {
        // Written out (no spread of a shared base): this runs once per attempt.
        events.emit('work:succeeded', { id: spec.id, taskName: spec.taskName, attempt: spec.attempt, output: decodeJson(settlement.outputJson), durationMs: now - startedAt });
        return;
      }
      const base = { id: spec.id, taskName: spec.taskName, attempt: spec.attempt };
      if (settlement.outcome === 'retrying') {
        events.emit('work:retrying', { ...base, error: settlement.error ?? '', runAt: settlement.runAt ?? now, rule: settlement.rule ?? null });
      } else if (settlement.outcome === 'failed') {
        events.emit('work:failed', { ...base, error: settlement.error ?? '', rule: settlement.rule ?? null });
      } else if (settlement.outcome === 'stopped' && settlement.stopReason) {
        events.emit('work:stopped', { ...base, reason: settlement.stopReason });
      }
    } catch (error) {
      // The lease will expire and a reconcile will return the work to the queue.
      events.emit('worker:error', { error, during: `settling work ${spec.id}` });
    }
  }

  private async invokeHandler(deadline: number | null): Promise<AttemptResult> {
    const { spec } = this.claim;
    try {
      const input = await this.deps.loadInput(spec);
      const signal = (): AbortSignal => this.signal;
      const output = await this.task.handler({
        id: spec.id,
        taskName: spec.taskName,
        input: input as never,
        attempt: spec.attempt,
        tags: spec.tags,
        get signal() {
          return signal();
        },
        deadline,
        progress: (value) => this.reportProgress(value),
      });
      try {
        return { kind: 'success', outputJson: encodeJson(output, `The output of task "${spec.taskName}"`, this.deps.maxOutputBytes) };
      } catch (error) {
        // The same handler would return the same unstorable output: retrying cannot help.
        return { kind: 'error', error: new NonRetryableError((error as Error).message) };
      }
    } catch (error) {
      return this.classify(error);
    }
  }

  /** Runs the classifier on a handler's error; a throwing classifier is journalled, not fatal. */
  private classify(error: unknown): AttemptResult {
    if (!this.deps.classifier || error instanceof NonRetryableError || error instanceof RetryLaterError) return { kind: 'error', error };
    let classifierFailure: string | undefined;
    const retry = decideRetry(this.deps.classifier, error, this.claim.spec.attempt, (e) => {
      classifierFailure = `classifier-failed: ${e instanceof Error ? e.message : String(e)}`;
      this.deps.events.emit('worker:error', { error: e, during: `classifying an error of work ${this.id}` });
    });
    if (classifierFailure) return { kind: 'error', error, retry: { rule: classifierFailure, retryInMs: undefined } };
    return { kind: 'error', error, retry };
  }

  private scheduleHeartbeat(): void {
    const { clock, store, leaseMs } = this.deps;
    const interval = Math.max(1, Math.floor(leaseMs / 3));
    const beat = async (): Promise<void> => {
      if (this.finished) return;
      const { spec } = this.claim;
      try {
        const held = await store.heartbeat({ id: spec.id, leaseToken: spec.leaseToken, now: clock.now(), leaseMs });
        if (this.finished) return;
        if (!held) {
          // Someone took the work away: a cancel from another process, or a reconcile after our lease ran out.
          const current = await store.get(spec.id);
          const cancelled = current?.state === 'cancelled';
          this.stop(cancelled ? 'cancelled' : 'lease-lost');
          // A cancel in this process is announced by the engine; one from elsewhere, only here.
          if (cancelled) this.deps.events.emit('work:cancelled', { id: spec.id });
          return;
        }
      } catch (error) {
        this.deps.events.emit('worker:error', { error, during: `renewing the lease of work ${spec.id}` });
      }
      if (!this.finished) this.timers.push(clock.setTimeout(() => void beat(), interval));
    };
    this.timers.push(clock.setTimeout(() => void beat(), interval));
  }

  private reportProgress(value: unknown): void {
    const { spec } = this.claim;
    const json = encodeJson(value, `The progress of task "${spec.taskName}"`, this.deps.maxOutputBytes);
    if (this.finished) return;
    this.deps.events.emit('work:progress', { id: spec.id, taskName: spec.taskName, progress: decodeJson(json) });
    this.pendingProgress = json;
    if (this.progressWrite === null && this.progressTimer === null) this.flushProgress();
  }

  /** Writes the latest progress at most once per interval, always ending with the newest value. */
  private flushProgress(): void {
    const { spec } = this.claim;
    const json = this.pendingProgress;
    if (json === null || this.finished) return;
    this.pendingProgress = null;
    this.progressWrite = this.deps.store
      .setProgress(spec.id, spec.leaseToken, json, this.deps.clock.now())
      .catch((error: unknown) => this.deps.events.emit('worker:error', { error, during: `saving progress of work ${spec.id}` }))
      .finally(() => {
        this.progressWrite = null;
        if (this.pendingProgress !== null && !this.finished) {
          this.progressTimer = this.deps.clock.setTimeout(() => {
            this.progressTimer = null;
            this.flushProgress();
          }, PROGRESS_WRITE_INTERVAL_MS);
        }
      });
  }
}
