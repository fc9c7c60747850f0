/**
 * Scenario 5, handler misbehaviour: handlers that never resolve, ignore their abort signal, throw
 * things that are not Errors, or block the event loop past their lease. Each must end as the
 * README says (a timeout is a charged failed attempt; cancel and shutdown settle at once without
 * waiting for the handler; any thrown value is a failed attempt with a one-line error; a stalled
 * owner's late settle is refused and the new owner's result kept), and the worker must go on
 * serving other work: with one slot, a quick item queued behind the misbehaving one still runs.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TaskEntry, WorkEngine, WorkInfo } from '@offstage/core';
import {
  killAllWorkers,
  readInvocations,
  reportFigures,
  runsByItem,
  sleep,
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

/** Values handlers throw instead of Errors, by label. */
const THROWN: Record<string, () => unknown> = {
  string: () => 'a plain string',
  null: () => null,
  undefined: () => undefined,
  object: () => ({ code: 42, detail: 'not an Error' }),
  number: () => 42,
  symbol: () => Symbol('thrown'),
  bigint: () => 10n,
  'cyclic null-prototype object': () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.self = o;
    return o;
  },
  'Error with a throwing message getter': () => {
    const e = new Error('hidden');
    Object.defineProperty(e, 'message', {
      get() {
        throw new Error('no message for you');
      },
    });
    return e;
  },
  'Error with an empty message': () => new Error(''),
  // PostgreSQL's text cannot hold NUL: the settle used to fail, leaving the item running.
  'Error with a NUL in its message': () => new Error('bad\u0000thing'),
  'string with a NUL': () => 'bad\u0000thing',
};

/** An engine with one slot on a fresh store, recording `worker:error` events. */
async function oneSlotEngine(tasks: Record<string, TaskEntry>): Promise<{ engine: WorkEngine; errors: unknown[] }> {
  const engine = await target.createEngine(await target.prepare(temp.make()), { tasks: { ...tasks, quick: () => 'quick' }, concurrency: 1, leaseTime: '3s', watch: false } as never);
  const errors: unknown[] = [];
  engine.on('worker:error', (e) => errors.push(e));
  await engine.start();
  return { engine, errors };
}

async function settled(engine: WorkEngine, id: string, states: string[] = ['succeeded', 'failed', 'cancelled'], timeoutMs = 10_000): Promise<WorkInfo> {
  return waitUntil(`${id} to reach ${states.join('/')}`, async () => {
    const info = await engine.getWorkInfo(id);
    return info && states.includes(info.state) ? info : undefined;
  }, timeoutMs, 20);
}

const figures = { cases: 0, items: 0, stuck: 0, duplicates: 0, recovery: 0 };

