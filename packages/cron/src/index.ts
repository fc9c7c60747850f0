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
    const cron = new Cron(expression, { timezone: timezone ?? 'UTC', paused: true });
    return cron.nextRun(new Date(after))?.getTime() ?? null;
  },
};
