/**
 * 1,000 hourly periodic items on a SQLite file, one virtual day: each runs exactly once per
 * period, 24,000 runs in all, every run at its exact hour (no drift, because each next run is
 * computed from the completed one and the virtual handlers take no time).
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createTestDriver } from '@offstage/core/testing';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();
const HOUR = 3_600_000;

it('runs 1,000 hourly series exactly once per period for a day: 24,000 runs, no drift', async () => {
  const store = openSqliteStore(join(tempDir(), 'day.db'));
  const runs = new Map<string, number[]>();
  const driver = await createTestDriver({
    store,
    concurrency: 64,
    keepResultsFor: null,
    tasks: {
      hourly: ({ id }) => {
        const list = runs.get(id) ?? [];
        list.push(driver.now());
        runs.set(id, list);
      },
    },
  });
  const t0 = driver.now();
  for (let i = 0; i < 1000; i++) await driver.engine.enqueuePeriodic('hourly', { every: '1h', input: i });
  await driver.advanceTo(t0 + 24 * HOUR - 1);

  expect(runs.size).toBe(1000);
  let total = 0;
  for (const times of runs.values()) {
    total += times.length;
    expect(times.map((t) => (t - t0) / HOUR)).toEqual(Array.from({ length: 24 }, (_, k) => k));
  }
  expect(total).toBe(24_000);
  const journal = await store.runs({ limit: 30_000 });
  expect(journal).toHaveLength(24_000);
  expect(journal.every((r) => r.outcome === 'succeeded')).toBe(true);
  const items = await store.query({ limit: 2000 });
  expect(items.every((s) => s.state === 'enqueued' && s.runAt === t0 + 24 * HOUR)).toBe(true);
  await driver.dispose();
}, 180_000);
