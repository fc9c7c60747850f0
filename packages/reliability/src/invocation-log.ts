/**
 * The invocation log: handlers in worker processes append one JSON line per event (start, fail,
 * done) to a shared file, so the scenario sees every handler invocation even after a SIGKILL
 * (the store only sees what was settled). Each line is one `appendFileSync`, a single `write(2)`
 * on an `O_APPEND` descriptor, so lines from several processes never interleave.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** One handler event. */
export interface Invocation {
  /** `start` when the handler begins, `fail` when it throws on purpose, `done` when it completes. */
  e: 'start' | 'fail' | 'done';
  /** The work item's id. */
  id: string;
  task: string;
  attempt: number;
  pid: number;
  /** Wall-clock time of the event, in epoch ms. */
  at: number;
}

/**
 * Appends one event to the log at `path`.
 *
 * @example
 * recordInvocation(log, { e: 'start', id, task: 'job', attempt, pid: process.pid, at: Date.now() })
 */
export function recordInvocation(path: string, event: Invocation): void {
  appendFileSync(path, `${JSON.stringify(event)}\n`);
}

/** Reads every event logged at `path`, in the order written (empty when the file is missing). */
export function readInvocations(path: string): Invocation[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Invocation);
}

/**
 * How many times each item's handler completed (`done` events), by id.
 *
 * @example
 * const extra = [...completions(events).values()].reduce((n, c) => n + c - 1, 0)
 */
export function completions(events: readonly Invocation[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ev of events) if (ev.e === 'done') counts.set(ev.id, (counts.get(ev.id) ?? 0) + 1);
  return counts;
}
