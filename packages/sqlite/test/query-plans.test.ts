/**
 * The hot paths stay index lookups: every statement claim and nextWakeAt actually run is checked
 * with EXPLAIN QUERY PLAN (no table scan, no sort), on a database holding many future items, many
 * due items of other tasks and many finished ones. A plan that scans would make an idle worker or
 * a claim cost O(queue).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BetterSqlite3Driver, SqliteStore, type BetterSqlite3Database, type SqliteDriver, type SqliteParams, type SqliteRunResult } from '@offstage/sqlite';
import { makeWork } from './make-work.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BetterSqlite3Database;

/** A driver that remembers each statement it ran, with its parameters. */
class RecordingDriver implements SqliteDriver {
  readonly statements: { sql: string; params: SqliteParams }[] = [];
  constructor(readonly inner: SqliteDriver) {}
  exec(sql: string): void {
    this.inner.exec(sql);
  }
  run(sql: string, params: SqliteParams = []): SqliteRunResult {
    this.statements.push({ sql, params });
    return this.inner.run(sql, params);
  }
  get<Row extends object>(sql: string, params: SqliteParams = []): Row | undefined {
    this.statements.push({ sql, params });
    return this.inner.get<Row>(sql, params);
  }
  all<Row extends object>(sql: string, params: SqliteParams = []): Row[] {
    this.statements.push({ sql, params });
    return this.inner.all<Row>(sql, params);
  }
  transaction<T>(fn: () => T): T {
    return this.inner.transaction(fn);
  }
  close(): void {
    this.inner.close();
  }
}

/** The plan lines of every statement recorded while `action` ran. */
async function plansOf(driver: RecordingDriver, action: () => Promise<unknown>): Promise<string[][]> {
  driver.statements.length = 0;
  await action();
  const ran = [...driver.statements];
  return ran.map(({ sql, params }) => driver.inner.all<{ detail: string }>(`explain query plan ${sql}`, params).map((r) => r.detail));
}

/** Plan lines that would read the work table other than through a bounded index range. */
function badLines(plans: string[][]): string[] {
  return plans.flat().filter((line) => {
    if (/TEMP B-TREE/.test(line)) return true;
    // A scan of work is only fine over work_lease_idx: it holds running items only.
    if (/^SCAN work\b/.test(line)) return !line.includes('work_lease_idx');
    return /^SEARCH work\b/.test(line) && !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(line);
  });
}

describe('query plans of the hot paths', () => {
  const raw = new Database(':memory:');
  const driver = new RecordingDriver(new BetterSqlite3Driver(raw));
  const store = new SqliteStore(driver, { path: ':memory:' });

  it('seeds a queue with future, due-elsewhere and finished work', async () => {
    const specs = [];
    for (let i = 0; i < 3_000; i++) specs.push(makeWork({ id: `future-${i}`, runAt: 1_000_000 + i, priority: [0, 10, 20, 30][i % 4] ?? 10 }));
    for (let i = 0; i < 3_000; i++) specs.push(makeWork({ id: `other-${i}`, taskName: 'other', runAt: i }));
    for (let i = 0; i < 200; i++) specs.push(makeWork({ id: `due-${i}`, runAt: i, priority: [0, 10, 20, 30][i % 4] ?? 10 }));
    await store.enqueue(specs);
    raw.exec('analyze');
  });

  it('claim reads only index ranges and sorts nothing', async () => {
    const first = await store.claim({ now: 500, workerId: 'w', leaseMs: 1_000, limit: 4, taskNames: ['noop'] });
    expect(first.map((c) => c.spec.id)).toEqual(['due-3', 'due-7', 'due-11', 'due-15']);
    for (const taskNames of [['noop'], ['noop', 'missing'], ['noop', 'other', 'x', 'y']]) {
      const plans = await plansOf(driver, () => store.claim({ now: 500, workerId: 'w', leaseMs: 1_000, limit: 5, taskNames }));
      expect(plans.length).toBeGreaterThan(0);
      expect(badLines(plans)).toEqual([]);
    }
  });

  it('nextWakeAt reads only index seeks', async () => {
    const plans = await plansOf(driver, () => store.nextWakeAt({ taskNames: ['noop', 'other'], excludeOwner: 'w' }));
    expect(plans).toHaveLength(1);
    expect(badLines(plans)).toEqual([]);
    // due-0 (priority 0, runAt 0) is still waiting: the claims above took priority 30 first.
    expect(await store.nextWakeAt({ taskNames: ['noop'], excludeOwner: 'w' })).toBe(0);
    expect(await store.nextWakeAt({ taskNames: ['missing'], excludeOwner: 'w' })).toBeNull();
  });

  it('heartbeat, settle and reconcile find their rows by index', async () => {
    const [claimed] = await store.claim({ now: 500, workerId: 'w', leaseMs: 1_000, limit: 1, taskNames: ['noop'] });
    if (!claimed) throw new Error('nothing claimed');
    const { spec, run } = claimed;
    const plans = [
      ...(await plansOf(driver, () => store.heartbeat({ id: spec.id, leaseToken: spec.leaseToken, now: 501, leaseMs: 1_000 }))),
      ...(await plansOf(driver, () => store.reconcile(600))),
      ...(await plansOf(driver, () =>
        store.settle({ id: spec.id, leaseToken: spec.leaseToken, runId: run.id, now: 502, state: 'succeeded', attempt: 1, outcome: 'succeeded', error: null, stopReason: null }),
      )),
      ...(await plansOf(driver, () => store.lastRuns([spec.id, 'due-9']))),
      ...(await plansOf(driver, () => store.prune({ finishedBefore: 100 }))),
    ];
    expect(badLines(plans)).toEqual([]);
  });

  it('closes', async () => {
    await store.close();
  });
});
