/**
 * Periodic schedules: validation and the next-run rule. Pure. The next run is computed from the
 * moment the previous run completed (WorkManager's rule), so downtime yields one catch-up run,
 * never a burst. Cron parsing is injected (a `CronParser`), so core keeps zero dependencies.
 */
import { InvalidScheduleError } from '../errors.js';
import { describeValue, quoteText } from '../model/describe-value.js';
import { parseDuration } from '../model/duration.js';
import type { PeriodicWorkRequest, Schedule } from '../model/work.js';

/**
 * Evaluates cron expressions. The Node preset supplies one built on croner.
 *
 * @example
 * const cron: CronParser = { next: (expr, tz, after) => new Cron(expr, { timezone: tz ?? 'UTC' }).nextRun(new Date(after))?.getTime() ?? null }
 */
export interface CronParser {
  /**
   * The first occurrence strictly after `after` (epoch ms), or null when there is none.
   * Throws when the expression or the time zone is invalid.
   */
  next(expression: string, timezone: string | null, after: number): number | null;
}

/**
 * Validates a periodic request's schedule fields and builds the stored {@link Schedule}.
 *
 * @example
 * resolveSchedule({ every: '1h', flex: '15m' }) // { kind: 'interval', intervalMs: 3_600_000, flexMs: 900_000, endOnFailure: false }
 */
export function resolveSchedule(request: PeriodicWorkRequest, cron: CronParser | undefined, now: number): Schedule {
  const endOnFailure = request.endOnFailure ?? false;
  if (request.cron !== undefined) {
    if (request.every !== undefined || request.flex !== undefined) {
      throw new InvalidScheduleError(`A periodic request takes either cron or every (with flex), not both; drop one of them.`);
    }
    if (typeof request.cron !== 'string' || request.cron.trim() === '') {
      throw new InvalidScheduleError(`The cron expression ${describeValue(request.cron)} is empty; write one such as '0 * * * *'.`);
    }
    if (!cron) throw new InvalidScheduleError(`Cron schedules need a cron parser; pass one as the engine's \`cron\` option (createOffstage does).`);
    const timezone = request.timezone ?? null;
    // Intl accepts anything that converts to a zone name (['UTC'], { toString }); a stored zone must be the name itself.
    if (timezone !== null && (typeof timezone !== 'string' || !isTimeZone(timezone))) {
      throw new InvalidScheduleError(`The time zone ${quoteText(timezone)} is unknown; use an IANA name such as 'Europe/Paris' or 'UTC'.`);
    }
    let next: number | null;
    try {
      next = cron.next(request.cron, timezone, now);
    } catch (error) {
      throw new InvalidScheduleError(`The cron expression ${quoteText(request.cron)} does not parse (${describeError(error)}); use 5 or 6 fields such as '0 * * * *'.`);
    }
    if (next === null) throw new InvalidScheduleError(`The cron expression ${quoteText(request.cron)} never fires after now; give one with future occurrences.`);
    return { kind: 'cron', expression: request.cron, timezone, endOnFailure };
  }
  if (request.timezone !== undefined) throw new InvalidScheduleError(`A time zone only applies to cron schedules; drop timezone or use cron.`);
  if (request.every === undefined) throw new InvalidScheduleError(`A periodic request needs every (such as '15m') or cron (such as '0 * * * *').`);
  const intervalMs = parseDuration(request.every, 'every');
  if (intervalMs <= 0) throw new InvalidScheduleError(`The interval must be above zero, not ${String(request.every)}; use a duration such as '15m'.`);
  const flexMs = request.flex === undefined ? 0 : parseDuration(request.flex, 'flex');
  if (flexMs > intervalMs) {
    throw new InvalidScheduleError(`The flex window (${String(request.flex)}) is wider than the interval (${String(request.every)}); use a flex of at most the interval.`);
  }
  return { kind: 'interval', intervalMs, flexMs, endOnFailure };
}

/**
 * When the first run of a new series is due: after the delay, plus `interval - flex` when a flex
 * window is set (the first period's window), or at the first cron occurrence after that.
 */
export function firstRunAt(schedule: Schedule, start: number, cron: CronParser | undefined): number {
  if (schedule.kind === 'interval') return schedule.flexMs > 0 ? start + schedule.intervalMs - schedule.flexMs : start;
  return cronNext(schedule, start - 1, cron) ?? start;
}

/**
 * When the next period's run is due, given when the previous run completed; null when a cron
 * series has no further occurrence.
 *
 * @example
 * nextRunAt({ kind: 'interval', intervalMs: 3_600_000, flexMs: 0, endOnFailure: false }, completedAt) // completedAt + 1h
 */
export function nextRunAt(schedule: Schedule, completedAt: number, cron: CronParser | undefined): number | null {
  if (schedule.kind === 'interval') return completedAt + schedule.intervalMs - schedule.flexMs;
  return cronNext(schedule, completedAt, cron);
}

function cronNext(schedule: Extract<Schedule, { kind: 'cron' }>, after: number, cron: CronParser | undefined): number | null {
  if (!cron) throw new InvalidScheduleError(`Cron schedules need a cron parser; pass one as the engine's \`cron\` option (createOffstage does).`);
  return cron.next(schedule.expression, schedule.timezone, after);
}

/** A cron parser's complaint, on one line. */
function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : describeValue(error);
  return text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}

/** Whether the runtime knows an IANA time zone (through Intl, present in every modern runtime). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
