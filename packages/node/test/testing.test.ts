/**
 * `offstage/testing`: core's test driver with the preset's cron parser, so users of the `offstage`
 * package unit-test cron tasks on a virtual clock, through the package's own export map.
 */
import { describe, expect, it } from 'vitest';
import { createTestDriver, VirtualClock, type TestDriver } from 'offstage/testing';
import type { CronParser } from 'offstage';

describe('offstage/testing', () => {
  it('runs a cron task on virtual time, in its time zone, without passing a cron parser', async () => {
    const runs: string[] = [];
    const driver: TestDriver = await createTestDriver({
      startAt: Date.UTC(2030, 0, 1),
      tasks: { report: () => void runs.push(new Date(driver.now()).toISOString()) },
    });
    try {
      const { id } = await driver.engine.enqueuePeriodic('report', { cron: '0 3 * * *', timezone: 'Europe/Paris' });
      await driver.advance('2d');
      expect(runs).toEqual(['2030-01-01T02:00:00.000Z', '2030-01-02T02:00:00.000Z']);
      expect((await driver.info(id)).nextRunAt?.toISOString()).toBe('2030-01-03T02:00:00.000Z');
    } finally {
      await driver.dispose();
    }
    expect(new VirtualClock(5).now()).toBe(5);
  });

  it('uses the cron parser it is given instead', async () => {
    const hourly: CronParser = { next: (_expression, _zone, after) => after - (after % 3_600_000) + 3_600_000 };
    const driver = await createTestDriver({ startAt: 0, cron: hourly, tasks: { t: () => 'ok' } });
    try {
      const info = await driver.engine.enqueuePeriodic('t', { cron: 'anything at all' });
      expect(info.nextRunAt?.getTime()).toBe(3_600_000);
    } finally {
      await driver.dispose();
    }
  });
});
