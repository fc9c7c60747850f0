/**
 * Scenario 2, contention: four worker processes on one store, each enqueueing its share (in
 * batches, plus unique work racing on a few shared names) while all four claim and run the same
 * task. No item may be claimed twice (no overlapping attempts in the journal, one handler start
 * per item), no settle may land under a stale lease (exactly one succeeded journal row per item),
 * `keep` must hold across processes, and no store error (SQLite's "database is locked" /
 * SQLITE_BUSY; PostgreSQL's deadlocks, serialization failures, dropped or refused connections: the
 * target's `storeErrorPattern`) may reach a user: not on stderr, not as a `worker:error` event, not
 * from an enqueue.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  bySize,
  completions,
  consistencyViolations,
  killAllWorkers,
  overlapViolations,
  readInvocations,
  reportFigures,
  settleViolations,
  snapshot,
  spawnWorker,
  storeTarget,
  sleep,
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

const PROCESSES = 4;
const PER_PROCESS = bySize({ default: 150, full: 1000 });

describe(`contention (${target.name})`, () => {
  it(`${PROCESSES} processes enqueue and work on one store without double claims or store errors`, async () => {
    const dir = temp.make();
    const location = await target.prepare(dir);
    const log = join(dir, 'invocations.log');
    const observer = await target.createEngine(location, {});
    const store = observer.store;
    const workers: WorkerProcess[] = [];
    try {
      const started = Date.now();
      for (let i = 0; i < PROCESSES; i++) {
        const config: WorkerConfig = {
          target: target.name,
          location,
          log,
          concurrency: 4,
          // Long enough that no lease can run out while its owner is alive: any second claim is a bug.
          leaseTime: '20s',
          tasks: ['job'],
          enqueue: { task: 'job', count: PER_PROCESS, batch: 10, pauseMs: 5, input: { ms: 5 }, uniqueNames: 5 },
        };
        workers.push(spawnWorker(WORKER, config));
      }
      // `keep` across processes, observed: no single read of the store ever shows two unfinished
      // items under one shared name. (createdAt is taken before the insert's transaction waits for
      // the lock, so comparing it with another item's finish time would not be sound.)
      const keepViolations: string[] = [];
      let sampling = true;
      const sampler = (async () => {
        const names = Array.from({ length: 5 }, (_, i) => `shared-${i}`);
        while (sampling) {
          const unfinished = await store.query({ uniqueNames: names, states: ['enqueued', 'running', 'blocked'], limit: 100 });
          for (const name of names) {
            const same = unfinished.filter((s) => s.uniqueName === name);
            if (same.length > 1) keepViolations.push(`${name}: ${same.map((s) => `${s.id} ${s.state}`).join(', ')}`);
          }
          await sleep(20);
        }
      })();
      const reports = await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'enqueued' || m.type === 'enqueue-error', 120_000)));
      const ids = reports.flatMap((r) => (r.ids as string[] | undefined) ?? []);
      await waitUntil(
        'every item to succeed',
        async () => {
          const counts = await store.counts(Date.now());
          return counts.every((c) => c.state === 'succeeded') && counts.reduce((n, c) => n + c.count, 0) === ids.length;
        },
        bySize({ default: 90_000, full: 300_000 }),
        100,
      );
      const elapsed = Date.now() - started;
      sampling = false;
      await sampler;
      for (const w of workers) w.kill('SIGTERM');
      const exits = await Promise.all(workers.map((w) => w.exited));

      const snap = await snapshot(store, Date.now());
      const events = readInvocations(log);
      const starts = new Map<string, number>();
      for (const e of events) if (e.e === 'start') starts.set(e.id, (starts.get(e.id) ?? 0) + 1);
      const doubleStarts = [...starts].filter(([, n]) => n > 1);
      const duplicates = [...completions(events).values()].reduce((sum, n) => sum + n - 1, 0);
      const errors = workers.flatMap((w) => w.messages().filter((m) => m.event === 'worker:error' || m.type === 'enqueue-error'));
      const storeErrorLines = workers.flatMap((w) => w.stderr().split('\n').filter((l) => target.storeErrorPattern.test(l)));
      const present = new Set(snap.items.map((s) => s.id));
      const lost = ids.filter((id) => !present.has(id));
      const share = workers.map((w) => events.filter((e) => e.e === 'done' && e.pid === w.pid).length);

      reportFigures({
        scenario: 'contention',
        store: target.name,
        rounds: PROCESSES,
        items: ids.length,
        lost: lost.length,
        duplicates,
        stuck: snap.items.filter((s) => s.state !== 'succeeded').length,
        longestRecoveryMs: null,
        extra: {
          'unique-inserted': reports.reduce((n, r) => n + Number(r.unique ?? 0), 0),
          'journal-rows': snap.runs.length,
          'store-errors': storeErrorLines.length,
          'worker-errors': errors.length,
          share: share.join('/'),
          'items-per-s': Math.round((ids.length / elapsed) * 1000),
        },
      });

      expect(reports.map((r) => r.type)).toEqual(Array(PROCESSES).fill('enqueued'));
      expect(exits).toEqual(Array(PROCESSES).fill({ code: 0, signal: null }));
      expect(storeErrorLines).toEqual([]);
      expect(errors).toEqual([]);
      expect(workers.map((w) => w.stderr())).toEqual(Array(PROCESSES).fill(''));
      expect(lost).toEqual([]);
      expect(snap.items).toHaveLength(ids.length);
      expect(overlapViolations(snap.runs)).toEqual([]);
      expect(settleViolations(snap)).toEqual([]);
      expect(consistencyViolations(snap)).toEqual([]);
      // One claim per item: one journal row and one handler start each.
      expect(snap.runs).toHaveLength(ids.length);
      expect(doubleStarts).toEqual([]);
      expect(duplicates).toBe(0);
      expect(keepViolations).toEqual([]);
      // The work really was shared: more than one process ran some of it.
      expect(share.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      await observer.close();
    }
  }, bySize({ default: 150_000, full: 420_000 }));
});
