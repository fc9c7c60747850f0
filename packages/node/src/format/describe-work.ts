/**
 * Short descriptions of a work item's scheduling for people: its periodic schedule, its priority
 * (or expedited), its attempts and its place in a chain. Shared by `list`, `show`, `enqueue` and
 * `watch` so they always say the same thing. Pure; never used for `--json` output.
 */
import { formatDuration, type Schedule, type WorkInfo } from '@offstage/core';

/**
 * A periodic schedule in a few words: `every 1h`, `every 1h flex 15m`, `cron 0 3 * * * Europe/Paris`
 * (UTC when the schedule names no zone). `long` adds whether a final failure ends the series.
 *
 * @example
 * formatSchedule({ kind: 'cron', expression: '0 3 * * *', timezone: 'Europe/Paris', endOnFailure: false }) // 'cron 0 3 * * * Europe/Paris'
 * formatSchedule({ kind: 'interval', intervalMs: 3_600_000, flexMs: 0, endOnFailure: true }, { long: true }) // 'every 1h, ends on a final failure'
 */
export function formatSchedule(schedule: Schedule, options: { long?: boolean } = {}): string {
  const text =
    schedule.kind === 'interval'
      ? `every ${formatDuration(schedule.intervalMs)}${schedule.flexMs > 0 ? ` flex ${formatDuration(schedule.flexMs)}` : ''}`
      : `cron ${schedule.expression} ${schedule.timezone ?? 'UTC'}`;
  if (!options.long) return text;
  return `${text}, ${schedule.endOnFailure ? 'ends on a final failure' : 'continues after a failed run'}`;
}

/**
 * The priority column: `expedited` for expedited work (it runs ahead of every priority), else the
 * priority name.
 *
 * @example
 * formatPriority({ expedited: true, priority: 'critical' }) // 'expedited'
 */
export function formatPriority(work: Pick<WorkInfo, 'expedited' | 'priority'>): string {
  return work.expedited ? 'expedited' : work.priority;
}

/**
 * Attempts charged of attempts allowed: `1/5`, or `1/-` when the item leaves the limit to its
 * task's definition (known only to a worker that registers the task; 5 if the task says nothing).
 *
 * @example
 * formatAttempts({ attempt: 1, maxAttempts: null }) // '1/-'
 */
export function formatAttempts(work: Pick<WorkInfo, 'attempt' | 'maxAttempts'>): string {
  return `${work.attempt}/${work.maxAttempts ?? '-'}`;
}

/**
 * The list's SCHEDULE column: the periodic schedule, `blocked by N` for work waiting on N
 * unfinished prerequisites, `after N` for chained work no longer waiting, else nothing.
 * `pending` counts the prerequisites of the item that have not succeeded.
 *
 * @example
 * formatScheduleCell(info, 2) // 'blocked by 2'
 */
export function formatScheduleCell(work: Pick<WorkInfo, 'schedule' | 'state' | 'prerequisites'>, pending: number): string {
  if (work.schedule) return formatSchedule(work.schedule);
  if (work.prerequisites.length === 0) return '';
  if (work.state === 'blocked') return `blocked by ${pending}`;
  return `after ${work.prerequisites.length}`;
}

/**
 * A JSON value shortened to `max` characters for one line of text (`-` for undefined).
 *
 * @example
 * shortJson({ path: 'a.jpg' }) // '{"path":"a.jpg"}'
 */
export function shortJson(value: unknown, max = 200): string {
  if (value === undefined) return '-';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
