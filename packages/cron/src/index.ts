/**
 * @offstage/cron: the CronParser every preset hands the engine, built on croner (no dependencies
 * of its own, every runtime). Kept out of core so core stays dependency-free.
 */
import { Cron } from 'croner';
import type { CronParser } from '@offstage/core';

/**
 * Evaluates cron expressions (5 or 6 fields, croner's syntax) in an IANA time zone.
 *
 * @example
 * createWorkEngine({ store, cron: cronerParser })
 * cronerParser.next('0 3 * * *', 'Europe/Paris', Date.now()) // next 03:00 in Paris, as epoch ms
 */
export const cronerParser: CronParser = {
  next(expression, timezone, after) {
    // croner loops forever on some non-string zones and non-finite times: refuse them up front.
    if (typeof expression !== 'string') throw new TypeError(`a cron expression must be a string, not ${typeof expression}`);
    if (timezone !== null && typeof timezone !== 'string') throw new TypeError(`a time zone must be a string, not ${typeof timezone}`);
    if (!Number.isFinite(after)) throw new RangeError(`the time to search from must be finite, not ${String(after)}`);
    const cron = new Cron(expression, { timezone: timezone ?? 'UTC', paused: true });
    return cron.nextRun(new Date(after))?.getTime() ?? null;
  },
};
