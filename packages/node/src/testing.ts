/**
 * offstage/testing: `@offstage/core/testing` (a virtual clock and a test driver for unit-testing
 * tasks in milliseconds) with the Node preset's defaults, so cron tasks work in tests exactly as
 * under `createOffstage`. It must never open a database or read the wall clock for scheduling.
 */
import { cronerParser } from '@offstage/cron';
import { createTestDriver as createCoreTestDriver, type TestDriver, type TestDriverOptions } from '@offstage/core/testing';

export { TestDriver, VirtualClock, type TestDriverOptions } from '@offstage/core/testing';

/**
 * Creates a started engine on a virtual clock and a fresh in-memory store, evaluating cron
 * schedules with croner (as `createOffstage` does) unless `cron` is given.
 *
 * @example
 * import { createTestDriver } from 'offstage/testing'
 * const runs: string[] = []
 * const driver = await createTestDriver({ startAt: Date.UTC(2030, 0, 1), tasks: { report: () => void runs.push(new Date(driver.now()).toISOString()) } })
 * await driver.engine.enqueuePeriodic('report', { cron: '0 3 * * *', timezone: 'Europe/Paris' })
 * await driver.advance('1d')
 * // runs: ['2030-01-01T02:00:00.000Z']
 * await driver.dispose()
 */
export function createTestDriver(options: TestDriverOptions = {}): Promise<TestDriver> {
  return createCoreTestDriver({ ...options, cron: options.cron ?? cronerParser });
}
