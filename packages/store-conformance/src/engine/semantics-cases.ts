/**
 * WorkManager's scheduling semantics over a real store, under a virtual clock: periodic work,
 * unique work, chains, expedited work, per-task concurrency, observation and in-place updates.
 * Each case states the rule it checks; every store runs them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkEngine, InvalidChainError, NonRetryableError, type TaskContext, type WorkInfo, type WorkStore } from '@offstage/core';
import { createTestDriver, VirtualClock, type TestDriver, type TestDriverOptions } from '@offstage/core/testing';
import { cronerParser } from '@offstage/cron';
import type { ConformanceTarget } from '../store-harness.js';

const HOUR = 3_600_000;

function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * Registers the semantics cases for a store.
 *
 * @example
 * describeSemanticsConformance({ name: 'MemoryStore', open: async () => new MemoryStore() })
 */
export function describeSemanticsConformance(target: ConformanceTarget): void {
  describe(`${target.name}: scheduling semantics`, () => {
    let driver: TestDriver | undefined;
    const start = async (options: TestDriverOptions): Promise<TestDriver> => {
      driver = await createTestDriver({ store: await target.open(), cron: cronerParser, ...options });
      return driver;
    };
    afterEach(async () => {
      await driver?.dispose();
      driver = undefined;
    });

    describe('periodic work', () => {
      it('runs every interval, each period computed from the completed run, and stays enqueued', async () => {
        const runs: number[] = [];
        const d = await start({ tasks: { tick: () => runs.push(d.now()) } });
        const t0 = d.now();
        const { id } = await d.engine.enqueuePeriodic('tick', { every: '1h' });
        await d.advance('5h');
        expect(runs.map((t) => (t - t0) / HOUR)).toEqual([0, 1, 2, 3, 4, 5]);
        const info = await d.info(id);
        expect(info).toMatchObject({ state: 'enqueued', attempt: 0, output: 6, schedule: { kind: 'interval', intervalMs: HOUR, flexMs: 0 } });
        expect(info.nextRunAt?.getTime()).toBe(t0 + 6 * HOUR);
        expect((await d.journal({ workId: id })).every((r) => r.outcome === 'succeeded')).toBe(true);
      });

      it('runs in the last flex of each period', async () => {
        const runs: number[] = [];
        const d = await start({ tasks: { tick: () => void runs.push(d.now()) } });
        const t0 = d.now();
        await d.engine.enqueuePeriodic('tick', { every: '1h', flex: '15m' });
        await d.advance('3h');
        expect(runs.map((t) => (t - t0) / 60_000)).toEqual([45, 90, 135, 180]);
      });

      it('runs once after downtime, not once per missed period', async () => {
        const runs: number[] = [];
        const d = await start({ tasks: { tick: () => void runs.push(d.now()) } });
        const t0 = d.now();
        await d.engine.enqueuePeriodic('tick', { every: '1h' });
        await d.engine.stop();
        await d.advance('5h30m');
        await d.engine.start();
        await d.settle();
        expect(runs.map((t) => (t - t0) / 60_000)).toEqual([0, 330]);
        await d.advance('59m');
        expect(runs).toHaveLength(2);
        await d.advance('1m');
        expect(runs.map((t) => (t - t0) / 60_000)).toEqual([0, 330, 390]);
      });

      it('retries a failed run per backoff inside its period, then moves on to the next period', async () => {
        const d = await start({ tasks: { flaky: () => Promise.reject(new Error('offline')) } });
        const t0 = d.now();
        const { id } = await d.engine.enqueuePeriodic('flaky', { every: '1h', maxAttempts: 2, backoff: { initialDelay: '1m' } });
        await d.advance('1m');
        const info = await d.info(id);
        expect(info).toMatchObject({ state: 'enqueued', attempt: 0, lastError: 'offline' });
        expect(info.nextRunAt?.getTime()).toBe(t0 + 60_000 + HOUR);
        expect((await d.journal({ workId: id })).map((r) => r.outcome)).toEqual(['failed', 'retrying']);
      });

      it('ends the series on a final failure when endOnFailure is set', async () => {
        const d = await start({ tasks: { bad: () => Promise.reject(new NonRetryableError('gone')) } });
        const { id } = await d.engine.enqueuePeriodic('bad', { every: '1h', endOnFailure: true });
        await d.settle();
        expect(await d.info(id)).toMatchObject({ state: 'failed', nextRunAt: null });
      });

      it('follows a cron expression in a time zone', async () => {
        const runs: string[] = [];
        const d = await start({ startAt: Date.UTC(2030, 0, 1), tasks: { report: () => void runs.push(new Date(d.now()).toISOString()) } });
        await d.engine.enqueuePeriodic('report', { cron: '0 3 * * *', timezone: 'America/New_York' });
        await d.advance('2d');
        expect(runs).toEqual(['2030-01-01T08:00:00.000Z', '2030-01-02T08:00:00.000Z']);
      });

      it('ends when cancelled', async () => {
        const runs: number[] = [];
        const d = await start({ tasks: { tick: () => void runs.push(d.now()) } });
        const { id } = await d.engine.enqueuePeriodic('tick', { every: '1h' });
        await d.advance('1h');
        await d.engine.cancel(id);
        await d.advance('5h');
        expect(runs).toHaveLength(2);
        expect(await d.state(id)).toBe('cancelled');
      });
    });

    describe('unique work', () => {
      it('keep: leaves unfinished work alone, and enqueues again once it finished', async () => {
        const d = await start({ tasks: { sync: () => 'ok' } });
        const first = await d.engine.enqueueUnique('inbox', 'sync', 'keep', { delay: '1h', input: 1 });
        const second = await d.engine.enqueueUnique('inbox', 'sync', 'keep', { input: 2 });
        expect(first.outcome).toBe('enqueued');
        expect(second).toMatchObject({ outcome: 'kept', work: { id: first.work.id, input: 1 } });
        expect(await d.engine.query({ uniqueNames: ['inbox'] })).toHaveLength(1);
        await d.advance('1h');
        const third = await d.engine.enqueueUnique('inbox', 'sync', 'keep', { input: 3 });
        expect(third.outcome).toBe('enqueued');
        expect(third.work.id).not.toBe(first.work.id);
      });

      it('replace: cancels running work (aborting it) and runs the new request', async () => {
        const aborted: string[] = [];
        const d = await start({
          tasks: {
            sync: ({ input, signal }: TaskContext<number>) =>
              input === 1 ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error(String(aborted.push('1')))))) : 'second',
          },
        });
        const first = await d.engine.enqueueUnique('inbox', 'sync', 'replace', { input: 1 });
        expect(await d.state(first.work.id)).toBe('running');
        const second = await d.engine.enqueueUnique('inbox', 'sync', 'replace', { input: 2 });
        await d.settle();
        expect(second.outcome).toBe('replaced');
        expect(aborted).toEqual(['1']);
        expect(await d.state(first.work.id)).toBe('cancelled');
        expect(await d.info(second.work.id)).toMatchObject({ state: 'succeeded', output: 'second' });
      });

      it('append: new work waits for the existing chain, then gets its output merged in', async () => {
        const first = gate<{ token: string }>();
        const seen: unknown[] = [];
        const d = await start({
          tasks: {
            login: () => first.promise,
            fetch: ({ input }: TaskContext) => void seen.push(input),
          },
        });
        const a = await d.engine.enqueueUnique('account', 'login', 'append');
        const b = await d.engine.enqueueUnique('account', 'fetch', 'append', { input: { page: 1 } });
        expect(b.outcome).toBe('appended');
        expect(await d.info(b.work.id)).toMatchObject({ state: 'blocked', prerequisites: [a.work.id] });
        first.open({ token: 't' });
        await d.settle();
        expect(seen).toEqual([{ page: 1, token: 't' }]);
      });

      it('append fails new work after a failed chain; append-or-replace starts afresh instead', async () => {
        const d = await start({ tasks: { step: ({ input }: TaskContext<string>) => (input === 'bad' ? Promise.reject(new NonRetryableError('no')) : input) } });
        const bad = await d.engine.enqueueUnique('c', 'step', 'append', { input: 'bad' });
        await d.settle();
        expect(await d.state(bad.work.id)).toBe('failed');
        const appended = await d.engine.enqueueUnique('c', 'step', 'append', { input: 'next' });
        await d.settle();
        expect(await d.info(appended.work.id)).toMatchObject({ state: 'failed', lastError: `Prerequisite ${bad.work.id} failed.` });
        const fresh = await d.engine.enqueueUnique('c', 'step', 'append-or-replace', { input: 'fresh' });
        await d.settle();
        expect(fresh.outcome).toBe('replaced');
        expect(await d.info(fresh.work.id)).toMatchObject({ state: 'succeeded', output: 'fresh', prerequisites: [] });
      });

      it('append after a replace continues the replacement, not the cancelled work', async () => {
        const d = await start({ tasks: { t: () => 'ok' } });
        await d.engine.enqueueUnique('n', 't', 'keep', { delay: '1h' });
        const replacement = await d.engine.enqueueUnique('n', 't', 'replace', { delay: '1h' });
        const appended = await d.engine.enqueueUnique('n', 't', 'append');
        expect(appended.work).toMatchObject({ state: 'blocked', prerequisites: [replacement.work.id] });
        await d.advance('1h');
        expect(await d.state(appended.work.id)).toBe('succeeded');
      });

      it('reports what the chain rule made of appended work at once', async () => {
        const d = await start({ tasks: { t: () => Promise.reject(new NonRetryableError('no')) } });
        await d.engine.enqueueUnique('n', 't', 'append');
        await d.settle();
        const appended = await d.engine.enqueueUnique('n', 't', 'append');
        expect(appended.work.state).toBe('failed');
      });

      it('periodic keep, update in place, and cancel-and-reenqueue', async () => {
        const d = await start({ tasks: { refresh: () => 'ok' } });
        const t0 = d.now();
        const first = await d.engine.enqueueUniquePeriodic('feed', 'refresh', 'keep', { every: '1h', delay: '10m', input: 'v1' });
        expect((await d.engine.enqueueUniquePeriodic('feed', 'refresh', 'keep', { every: '5m' })).outcome).toBe('kept');
        const updated = await d.engine.enqueueUniquePeriodic('feed', 'refresh', 'update', { every: '30m', delay: '5m', input: 'v2' });
        expect(updated).toMatchObject({ outcome: 'updated', work: { id: first.work.id, input: 'v2', schedule: { intervalMs: 30 * 60_000 } } });
        expect(updated.work.nextRunAt?.getTime()).toBe(t0 + 5 * 60_000);
        const replaced = await d.engine.enqueueUniquePeriodic('feed', 'refresh', 'cancel-and-reenqueue', { every: '2h' });
        expect(replaced.outcome).toBe('replaced');
        expect(await d.state(first.work.id)).toBe('cancelled');
        expect((await d.engine.query({ uniqueNames: ['feed'], states: ['enqueued', 'running'] })).map((w) => w.id)).toEqual([replaced.work.id]);
      });
    });

    describe('chains', () => {
      it('beginWith([a, b]).then(c).then([d, e]): order, blocking and merged input', async () => {
        const order: string[] = [];
        const inputs: Record<string, unknown> = {};
        const run = (name: string) => ({ input }: TaskContext) => {
          order.push(name);
          inputs[name] = input;
          return { [name]: true, last: name };
        };
        const d = await start({ concurrency: 1, tasks: { a: run('a'), b: run('b'), c: run('c'), d: run('d'), e: run('e') } });
        const { work } = await d.engine
          .beginWith([{ task: 'a' }, { task: 'b' }])
          .then({ task: 'c', input: { own: 1 } })
          .then([{ task: 'd' }, { task: 'e' }])
          .enqueue();
        expect(work.map((w) => [w.taskName, w.state])).toEqual([
          ['a', 'enqueued'],
          ['b', 'enqueued'],
          ['c', 'blocked'],
          ['d', 'blocked'],
          ['e', 'blocked'],
        ]);
        await d.runUntilIdle();
        expect(order.slice(0, 3).sort()).toEqual(['a', 'b', 'c'].sort());
        expect(order.indexOf('c')).toBe(2);
        expect(inputs.c).toEqual({ own: 1, a: true, b: true, last: 'b' });
        expect(inputs.d).toEqual({ c: true, last: 'c' });
        expect((await d.engine.query({ dependentsOf: work[2]!.id })).map((w) => w.taskName).sort()).toEqual(['d', 'e']);
      });

      it('merges with the array merger when asked', async () => {
        let merged: unknown;
        const d = await start({ tasks: { part: ({ input }: TaskContext<number>) => ({ n: input }), sum: ({ input }: TaskContext) => void (merged = input) } });
        await d.engine
          .beginWith([{ task: 'part', input: 1 }, { task: 'part', input: 2 }])
          .then({ task: 'sum', inputMerger: 'array' })
          .enqueue();
        await d.runUntilIdle();
        expect(merged).toEqual({ n: [1, 2] });
      });

      it('a failed prerequisite fails every dependent; a cancelled one cancels them', async () => {
        const d = await start({ tasks: { boom: () => Promise.reject(new NonRetryableError('x')), ok: () => 'ok', wait: () => new Promise(() => {}) } });
        const failing = await d.engine.beginWith({ task: 'boom' }).then({ task: 'ok' }).then({ task: 'ok' }).enqueue();
        const cancelling = await d.engine.beginWith({ task: 'ok', delay: '1h' }).then({ task: 'ok' }).enqueue();
        await d.engine.cancel(cancelling.work[0]!.id);
        await d.settle();
        const states = async (ws: WorkInfo[]) => Promise.all(ws.map((w) => d.state(w.id)));
        expect(await states(failing.work)).toEqual(['failed', 'failed', 'failed']);
        expect((await d.info(failing.work[2]!.id)).lastError).toBe(`Prerequisite ${failing.work[1]!.id} failed.`);
        expect(await states(cancelling.work)).toEqual(['cancelled', 'cancelled']);
      });

      it('combines chains: the next step waits for all of them', async () => {
        const order: string[] = [];
        const d = await start({ concurrency: 1, tasks: { t: ({ input }: TaskContext<string>) => void order.push(input) } });
        const photos = d.engine.beginWith({ task: 't', input: 'photos' });
        const videos = d.engine.beginWith({ task: 't', input: 'videos' }).then({ task: 't', input: 'transcode' });
        const { WorkContinuation } = await import('@offstage/core');
        await WorkContinuation.combine([photos, videos]).then({ task: 't', input: 'notify' }).enqueue();
        await d.runUntilIdle();
        expect(order.at(-1)).toBe('notify');
        expect(order).toHaveLength(4);
      });

      it('chains onto existing work with after, and refuses unknown, cancelled or cyclic prerequisites', async () => {
        const d = await start({ tasks: { t: () => 'ok' } });
        const base = await d.engine.enqueue('t', { delay: '1h' });
        const next = await d.engine.enqueue('t', { after: [base.id] });
        expect(next.state).toBe('blocked');
        await expect(d.engine.enqueue('t', { after: ['no-such-id'] })).rejects.toThrow(InvalidChainError);
        const gone = await d.engine.enqueue('t', { delay: '1h' });
        await d.engine.cancel(gone.id);
        await expect(d.engine.enqueue('t', { after: [gone.id] })).rejects.toThrow(/is cancelled/);
        await expect(
          d.engine.enqueueMany('t', [
            { id: 'x', after: ['y'] },
            { id: 'y', after: ['x'] },
          ]),
        ).rejects.toThrow(/cycle/);
        expect(await d.engine.query({ ids: ['x', 'y'] })).toEqual([]);
        await d.advance('1h');
        expect(await d.state(next.id)).toBe('succeeded');
      });
    });

    describe('priority and concurrency', () => {
      it('expedited work runs ahead of every priority', async () => {
        const order: string[] = [];
        const d = await start({ concurrency: 1, autoStart: false, tasks: { t: ({ input }: TaskContext<string>) => void order.push(input) } });
        await d.engine.enqueue('t', { input: 'critical', priority: 'critical' });
        await d.engine.enqueue('t', { input: 'expedited', expedited: true, priority: 'low' });
        await d.engine.start();
        await d.runUntilIdle();
        expect(order).toEqual(['expedited', 'critical']);
        expect((await d.engine.query({})).find((w) => w.input === 'expedited')?.expedited).toBe(true);
      });

      it('a per-task limit holds across two workers on one store', async () => {
        const store: WorkStore = await target.open();
        let active = 0;
        let peak = 0;
        const gates: Array<() => void> = [];
        const sync = () =>
          new Promise<void>((resolve) => {
            active++;
            peak = Math.max(peak, active);
            gates.push(() => {
              active--;
              resolve();
            });
          });
        const engines = ['A', 'B'].map((id) => createWorkEngine({ store, clock: new VirtualClock(0), workerId: id, concurrency: 4, tasks: { sync: { handler: sync, concurrency: 1 }, other: () => 'ok' } }));
        await engines[0]!.enqueueMany('sync', [{}, {}, {}]);
        await engines[0]!.enqueue('other');
        for (const e of engines) await e.start();
        for (let i = 0; i < 3; i++) {
          await Promise.all(engines.map((e) => e.flush()));
          expect(active).toBe(1);
          gates.shift()!();
          await new Promise((r) => setTimeout(r, 5));
          for (const e of engines) e.wake();
        }
        await Promise.all(engines.map((e) => e.whenIdle()));
        expect(peak).toBe(1);
        expect((await store.counts(0)).find((r) => r.taskName === 'sync')).toMatchObject({ state: 'succeeded', count: 3 });
        for (const e of engines) await e.stop({ grace: 0 });
        await store.close();
      });
    });

    describe('observation, progress and updates', () => {
      it('a worker announces a cancel made by another process', async () => {
        const store: WorkStore = await target.open();
        const clock = new VirtualClock(0);
        const worker = createWorkEngine({ store, clock, workerId: 'w', leaseTime: '30s', tasks: { long: ({ signal }: TaskContext) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))) } });
        const elsewhere = createWorkEngine({ store, clock: new VirtualClock(0), workerId: 'cli' });
        const cancelled: string[] = [];
        worker.on('work:cancelled', ({ id }) => void cancelled.push(id));
        const { id } = await worker.enqueue('long');
        await worker.start();
        await worker.flush();
        expect(await elsewhere.cancel(id)).toBe(true);
        clock.advance(10_000);
        await worker.whenIdle();
        expect(cancelled).toEqual([id]);
        expect(worker.activity().running).toEqual([]);
        await worker.stop({ grace: 0 });
        await store.close();
      });

      it('observe() yields every change and ends when the work finishes', async () => {
        const step = gate();
        const d = await start({
          tasks: {
            job: async (ctx: TaskContext) => {
              ctx.progress(50);
              await step.promise;
              return 'done';
            },
          },
        });
        const { id } = await d.engine.enqueue('job', { delay: '1m' });
        const seen: string[] = [];
        const watching = (async () => {
          for await (const info of d.engine.observe(id)) seen.push(`${info.state}:${String(info.progress ?? '')}`);
        })();
        await d.settle();
        await d.advance('1m');
        step.open();
        await d.settle();
        await watching;
        expect(seen[0]).toBe('enqueued:');
        expect(seen).toContain('running:50');
        expect(seen.at(-1)).toBe('succeeded:50');
      });

      it('update() changes enqueued work in place', async () => {
        const seen: unknown[] = [];
        const d = await start({ tasks: { t: ({ input }: TaskContext) => void seen.push(input) } });
        const t0 = d.now();
        const { id } = await d.engine.enqueue('t', { delay: '1h', input: 'old' });
        const updated = await d.engine.update(id, { input: 'new', delay: '10m', priority: 'high' });
        expect(updated).toMatchObject({ input: 'new', priority: 'high' });
        expect(updated.nextRunAt?.getTime()).toBe(t0 + 600_000);
        await d.advance('10m');
        expect(seen).toEqual(['new']);
      });

      it('keeps results for keepResultsFor, then prunes them in a later pass', async () => {
        const d = await start({ keepResultsFor: '1h', tasks: { t: () => 'kept' } });
        const { id } = await d.enqueue('t');
        expect((await d.info(id)).output).toBe('kept');
        await d.advance('2h');
        await d.enqueue('t');
        expect(await d.engine.getWorkInfo(id)).toBeUndefined();
      });
    });
  });
}
