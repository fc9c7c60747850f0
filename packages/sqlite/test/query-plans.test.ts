/**
 * The hot paths stay index lookups: every statement claim and nextWakeAt actually run is checked
 * with EXPLAIN QUERY PLAN (no table scan, no sort), on a database holding many future items, many
 * due items of other tasks and many finished ones. A plan that scans would make an idle worker or
 * a claim cost O(queue). The same holds for the chain rule (it follows work_deps from the items a
 * change touches), unique enqueues (one range of work_unique_idx), claims under task limits and
 * device conditions, update and prune.
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

/**
 * Plan lines that read a task's whole range of work_claim_idx (every enqueued item of the task, of
 * every rank) instead of one rank's range; and whether the other-priority arm reads its own index.
 * Either would make a claim or a wake-up walk the whole queue of a task.
 */
function rankRangeProblems(plans: string[][]): string[] {
  const lines = plans.flat();
  const problems = lines.filter((line) => line.includes('work_claim_idx') && !line.includes('priority='));
  if (!lines.some((line) => line.includes('work_claim_other_idx'))) problems.push('no arm reads work_claim_other_idx');
  return problems;
}

/**
 * Stricter than {@link badLines}: any table read other than by key or index, under any alias
 * (the chain rule's statements alias work as `p` and `w`), or any sort. Reading json_each (the
 * caller's own id lists), a co-routine, or work_lease_idx (running items only) is fine; `allow`
 * lists further lines a statement may show.
 */
