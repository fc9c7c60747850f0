/**
 * Every benchmark case, in the order `npm run bench` runs and reports them. Some cases depend on
 * the mode (the idle window, the wake-up store sizes), so the list is built per mode.
 */
import type { BenchCase, Mode } from '../lib/harness.js';
import { drainCase } from './drain.js';
import { enqueueBulkCase } from './enqueue-bulk.js';
import { enqueueSingleCase } from './enqueue-single.js';
import { idleCase } from './idle.js';
import { latencyCase } from './latency.js';
import { postgresCases } from './postgres-fleet.js';
import { wakeupCase } from './wakeup.js';

/**
 * All cases for `mode`.
 *
 * @example
 * buildCases('quick').map((c) => c.id)
 */
export function buildCases(mode: Mode): BenchCase[] {
  return [enqueueSingleCase, enqueueBulkCase, drainCase('NORMAL'), drainCase('FULL'), latencyCase, idleCase(mode), wakeupCase(mode), ...postgresCases(mode)];
}

/** The case ids (the same in every mode). */
export const CASE_IDS: readonly string[] = buildCases('full').map((c) => c.id);

/** Names for several cases at once in `--only`: `postgres` is every PostgreSQL case. */
export const CASE_GROUPS: Readonly<Record<string, readonly string[]>> = {
  postgres: postgresCases('full').map((c) => c.id),
};
