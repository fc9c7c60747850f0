/**
 * Typed lifecycle events. Listener errors are caught and reported on `worker:error`; they never
 * break the engine (a throwing listener on `worker:error` itself is swallowed).
 */
import type { StopReason } from '../model/work.js';

/** Every event the engine emits, with its payload. */
export interface WorkEvents {
  'work:enqueued': { id: string; taskName: string; runAt: number };
  'work:started': { id: string; taskName: string; attempt: number; runId: number };
  'work:progress': { id: string; taskName: string; progress: unknown };
  'work:succeeded': { id: string; taskName: string; attempt: number; output: unknown; durationMs: number };
  /** `rule`: the retry rule that decided the delay (such as 'server-error'), or null for the work's own backoff. */
  'work:retrying': { id: string; taskName: string; attempt: number; error: string; runAt: number; rule: string | null };
  /** `rule`: the rule that gave up (such as 'client-error'), or null when the attempts ran out under the work's own backoff. */
  'work:failed': { id: string; taskName: string; attempt: number; error: string; rule: string | null };
  'work:cancelled': { id: string };
  'work:stopped': { id: string; taskName: string; attempt: number; reason: StopReason };
  'worker:error': { error: unknown; during: string };
}

/** A listener for event `E`. */
export type WorkListener<E extends keyof WorkEvents> = (payload: WorkEvents[E]) => void;

/**
 * A small typed event emitter.
 *
 * @example
 * const events = new EventHub()
 * const off = events.on('work:succeeded', ({ id }) => console.log(id))
 * off()
 */
export class EventHub {
  private listeners = new Map<keyof WorkEvents, Set<(payload: never) => void>>();

  /** Subscribes; returns a function that unsubscribes. */
  on<E extends keyof WorkEvents>(event: E, listener: WorkListener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Whether anyone listens to `event` (lets callers skip building payloads). */
  has(event: keyof WorkEvents): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event`; a throwing listener is reported, never rethrown. */
  emit<E extends keyof WorkEvents>(event: E, payload: WorkEvents[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as WorkListener<E>)(payload);
      } catch (error) {
        if (event !== 'worker:error') this.emit('worker:error', { error, during: `a '${event}' listener` });
      }
    }
  }
}
