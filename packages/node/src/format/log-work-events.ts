/**
 * One log line per lifecycle event of an engine, for `offstage worker` and the demo's plain
 * output: aligned text for people, or one JSON object per line for machines. It only listens; it
 * must never call back into the engine.
 */
import { formatDuration, type WorkEngine, type WorkEvents } from '@offstage/core';

/**
 * Options for {@link logWorkEvents}.
 *
 * @example
 * const options: LogWorkEventsOptions = { write: (line) => process.stdout.write(line), json: true }
 */
export interface LogWorkEventsOptions {
  /** Receives each line (with its newline). */
  write: (line: string) => void;
  /** Receives `worker:error` lines. Default: `write`. */
  writeError?: (line: string) => void;
  /** Write NDJSON (`{"event":"work:started","at":"…",…}`) instead of text. */
  json?: boolean;
  /** Also log `work:progress` (noisy). Default false. */
  progress?: boolean;
}

/**
 * The events {@link logWorkEvents} writes (all but `work:enqueued`).
 *
 * @example
 * const event: LoggedEvent = 'work:retrying'
 */
export type LoggedEvent = Exclude<keyof WorkEvents, 'work:enqueued'>;
const EVENTS: readonly LoggedEvent[] = ['work:started', 'work:progress', 'work:succeeded', 'work:retrying', 'work:failed', 'work:stopped', 'work:cancelled', 'worker:error'];

/**
 * Subscribes to an engine's lifecycle events and writes one line per event; returns a function
 * that unsubscribes.
 *
 * @example
 * const off = logWorkEvents(engine, { write: (line) => process.stdout.write(line) })
 * // 12:00:01.123  started    sync-data     3f2a9c1e-…  attempt 1
 */
export function logWorkEvents(engine: WorkEngine, options: LogWorkEventsOptions): () => void {
  const offs = EVENTS.filter((e) => options.progress || e !== 'work:progress').map((event) =>
    engine.on(event, (payload: WorkEvents[LoggedEvent]) => {
      const out = event === 'worker:error' ? (options.writeError ?? options.write) : options.write;
      out(options.json ? `${JSON.stringify(jsonLine(event, payload))}\n` : `${formatWorkEvent(event, payload)}\n`);
    }),
  );
  return () => offs.forEach((off) => off());
}

/**
 * Formats one event as a text line (without the newline), prefixed with the local time.
 *
 * @example
 * formatWorkEvent('work:stopped', { id, taskName: 'upload', attempt: 2, reason: 'shutdown' })
 */
export function formatWorkEvent(event: LoggedEvent, payload: WorkEvents[LoggedEvent], at: Date = new Date()): string {
  const time = formatClockTime(at);
  const p = payload as Partial<WorkEvents['work:succeeded'] & WorkEvents['work:retrying'] & WorkEvents['work:stopped'] & WorkEvents['worker:error']>;
  const head = (word: string): string => `${time}  ${word.padEnd(9)}  ${(p.taskName ?? '').padEnd(14)}  ${p.id ?? ''}`;
  switch (event) {
    case 'work:started':
      return `${head('started')}  attempt ${p.attempt}`;
    case 'work:progress':
      return `${head('progress')}  ${JSON.stringify((payload as WorkEvents['work:progress']).progress)}`;
    case 'work:succeeded':
      return `${head('succeeded')}  attempt ${p.attempt} in ${formatDuration(p.durationMs ?? 0)}`;
    case 'work:retrying':
      return `${head('retrying')}  attempt ${p.attempt} failed: ${p.error}; next attempt in ${formatDuration(Math.max(0, (p.runAt ?? 0) - at.getTime()))}${ruleNote(p.rule)}`;
    case 'work:failed':
      return `${head('failed')}  attempt ${p.attempt} failed for good: ${p.error}${ruleNote(p.rule)}`;
    case 'work:stopped':
      return `${head('stopped')}  attempt ${p.attempt} (${p.reason}); back in the queue, not charged`;
    case 'work:cancelled':
      return `${time}  cancelled  ${p.id ?? ''}`;
    default:
      return `${time}  error      while ${p.during}: ${errorMessage(p.error)}`;
  }
}

/**
 * A local wall-clock time with milliseconds, as every log line starts: `12:00:01.123`.
 *
 * @example
 * formatClockTime(new Date()) // '14:03:27.512'
 */
export function formatClockTime(at: Date = new Date()): string {
  return `${at.toTimeString().slice(0, 8)}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function jsonLine(event: LoggedEvent, payload: WorkEvents[LoggedEvent]): Record<string, unknown> {
  const line: Record<string, unknown> = { event, at: new Date().toISOString(), ...payload };
  if (event === 'worker:error') line.error = errorMessage((payload as WorkEvents['worker:error']).error);
  return line;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** ` (rule server-error)` when a retry rule decided, else nothing. */
function ruleNote(rule: string | null | undefined): string {
  return rule ? ` (rule ${rule})` : '';
}
