/**
 * Engine behaviour over a real store, under a virtual clock: retries and backoff timing,
 * timeouts, cancel during a run, shutdown, lost leases and the journal. Every store runs these,
 * so a store that persists a transition wrongly fails here even if its unit cases pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkEngine, NonRetryableError, RetryLaterError, type TaskContext, type WorkStore } from '@offstage/core';
import { createTestDriver, VirtualClock, type TestDriver, type TestDriverOptions } from '@offstage/core/testing';
import type { ConformanceTarget } from '../store-harness.js';
import { describeSemanticsConformance } from './semantics-cases.js';
import { describeConstraintConformance } from './constraint-cases.js';

/** A promise with its resolver exposed, for handlers the test releases by hand. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** A handler that waits until its signal aborts, then rejects with the abort reason. */
function untilAborted({ signal }: TaskContext): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
}

/**
 * Registers the engine conformance cases for a store.
 *
 * @example
 * describeEngineConformance({ name: 'SqliteStore', open: async () => openSqliteStore(':memory:') })
 */
export function describeEngineConformance(target: ConformanceTarget): void {
  describeSemanticsConformance(target);
  describeConstraintConformance(target);
  describe(`${target.name}: engine behaviour`, () => {
    let driver: TestDriver | undefined;
    const start = async (options: TestDriverOptions): Promise<TestDriver> => {
      driver = await createTestDriver({ store: await target.open(), ...options });
      return driver;
    };
    afterEach(async () => {
      await driver?.dispose();
      driver = undefined;
    });

    it('runs due work to success, keeping output, lastRun and the journal', async () => {
      const d = await start({ tasks: { echo: ({ input }: TaskContext<{ n: number }>) => ({ doubled: input.n * 2 }) } });
      const t0 = d.now();
      const { id } = await d.enqueue('echo', { input: { n: 21 }, tags: ['math'] });
      await d.runUntilIdle();
      const info = await d.info(id);
      expect(info).toMatchObject({ state: 'succeeded', output: { doubled: 42 }, attempt: 1, nextRunAt: null, tags: ['math'] });
      expect(info.finishedAt?.getTime()).toBe(t0);
      expect(info.lastRun).toMatchObject({ workId: id, attempt: 1, outcome: 'succeeded', workerId: 'test-worker', startedAt: t0, endedAt: t0 });
      expect(await d.journal({ workId: id })).toHaveLength(1);
    });

    it('does not start delayed work early, and starts it exactly when due', async () => {
      const ran: number[] = [];
      const d = await start({ tasks: { later: () => void ran.push(d.now()) } });
      const t0 = d.now();
      const { id } = await d.enqueue('later', { delay: '10m' });
      const { id: id2 } = await d.enqueue('later', { startAt: t0 + 20 * 60_000 });
      await d.advance(10 * 60_000 - 1);
      expect(await d.state(id)).toBe('enqueued');
      expect((await d.info(id)).nextRunAt?.getTime()).toBe(t0 + 600_000);
      await d.advance(1);
      expect(await d.state(id)).toBe('succeeded');
      expect(await d.state(id2)).toBe('enqueued');
      await d.advance('10m');
      expect(await d.state(id2)).toBe('succeeded');
      expect(ran).toEqual([t0 + 600_000, t0 + 1_200_000]);
    });

    it('retries with exponential backoff at exactly the policy times, then succeeds', async () => {
      const d = await start({
        tasks: {
          flaky: ({ attempt }: TaskContext) => {
            if (attempt < 3) throw new Error(`network down (attempt ${attempt})`);
            return 'uploaded';
          },
        },
      });
      const t0 = d.now();
      const { id } = await d.enqueue('flaky', { backoff: { policy: 'exponential', initialDelay: '10s' } });
      let info = await d.info(id);
      expect(info).toMatchObject({ state: 'enqueued', attempt: 1, lastError: 'network down (attempt 1)' });
      expect(info.nextRunAt?.getTime()).toBe(t0 + 10_000);
      await d.advance(9_999);
      expect((await d.info(id)).attempt).toBe(1);
      await d.advance(1);
      info = await d.info(id);
      expect(info).toMatchObject({ state: 'enqueued', attempt: 2 });
      expect(info.nextRunAt?.getTime()).toBe(t0 + 10_000 + 20_000);
      await d.runUntilIdle();
      info = await d.info(id);
      expect(info).toMatchObject({ state: 'succeeded', attempt: 3, output: 'uploaded', lastError: null });
      const runs = (await d.journal({ workId: id })).reverse();
      expect(runs.map((r) => [r.attempt, r.outcome, r.startedAt - t0])).toEqual([
        [1, 'retrying', 0],
        [2, 'retrying', 10_000],
        [3, 'succeeded', 30_000],
      ]);
      expect(runs[0]!.error).toBe('network down (attempt 1)');
    });

    it('retries with linear backoff', async () => {
      const d = await start({ tasks: { fail: () => Promise.reject(new Error('no')) } });
      const t0 = d.now();
      const { id } = await d.enqueue('fail', { maxAttempts: 4, backoff: { policy: 'linear', initialDelay: '5s' } });
      await d.runUntilIdle();
      const starts = (await d.journal({ workId: id })).reverse().map((r) => r.startedAt - t0);
      expect(starts).toEqual([0, 5_000, 15_000, 30_000]);
      expect(await d.info(id)).toMatchObject({ state: 'failed', attempt: 4, lastError: 'no' });
    });

    it('fails for good after maxAttempts, at once on NonRetryableError, and honours RetryLaterError', async () => {
      const d = await start({
        tasks: {
          always: () => Promise.reject(new Error('boom')),
          fatal: () => Promise.reject(new NonRetryableError('bad request')),
          later: ({ attempt }: TaskContext) => {
            if (attempt === 1) throw new RetryLaterError('rate limited', '3m');
            return 'ok';
          },
        },
      });
      const t0 = d.now();
      const a = await d.enqueue('always', { maxAttempts: 2, backoff: { initialDelay: 0 } });
      const b = await d.enqueue('fatal', { maxAttempts: 5 });
      const c = await d.enqueue('later');
      await d.settle();
      expect(await d.info(b.id)).toMatchObject({ state: 'failed', attempt: 1, lastError: 'NonRetryableError: bad request' });
      expect((await d.info(c.id)).nextRunAt?.getTime()).toBe(t0 + 180_000);
      await d.runUntilIdle();
      expect(await d.info(a.id)).toMatchObject({ state: 'failed', attempt: 2, lastError: 'boom' });
      expect(await d.info(c.id)).toMatchObject({ state: 'succeeded', attempt: 2 });
    });

    it('times out a hanging attempt: aborts its signal, journals the timeout and charges the attempt', async () => {
      const reasons: string[] = [];
      const d = await start({
        tasks: {
          hang: (ctx: TaskContext) => {
            ctx.signal.addEventListener('abort', () => reasons.push((ctx.signal.reason as { reason: string }).reason));
            return new Promise(() => {});
          },
        },
      });
      const t0 = d.now();
      const { id } = await d.enqueue('hang', { timeout: '5s', maxAttempts: 1 });
      expect(await d.state(id)).toBe('running');
      await d.advance('5s');
      expect(reasons).toEqual(['timeout']);
      expect(await d.info(id)).toMatchObject({ state: 'failed', attempt: 1 });
      const [run] = await d.journal({ workId: id });
      expect(run).toMatchObject({ outcome: 'failed', stopReason: 'timeout', endedAt: t0 + 5000 });
    });

    it('gives the handler its deadline, attempt and id', async () => {
      const seen: Array<Pick<TaskContext, 'id' | 'attempt' | 'deadline'>> = [];
      const d = await start({ tasks: { peek: ({ id, attempt, deadline }: TaskContext) => void seen.push({ id, attempt, deadline }) } });
      const { id } = await d.enqueue('peek', { timeout: '1m' });
      expect(seen).toEqual([{ id, attempt: 1, deadline: d.now() + 60_000 }]);
    });

    it('cancels enqueued work before it runs', async () => {
      let ran = false;
      const d = await start({ tasks: { t: () => void (ran = true) } });
      const { id } = await d.enqueue('t', { delay: '1m' });
      expect(await d.engine.cancel(id)).toBe(true);
      await d.runUntilIdle();
      expect(ran).toBe(false);
      expect(await d.info(id)).toMatchObject({ state: 'cancelled', nextRunAt: null });
      expect(await d.journal({ workId: id })).toEqual([]);
      expect(await d.engine.cancel(id)).toBe(false);
    });

    it('cancels running work: aborts the signal, settles cancelled, journals it', async () => {
      let aborted: unknown;
      const d = await start({
        tasks: {
          long: (ctx: TaskContext) => {
            ctx.signal.addEventListener('abort', () => (aborted = (ctx.signal.reason as { reason: string }).reason));
            return untilAborted(ctx);
          },
        },
      });
      const { id } = await d.enqueue('long');
      expect(await d.state(id)).toBe('running');
      await d.engine.cancel(id);
      await d.settle();
      expect(aborted).toBe('cancelled');
      expect(await d.info(id)).toMatchObject({ state: 'cancelled' });
      const [run] = await d.journal({ workId: id });
      expect(run).toMatchObject({ outcome: 'cancelled', stopReason: 'cancelled' });
      expect(run!.endedAt).not.toBeNull();
      expect(d.engine.activity().running).toEqual([]);
    });

    it('on shutdown lets handlers finish within the grace, then stops the rest without charging them', async () => {
      const quick = gate<string>();
      const d = await start({ concurrency: 2, tasks: { quick: () => quick.promise, stuck: (ctx: TaskContext) => untilAborted(ctx) } });
      const q = await d.enqueue('quick');
      const s = await d.enqueue('stuck');
      const stopping = d.engine.stop({ grace: '2s' });
      await d.settle();
      quick.open('done in time');
      await d.settle();
      expect(await d.state(q.id)).toBe('succeeded');
      expect(await d.state(s.id)).toBe('running');
      await d.advance('2s');
      await stopping;
      expect(await d.info(s.id)).toMatchObject({ state: 'enqueued', attempt: 0 });
      const [run] = await d.journal({ workId: s.id });
      expect(run).toMatchObject({ outcome: 'stopped', stopReason: 'shutdown', attempt: 1 });
    });

    it('a worker that lost its lease cannot settle the work it lost', async () => {
      // Worker A claims, then stalls (its clock stops: no heartbeats). Worker B's clock passes the
      // lease, B reconciles, claims and succeeds. When A finally finishes, its result is refused.
      const store: WorkStore = await target.open();
      const release = gate<string>();
      const clockA = new VirtualClock(0);
      const a = createWorkEngine({ store, clock: clockA, workerId: 'A', leaseTime: '30s', tasks: { job: () => release.promise } });
      await a.enqueue('job', { input: 1 });
      await a.start();
      await a.flush();
      const [item] = await store.query({});
      expect(item).toMatchObject({ state: 'running', leaseOwner: 'A', leaseToken: 1 });

      const clockB = new VirtualClock(30_001);
      const b = createWorkEngine({ store, clock: clockB, workerId: 'B', leaseTime: '30s', tasks: { job: () => 'from B' } });
      await b.start();
      await b.whenIdle();
      expect(await store.get(item!.id)).toMatchObject({ state: 'succeeded', outputJson: '"from B"', attempt: 1 });
      // Reconcile and B's claim each moved the fencing token past A's.
      expect((await store.get(item!.id))!.leaseToken).toBeGreaterThan(1);

      const lost: string[] = [];
      a.on('work:stopped', ({ reason }) => lost.push(reason));
      release.open('from A');
      await a.whenIdle();
      expect(await store.get(item!.id)).toMatchObject({ state: 'succeeded', outputJson: '"from B"' });
      expect(lost).toEqual(['lease-lost']);
      const runs = await store.runs({ workId: item!.id });
      expect(runs.map((r) => [r.workerId, r.outcome, r.stopReason]).reverse()).toEqual([
        ['A', 'stopped', 'lease-lost'],
        ['B', 'succeeded', null],
      ]);
      await a.stop({ grace: 0 });
      await b.stop({ grace: 0 });
      await store.close();
    });

    it('keeps a long attempt leased by heartbeat, so no other worker takes it', async () => {
      const release = gate<string>();
      const d = await start({ leaseTime: '3s', tasks: { slow: () => release.promise } });
      const { id } = await d.enqueue('slow');
      await d.advance('1m');
      expect(await d.store.reconcile(d.now())).toEqual([]);
      expect((await d.store.get(id))!.leaseExpiresAt).toBeGreaterThan(d.now());
      release.open('ok');
      await d.settle();
      expect(await d.state(id)).toBe('succeeded');
    });

    it('runs higher priority first among due work, then older first', async () => {
      const order: string[] = [];
      const d = await start({ concurrency: 1, autoStart: false, tasks: { t: ({ input }: TaskContext<string>) => void order.push(input) } });
      await d.engine.enqueue('t', { input: 'low', priority: 'low' });
      await d.engine.enqueue('t', { input: 'normal-1' });
      await d.engine.enqueue('t', { input: 'critical', priority: 'critical' });
      await d.engine.enqueue('t', { input: 'normal-2' });
      await d.engine.enqueue('t', { input: 'high', priority: 'high' });
      await d.engine.start();
      await d.runUntilIdle();
      expect(order).toEqual(['critical', 'high', 'normal-1', 'normal-2', 'low']);
    });

    it('never runs more than the concurrency at once', async () => {
      let active = 0;
      let peak = 0;
      const d = await start({
        concurrency: 3,
        tasks: {
          t: async () => {
            active++;
            peak = Math.max(peak, active);
            await new Promise((r) => setTimeout(r, 1));
            active--;
          },
        },
      });
      await d.engine.enqueueMany('t', Array.from({ length: 20 }, () => ({})));
      await d.engine.whenIdle();
      await d.runUntilIdle();
      expect((await d.engine.status()).counts.succeeded).toBe(20);
      expect(peak).toBe(3);
    });

    it('persists progress while running and keeps the last value', async () => {
      const step = gate();
      const d = await start({
        tasks: {
          p: async (ctx: TaskContext) => {
            ctx.progress({ done: 1, total: 2 });
            await step.promise;
            ctx.progress({ done: 2, total: 2 });
            return 'ok';
          },
        },
      });
      const { id } = await d.enqueue('p');
      expect((await d.info(id)).progress).toEqual({ done: 1, total: 2 });
      step.open();
      await d.runUntilIdle();
      expect(await d.info(id)).toMatchObject({ state: 'succeeded', progress: { done: 2, total: 2 } });
    });

    it('leaves work for unregistered tasks enqueued and reports it', async () => {
      const d = await start({ tasks: { known: () => 'ok' } });
      const { id } = await d.engine.enqueue('elsewhere', { allowUnregistered: true });
      await d.runUntilIdle();
      expect(await d.state(id)).toBe('enqueued');
      expect((await d.engine.status()).unhandled).toEqual([{ taskName: 'elsewhere', enqueued: 1 }]);
    });

    it('retries failed work on request, with its attempts reset', async () => {
      let calls = 0;
      const d = await start({ tasks: { once: () => (++calls === 1 ? Promise.reject(new NonRetryableError('x')) : 'ok') } });
      const { id } = await d.enqueue('once');
      expect(await d.state(id)).toBe('failed');
      await d.engine.retry(id);
      await d.runUntilIdle();
      expect(await d.info(id)).toMatchObject({ state: 'succeeded', attempt: 1 });
      expect(await d.journal({ workId: id })).toHaveLength(2);
    });

    it('prunes finished work older than the given age, with its journal', async () => {
      const d = await start({ keepResultsFor: null, tasks: { t: () => 'ok' } });
      const old = await d.enqueue('t');
      await d.advance('2d');
      const recent = await d.enqueue('t');
      const waiting = await d.enqueue('t', { delay: '5d' });
      expect(await d.engine.prune({ olderThan: '1d' })).toEqual({ work: 1, runs: 1 });
      expect(await d.engine.getWorkInfo(old.id)).toBeUndefined();
      expect(await d.state(recent.id)).toBe('succeeded');
      expect(await d.state(waiting.id)).toBe('enqueued');
      expect(await d.journal({ workId: old.id })).toEqual([]);
    });
  });
}