function strictBadLines(plans: string[][], allow: readonly RegExp[] = []): string[] {
  return plans.flat().filter((line) => {
    if (allow.some((re) => re.test(line))) return false;
    if (/TEMP B-TREE/.test(line)) return true;
    if (/^SCAN /.test(line)) return !/VIRTUAL TABLE|^SCAN \(subquery-\d+\)$|^SCAN work USING COVERING INDEX work_lease_idx$/.test(line);
    if (/^SEARCH /.test(line)) return !/USING (COVERING )?INDEX |USING (INTEGER )?PRIMARY KEY|VIRTUAL TABLE|^SEARCH \(subquery-\d+\)$/.test(line);
    return false;
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
      expect(rankRangeProblems(plans)).toEqual([]);
    }
  });

  it('nextWakeAt reads only index seeks', async () => {
    const plans = await plansOf(driver, () => store.nextWakeAt({ taskNames: ['noop', 'other'], excludeOwner: 'w' }));
    expect(plans).toHaveLength(1);
    expect(badLines(plans)).toEqual([]);
    expect(rankRangeProblems(plans)).toEqual([]);
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

describe('query plans without statistics', () => {
  // The store never runs ANALYZE, so in use SQLite plans from its defaults, not from sqlite_stat1.
  const raw = new Database(':memory:');
  const driver = new RecordingDriver(new BetterSqlite3Driver(raw));
  const store = new SqliteStore(driver, { path: ':memory:' });

  it('claim and nextWakeAt read one rank at a time, and other priorities from their own index', async () => {
    await store.enqueue(Array.from({ length: 50 }, (_, i) => makeWork({ id: `w-${i}`, runAt: i, priority: [0, 10, 20, 30][i % 4] ?? 10 })));
    for (const conditions of [undefined, { unmet: 1, battery: 0.5, memory: 0.5 }]) {
      const claim = await plansOf(driver, () => store.claim({ now: 500, workerId: 'w', leaseMs: 1_000, limit: 5, taskNames: ['noop', 'other'], conditions }));
      expect(rankRangeProblems(claim)).toEqual([]);
      const wake = await plansOf(driver, () => store.nextWakeAt({ taskNames: ['noop', 'other'], excludeOwner: 'w', conditions }));
      expect(rankRangeProblems(wake)).toEqual([]);
    }
    await store.close();
  });
});

describe('query plans of chains, unique work, task limits and constraints', () => {
  const raw = new Database(':memory:');
  const driver = new RecordingDriver(new BetterSqlite3Driver(raw));
  const store = new SqliteStore(driver, { path: ':memory:' });
  const lease = { workerId: 'w', leaseMs: 1_000 };
  const offline = { unmet: 1, battery: 0.5, memory: 0.5 };

  it('seeds future work, chains, unique names and work waiting for a network', async () => {
    const specs = [];
    for (let i = 0; i < 3_000; i++) specs.push(makeWork({ id: `future-${i}`, runAt: 1_000_000 + i }));
    for (let c = 0; c < 200; c++) {
      for (let step = 0; step < 5; step++) {
        const prerequisites = step === 0 ? [] : [`c${c}-${step - 1}`];
        specs.push(makeWork({ id: `c${c}-${step}`, taskName: 'chain', state: step === 0 ? 'enqueued' : 'blocked', prerequisites }));
      }
    }
    for (let u = 0; u < 500; u++) {
      for (let k = 0; k < 2; k++) specs.push(makeWork({ id: `u${u}-${k}`, uniqueName: `name-${u}`, runAt: 1_000_000 }));
    }
    for (let i = 0; i < 200; i++) specs.push(makeWork({ id: `net-${i}`, runAt: i, constraintMask: 1 }));
    await store.enqueue(specs);
    raw.exec('analyze');
  });

  it('the chain rule follows work_deps from the items a change touches', async () => {
    const claimChain = async (now: number) => {
      const [claimed] = await store.claim({ ...lease, now, limit: 1, taskNames: ['chain'] });
      if (!claimed) throw new Error('no chain step due');
      return claimed;
    };
    const settle = (c: Awaited<ReturnType<typeof claimChain>>, now: number, state: 'succeeded' | 'failed') =>
      store.settle({ id: c.spec.id, leaseToken: c.spec.leaseToken, runId: c.run.id, now, state, attempt: 1, outcome: state, error: null, stopReason: null });
    const first = await claimChain(1);
    const plans = [...(await plansOf(driver, () => settle(first, 2, 'succeeded')))];
    expect(await store.get(first.spec.id.replace(/-0$/, '-1'))).toMatchObject({ state: 'enqueued', runAt: 2 });
    const second = await claimChain(3);
    plans.push(...(await plansOf(driver, () => settle(second, 4, 'failed'))));
    plans.push(...(await plansOf(driver, () => store.cancel({ ids: ['c150-0'], now: 5 }))));
    plans.push(...(await plansOf(driver, () => store.enqueue([makeWork({ id: 'after-failed', state: 'blocked', prerequisites: [second.spec.id, 'future-1'] })]))));
    expect(badLines(plans)).toEqual([]);
    expect(strictBadLines(plans)).toEqual([]);
    // The cascades really ran: they are what the plans above were taken from.
    expect((await store.query({ ids: ['c150-4', 'after-failed'] })).map((s) => s.state)).toEqual(['failed', 'cancelled']);
  });

  it('a unique enqueue reads its name through work_unique_idx and applies its plan by key', async () => {
    const plans = await plansOf(driver, () =>
      store.enqueueUnique('name-3', 10, (existing) => ({
        insert: [makeWork({ id: 'u3-next', uniqueName: 'name-3', state: 'blocked', prerequisites: existing.map((s) => s.id).slice(1) })],
        cancel: existing.slice(0, 1).map((s) => s.id),
        update: existing.slice(1).map((s) => ({ id: s.id, fields: { priority: 20, tags: ['moved'] } })),
      })),
    );
    expect(plans[0]?.join('\n')).toContain('work_unique_idx (unique_name=?)');
    expect(strictBadLines(plans)).toEqual([]);
    expect((await store.query({ uniqueNames: ['name-3'] })).map((s) => [s.id, s.state])).toEqual([
      ['u3-next', 'blocked'],
      ['u3-1', 'enqueued'],
      ['u3-0', 'cancelled'],
    ]);
  });

  it('claims under task limits and device conditions, and nextWakeAt under conditions, read index ranges only', async () => {
    const plans = await plansOf(driver, () =>
      store.claim({ ...lease, now: 500, limit: 5, taskNames: ['noop', 'chain'], taskLimits: { chain: 1, noop: 3 }, conditions: offline }),
    );
    plans.push(...(await plansOf(driver, () => store.nextWakeAt({ taskNames: ['noop', 'chain'], excludeOwner: 'w', conditions: offline }))));
    expect(badLines(plans)).toEqual([]);
    expect(strictBadLines(plans)).toEqual([]);
    // Offline, the network items stay; the unique items are not due: nothing of noop to claim.
    expect(await store.nextWakeAt({ taskNames: ['noop'], conditions: offline })).toBe(1_000_000);
    expect(await store.nextWakeAt({ taskNames: ['noop'], conditions: { ...offline, unmet: 0 } })).toBe(0);
  });

  it('typicalDurations walks the journal newest first through runs_started_idx, never sorting', async () => {
    const plans = await plansOf(driver, () => store.typicalDurations(['chain', 'noop'], 20));
    expect(plans).toHaveLength(2);
    expect(strictBadLines(plans, [/^SCAN runs USING INDEX runs_started_idx$/])).toEqual([]);
    // One chain step succeeded so far: claimed at 1, settled at 2.
    expect([...(await store.typicalDurations(['chain', 'noop'], 20))]).toEqual([['chain', 1]]);
  });

  it('update, prune and the unique and dependents filters of query use indexes (query sorts its page)', async () => {
    const plans = [
      ...(await plansOf(driver, () => store.update('future-7', { priority: 30, tags: ['x'], backoff: null, constraintMask: 2 }, 20))),
      ...(await plansOf(driver, () => store.prune({ finishedBefore: 100 }))),
    ];
    expect(strictBadLines(plans)).toEqual([]);
    const queryPlans = [
      ...(await plansOf(driver, () => store.query({ uniqueNames: ['name-1', 'name-2'] }))),
      ...(await plansOf(driver, () => store.query({ dependentsOf: 'c9-1' }))),
    ];
    expect(strictBadLines(queryPlans, [/^USE TEMP B-TREE FOR ORDER BY$/])).toEqual([]);
    expect(queryPlans.flat().join('\n')).toMatch(/work_unique_idx[\s\S]*work_deps_prerequisite_idx/);
  });

  it('closes', async () => {
    await store.close();
  });
});
