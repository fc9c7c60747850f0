/**
 * Short descriptions of a work item's scheduling for people: its periodic schedule, its priority
 * (or expedited), its attempts, its place in a chain and its constraints. Shared by `list`,
 * `show`, `enqueue` and `watch` so they always say the same thing. Pure; never used for `--json`
 * output.
 */
import { DEFAULT_MAX_MEMORY, DEFAULT_MIN_BATTERY, formatDuration, type Constraints, type Schedule, type WorkInfo } from '@offstage/core';

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

/**
 * Constraints in the words `waitingFor` uses, thresholds as percentages:
 * `network:unmetered, charging, batteryNotLow (above 20%), memory below 50%`.
 *
 * @example
 * formatConstraints({ network: 'unmetered', batteryNotLow: 0.2 }) // 'network:unmetered, batteryNotLow (above 20%)'
 */
export function formatConstraints(constraints: Constraints | null): string {
  if (!constraints) return '';
  const parts: string[] = [];
  if (constraints.network) parts.push(`network:${constraints.network}`);
  if (constraints.charging) parts.push('charging');
  if (constraints.batteryNotLow !== undefined && constraints.batteryNotLow !== false) {
    parts.push(`batteryNotLow (above ${percent(constraints.batteryNotLow === true ? DEFAULT_MIN_BATTERY : constraints.batteryNotLow)})`);
  }
  if (constraints.storageNotLow) parts.push('storageNotLow');
  if (constraints.deviceIdle) parts.push('deviceIdle');
  if (constraints.memoryBelow !== undefined && constraints.memoryBelow !== false) {
    parts.push(`memory below ${percent(constraints.memoryBelow === true ? DEFAULT_MAX_MEMORY : constraints.memoryBelow)}`);
  }
  return parts.join(', ');
}

/**
 * A fraction as a percentage with no more precision than it has: `0.2` → `20%`, `0.0001` → `0.01%`.
 *
 * @example
 * percent(0.855) // '85.5%'
 */
export function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}
