/**
 * Scenario 1, crash at any moment: a real worker process runs a mixed workload (one-time work
 * that fails its first attempts, periodic work on a short interval, chains, unique work under
 * keep / replace / append) while this test SIGKILLs it at random moments (during start-up, mid
 * claim, mid handler, mid settle) and starts a new one, enqueueing more work as it goes. At the
 * end a last worker drains everything, and the store, its journal and the handlers' invocation
 * log must agree: nothing lost, nothing stuck, every periodic series still scheduled, chains
 * intact, and handler re-runs only for attempts that were in flight at a kill.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { WorkEngine, WorkInfo, WorkSpec } from '@offstage/core';
import {
  bySize,
  chainViolations,
  completions,
  consistencyViolations,
  createRandom,
  killAllWorkers,
  overlapViolations,
  readInvocations,
  reportFigures,
  settleViolations,
  sleep,
  snapshot,
  spawnWorker,
  storeTarget,
  tempDirs,
  waitUntil,
  type WorkerProcess,
} from '../src/index.js';
import type { WorkerConfig } from './fixtures/worker.js';

const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const target = storeTarget();
const temp = tempDirs();
afterEach(killAllWorkers);
afterAll(temp.cleanup);
afterAll(() => target.cleanup());

const ROUNDS = bySize({ default: 8, full: 50 });
const CONCURRENCY = 4;
const LEASE_MS = 1000;
const PERIOD_MS = 400;
/** Attempts the fixture `job` task allows: an item with failFirst >= this fails for good. */
const MAX_ATTEMPTS = 3;
const UNIQUE_POLICIES = ['keep', 'replace', 'append'] as const;

/** Work a dead worker held when it was killed, and when it was let go. */
interface Kill {
  round: number;
  at: number;
  owner: string;
  held: string[];
  recoveredAt: number | null;
}