describe(`handler misbehaviour (${target.name})`, () => {
  afterAll(() => {
    reportFigures({
      scenario: 'handler-misbehaviour',
      store: target.name,
      rounds: figures.cases,
      items: figures.items,
      lost: 0,
      duplicates: figures.duplicates,
      stuck: figures.stuck,
      longestRecoveryMs: figures.recovery || null,
    });
  });

  it('a handler that never resolves: the timeout fires, the attempt is charged, the lease is released and the slot serves the next item', async () => {
    const { engine, errors } = await oneSlotEngine({
      hang: { timeout: '200ms', maxAttempts: 2, backoff: { initialDelay: 0 }, handler: () => new Promise<never>(() => undefined) },
    });
    try {
      const hang = await engine.enqueue('hang');
      const quick = await engine.enqueue('quick');
      const started = Date.now();
      const done = await settled(engine, hang.id);
      figures.cases++;
      figures.items += 2;
      expect(done).toMatchObject({ state: 'failed', attempt: 2, lastError: 'Timed out after 200 ms' });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect((await engine.store.get(hang.id))).toMatchObject({ leaseOwner: null, leaseExpiresAt: null });
      const runs = await engine.journal({ workId: hang.id });
      expect(runs.map((r) => [r.outcome, r.stopReason])).toEqual([['failed', 'timeout'], ['retrying', 'timeout']]);
      expect(await settled(engine, quick.id)).toMatchObject({ state: 'succeeded', output: 'quick' });
      expect(errors).toEqual([]);
    } finally {
      await engine.close({ grace: 0 });
    }
  });

  it('a handler that ignores its abort signal: timeout, cancel and shutdown each settle at once, and its late result changes nothing', async () => {
    let finishedLate = 0;
    const deaf = async (): Promise<string> => {
      // Ignores the signal entirely, then "succeeds" long after it was told to stop.
      await sleep(1_000);
      finishedLate++;
      return 'too late';
    };
    const { engine, errors } = await oneSlotEngine({
      'deaf-timeout': { timeout: '150ms', maxAttempts: 1, handler: deaf },
      deaf: { timeout: null, handler: deaf },
    });
    try {
      // Timeout: failed at the deadline, and the slot goes to the next item while the handler still runs.
      const t = await engine.enqueue('deaf-timeout');
      const q1 = await engine.enqueue('quick');
      const t0 = Date.now();
      expect(await settled(engine, t.id)).toMatchObject({ state: 'failed', lastError: 'Timed out after 150 ms' });
      expect(await settled(engine, q1.id)).toMatchObject({ state: 'succeeded' });
      expect(Date.now() - t0).toBeLessThan(900);

      // Cancel: cancelled at once, slot freed.
      const c = await engine.enqueue('deaf');
      await settled(engine, c.id, ['running']);
      expect(await engine.cancel(c.id)).toBe(true);
      const q2 = await engine.enqueue('quick');
      const t1 = Date.now();
      expect(await settled(engine, q2.id)).toMatchObject({ state: 'succeeded' });
      expect(Date.now() - t1).toBeLessThan(900);

      // Shutdown with no grace: stop() returns without waiting for the handler; the work goes back uncharged.
      const s = await engine.enqueue('deaf');
      await settled(engine, s.id, ['running']);
      const t2 = Date.now();
      await engine.stop({ grace: 0 });
      expect(Date.now() - t2).toBeLessThan(900);
      expect(await engine.getWorkInfo(s.id)).toMatchObject({ state: 'enqueued', attempt: 0 });

      // Every deaf handler finishes eventually; none of them may change what was settled.
      await waitUntil('the deaf handlers to finish', () => finishedLate === 3, 5_000, 20);
      await sleep(50);
      expect(await engine.getWorkInfo(t.id)).toMatchObject({ state: 'failed', output: undefined });
      expect(await engine.getWorkInfo(c.id)).toMatchObject({ state: 'cancelled', output: undefined });
      expect(await engine.getWorkInfo(s.id)).toMatchObject({ state: 'enqueued', output: undefined });
      for (const id of [t.id, c.id, s.id]) expect(await engine.journal({ workId: id })).toHaveLength(1);
      expect(errors).toEqual([]);
      figures.cases += 3;
      figures.items += 5;
    } finally {
      await engine.close({ grace: 0 });
    }
  });

  it.each(Object.keys(THROWN))('a handler that throws %s: a failed attempt with a one-line error, retried, then failed; the worker serves on', async (label) => {
    const make = THROWN[label]!;
    const { engine, errors } = await oneSlotEngine({
      throws: { maxAttempts: 2, backoff: { initialDelay: 0 }, handler: () => { throw make(); } },
      rejects: { maxAttempts: 2, backoff: { initialDelay: 0 }, handler: () => Promise.reject(make()) },
    });
    try {
      for (const task of ['throws', 'rejects']) {
        const bad = await engine.enqueue(task);
        const quick = await engine.enqueue('quick');
        const done = await settled(engine, bad.id, ['failed'], 8_000).catch(async (error: unknown) => {
          figures.stuck++;
          throw new Error(`${label} (${task}): ${(error as Error).message}; it is ${JSON.stringify(await engine.getWorkInfo(bad.id).then((i) => [i?.state, i?.attempt]))}, worker errors: ${errors.map((e) => String((e as { during: string }).during)).join(', ')}`);
        });
        expect(done.lastError).toMatch(/^[^\n\r]+$/);
        const runs = await engine.journal({ workId: bad.id });
        expect(runs.map((r) => r.outcome)).toEqual(['failed', 'retrying']);
        expect(await settled(engine, quick.id)).toMatchObject({ state: 'succeeded' });
      }
      expect(errors).toEqual([]);
      figures.cases++;
      figures.items += 4;
    } finally {
      await engine.close({ grace: 0 });
    }
  });

  it('a handler that blocks the event loop past its lease: a second process takes the work over, and fencing keeps its result', async () => {
    const dir = temp.make();
    const location = await target.prepare(dir);
    const log = join(dir, 'invocations.log');
    const marker = join(dir, 'spun');
    const observer = await target.createEngine(location, {});
    const base: WorkerConfig = { target: target.name, location, log, concurrency: 2, leaseTime: '1s' };
    let a: WorkerProcess | null = null;
    let b: WorkerProcess | null = null;
    try {
      const item = await observer.enqueue('spin', { input: { log, spinMs: 4_000, marker }, allowUnregistered: true });
      // A registers `job-b` as well, which B does not: proof afterwards that A still serves work.
      a = spawnWorker(WORKER, { ...base, tasks: ['spin', 'job-b'] });
      await waitUntil('A to start spinning', () => readInvocations(log).some((e) => e.id === item.id && e.e === 'start'), 20_000, 20);
      b = spawnWorker(WORKER, { ...base, tasks: ['spin'] });
      const bReady = await b.waitFor((m) => m.type === 'ready');
      const aReady = await a.waitFor((m) => m.type === 'ready');
      const done = await settled(observer, item.id, ['succeeded'], 20_000);
      // A wakes from its spin, finishes the handler, and must be refused.
      await a.waitFor((m) => m.event === 'work:stopped' && m.id === item.id, 15_000);
      const later = await observer.enqueue('job-b', { input: { log }, allowUnregistered: true });
      const served = await settled(observer, later.id, ['succeeded'], 15_000);

      const runs = runsByItem(await observer.journal({ workId: item.id })).get(item.id)!;
      const events = readInvocations(log).filter((e) => e.id === item.id);
      const completions = events.filter((e) => e.e === 'done');
      // How long the work stood still: from A's start to B's (B was spawned after A began to spin).
      const starts = events.filter((e) => e.e === 'start');
      const takenOverAfter = starts[1]!.at - starts[0]!.at;
      figures.cases++;
      figures.items += 2;
      figures.duplicates += completions.length - 1;
      figures.recovery = Math.max(figures.recovery, takenOverAfter);

      expect(done.output).toEqual({ pid: b.pid });
      // On failure, say everything that happened to the item (journal rows, both workers' events).
      const story = JSON.stringify({ runs, a: a.messages().filter((m) => m.id === item.id), b: b.messages().filter((m) => m.id === item.id), events });
      expect(runs.map((r) => [r.workerId, r.outcome, r.stopReason]), story).toEqual([
        [aReady.workerId, 'stopped', 'lease-lost'],
        [bReady.workerId, 'succeeded', null],
      ]);
      expect(a.messages().find((m) => m.event === 'work:stopped' && m.id === item.id)).toMatchObject({ reason: 'lease-lost' });
      expect((await observer.getWorkInfo(item.id))?.output).toEqual({ pid: b.pid });
      // Both handlers completed (at least once, stated plainly); only B's result was stored.
      expect(completions.map((e) => e.pid).sort()).toEqual([a.pid, b.pid].sort());
      expect(served.output).toEqual({ pid: a.pid });
      for (const w of [a, b]) expect(w.messages().filter((m) => m.event === 'worker:error')).toEqual([]);
      a.kill('SIGTERM');
      b.kill('SIGTERM');
      expect(await a.exited).toEqual({ code: 0, signal: null });
      expect(await b.exited).toEqual({ code: 0, signal: null });
    } finally {
      a?.kill('SIGKILL');
      b?.kill('SIGKILL');
      await observer.close();
    }
  }, 60_000);
});