describe(`crash at any moment (${target.name})`, () => {
  it(`loses nothing across ${ROUNDS} SIGKILLs at random moments`, async () => {
    const random = createRandom();
    const dir = temp.make();
    const location = await target.prepare(dir);
    const log = join(dir, 'invocations.log');
    // The test's own engine: it enqueues and reads, and never starts a worker loop.
    const driver: WorkEngine = await target.createEngine(location, {});
    const store = driver.store;
    const config: WorkerConfig = { target: target.name, location, log, concurrency: CONCURRENCY, leaseTime: `${LEASE_MS}ms`, tasks: ['job', 'tick'] };

    const periodic: string[] = [];
    for (let i = 0; i < 3; i++) periodic.push((await driver.enqueuePeriodic('tick', { every: `${PERIOD_MS}ms`, input: { log, ms: 20 }, allowUnregistered: true })).id);
    periodic.push((await driver.enqueueUniquePeriodic('tick-series', 'tick', 'keep', { every: `${PERIOD_MS}ms`, input: { log }, allowUnregistered: true })).work.id);

    const enqueued = new Set<string>();
    const add = (infos: readonly WorkInfo[]): void => infos.forEach((i) => enqueued.add(i.id));
    const job = (): { input: { log: string; ms: number; failFirst: number } } => ({
      input: { log, ms: random.int(0, 250), failFirst: random.pick([0, 0, 0, 0, 0, 0, 1, 1, 2, MAX_ATTEMPTS]) },
    });
    /** One round's new work: six one-time items, a diamond-ish chain, one unique enqueue. */
    const enqueueRound = async (round: number): Promise<void> => {
      add(await driver.enqueueMany('job', Array.from({ length: 6 }, () => ({ ...job(), allowUnregistered: true }))));
      const step = (): { task: string; allowUnregistered: boolean; input: { log: string; ms: number; failFirst: number } } => ({ task: 'job', allowUnregistered: true, ...job() });
      add((await driver.beginWith([step(), step()]).then(step()).then(step()).enqueue()).work);
      // Unique work under each policy in turn; `update` moves the unique periodic series along.
      const policy = UNIQUE_POLICIES[round % UNIQUE_POLICIES.length]!;
      const unique = await driver.enqueueUnique(`u-${policy}`, 'job', policy, { ...job(), allowUnregistered: true });
      if (unique.outcome !== 'kept') enqueued.add(unique.work.id);
      if (round % 5 === 4) await driver.enqueueUniquePeriodic('tick-series', 'tick', 'update', { every: `${PERIOD_MS}ms`, input: { log, ms: 10 }, allowUnregistered: true });
    };

    const kills: Kill[] = [];
    const unexpectedExits: string[] = [];
    // Watches every kill's held work until no item is still held by the dead owner, and checks that
    // no single read ever shows two unfinished items under a `keep` or `replace` unique name.
    const uniqueViolations: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const unfinished = await store.query({ uniqueNames: ['u-keep', 'u-replace'], states: ['enqueued', 'running', 'blocked'], limit: 100 });
        for (const name of ['u-keep', 'u-replace']) {
          const same = unfinished.filter((s) => s.uniqueName === name);
          if (same.length > 1) uniqueViolations.push(`${name}: ${same.map((s) => `${s.id} ${s.state}`).join(', ')}`);
        }
        for (const k of kills.filter((k) => k.recoveredAt === null)) {
          const items = await store.query({ ids: k.held, limit: k.held.length });
          if (!items.some((s) => s.state === 'running' && s.leaseOwner === k.owner)) k.recoveredAt = Date.now();
        }
        await sleep(25);
      }
    })();

    let worker: WorkerProcess | null = null;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        worker = spawnWorker(WORKER, config);
        // Start-up takes about a second: a third of the kills land before the worker is ready.
        const killAfter = random.int(300, 2800);
        const enqueueing = sleep(random.int(0, killAfter + 300)).then(() => enqueueRound(round));
        await sleep(killAfter);
        if (worker.hasExited()) unexpectedExits.push(`round ${round}: ${JSON.stringify(await worker.exited)} ${worker.stderr()}`);
        worker.kill('SIGKILL');
        await worker.exited;
        const at = Date.now();
        const owner = `${hostname()}:${worker.pid}`;
        const held = (await store.query({ states: ['running'], limit: 10_000 })).filter((s) => s.leaseOwner === owner).map((s) => s.id);
        if (held.length > 0) kills.push({ round, at, owner, held, recoveredAt: null });
        await enqueueing;
      }

      // The last worker drains everything.
      worker = spawnWorker(WORKER, config);
      const ready = await worker.waitFor((m) => m.type === 'ready');
      const drainStart = Date.now();
      await waitUntil(
        'every one-time item to finish',
        async () => (await store.query({ states: ['enqueued', 'running', 'blocked'], limit: 10_000 })).every((s) => s.schedule !== null),
        bySize({ default: 60_000, full: 180_000 }),
        100,
      );
      await waitUntil('every kill to be recovered', () => kills.every((k) => k.recoveredAt !== null), 30_000);
      // Each periodic series must still run under the last worker: it was not lost or stalled.
      const finalPid = Number(ready.pid);
      await waitUntil('every periodic series to run under the last worker', () => {
        const done = readInvocations(log).filter((e) => e.e === 'done' && e.pid === finalPid && e.at >= drainStart);
        return periodic.every((id) => done.some((e) => e.id === id));
      }, 20 * PERIOD_MS + 10_000);
      const now = Date.now();
      const series = await store.query({ ids: periodic, limit: periodic.length });
      const unscheduled = series
        .filter((s) => !(s.state === 'running' || (s.state === 'enqueued' && s.runAt <= now + PERIOD_MS && s.runAt > now - 5 * PERIOD_MS)))
        .map((s) => `${s.id} is ${s.state} with runAt ${s.runAt - now} ms from now`);

      worker.kill('SIGTERM');
      const exit = await worker.exited;
      watching = false;
      await watcher;

      const snap = await snapshot(store, Date.now());
      const events = readInvocations(log);
      const byId = new Map(snap.items.map((s) => [s.id, s]));
      const oneTime = snap.items.filter((s) => s.schedule === null);

      // Lost: enqueued but missing, or not in the state its input and its prerequisites call for.
      const wrongState: string[] = [];
      for (const id of enqueued) {
        const s = byId.get(id);
        if (!s) wrongState.push(`${id} is missing`);
        else {
          const expected = expectedStates(s, byId);
          if (!expected.includes(s.state)) wrongState.push(`${id} is ${s.state}, expected ${expected.join(' or ')}`);
        }
      }
      const stuck = snap.items.filter((s) => s.state === 'running' || (s.schedule === null && (s.state === 'enqueued' || s.state === 'blocked')));
      const done = completions(events.filter((e) => byId.get(e.id)?.schedule === null));
      const duplicated = [...done].filter(([, n]) => n > 1);
      const duplicates = duplicated.reduce((sum, [, n]) => sum + n - 1, 0);
      const heldAtKill = new Set(kills.flatMap((k) => k.held));
      const recoveries = kills.map((k) => k.recoveredAt! - k.at);

      reportFigures({
        scenario: 'crash-at-any-moment',
        store: target.name,
        rounds: ROUNDS,
        items: enqueued.size + periodic.length,
        lost: wrongState.length,
        duplicates,
        stuck: stuck.length,
        longestRecoveryMs: recoveries.length ? Math.max(...recoveries) : null,
        extra: {
          kills: ROUNDS,
          'kills-holding-work': kills.length,
          'in-flight-at-kills': heldAtKill.size,
          'lease-lost-rows': snap.runs.filter((r) => r.stopReason === 'lease-lost').length,
          'handler-runs': events.filter((e) => e.e === 'start').length,
          seed: random.seed,
        },
      });

      expect(unexpectedExits).toEqual([]);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(wrongState).toEqual([]);
      expect(stuck.map((s) => `${s.id} ${s.state}`)).toEqual([]);
      expect(oneTime.length).toBeGreaterThanOrEqual(enqueued.size);
      expect(unscheduled).toEqual([]);
      expect(consistencyViolations(snap)).toEqual([]);
      expect(chainViolations(snap)).toEqual([]);
      expect(overlapViolations(snap.runs)).toEqual([]);
      expect(settleViolations(snap)).toEqual([]);
      expect(uniqueViolations).toEqual([]);
      // Only an attempt in flight at a kill may complete twice, and at most once per kill.
      expect(duplicated.filter(([id]) => !heldAtKill.has(id)).map(([id, n]) => `${id} completed ${n} times`)).toEqual([]);
      expect(duplicates).toBeLessThanOrEqual(CONCURRENCY * ROUNDS);
      for (const r of recoveries) expect(r).toBeLessThan(30_000);
    } finally {
      watching = false;
      worker?.kill('SIGKILL');
      await driver.close();
    }
  }, bySize({ default: 120_000, full: 600_000 }));
});

/**
 * The final states an item may be in: a failed prerequisite fails it, a cancelled one cancels
 * it (the chain rule); otherwise it succeeds unless its input fails every attempt, and work
 * under the `replace` unique name may also have been cancelled by a later enqueue.
 */
function expectedStates(s: WorkSpec, byId: ReadonlyMap<string, WorkSpec>): string[] {
  const prereqs = s.prerequisites.map((p) => byId.get(p)?.state);
  if (prereqs.includes('failed')) return ['failed'];
  if (prereqs.includes('cancelled')) return ['cancelled'];
  const failFirst = (JSON.parse(s.inputJson) as { failFirst?: number }).failFirst ?? 0;
  const own = failFirst >= MAX_ATTEMPTS ? 'failed' : 'succeeded';
  return s.uniqueName === 'u-replace' ? [own, 'cancelled'] : [own];
}
