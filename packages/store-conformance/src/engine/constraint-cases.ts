/**
 * Constraints, error-classified retries and the time-budgeted run window over a real store, under
 * a virtual clock with settable trackers. The constraint filter lives in each store's claim, so
 * every store runs these.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, InvalidStateError, SignalTracker, type NetworkState, type TaskContext } from '@offstage/core';
import { createTestDriver, type TestDriver, type TestDriverOptions } from '@offstage/core/testing';
import type { ConformanceTarget } from '../store-harness.js';

const ONLINE: NetworkState = { connected: true, metered: false, roaming: false };
const OFFLINE: NetworkState = { connected: false, metered: false, roaming: false };
const CELLULAR: NetworkState = { connected: true, metered: true, roaming: false };

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });

/**
 * Registers the constraint and run-window cases for a store.
 *
 * @example
 * describeConstraintConformance({ name: 'MemoryStore', open: async () => new MemoryStore() })
 */
export function describeConstraintConformance(target: ConformanceTarget): void {
  describe(`${target.name}: constraints, retry rules and run windows`, () => {
    let driver: TestDriver | undefined;
    const start = async (options: TestDriverOptions): Promise<TestDriver> => {
      driver = await createTestDriver({ store: await target.open(), ...options });
      return driver;
    };
    afterEach(async () => {
      await driver?.dispose();
      driver = undefined;
    });

    describe('constraints', () => {
      it('waits for the network, says so, and starts the moment it returns', async () => {
        const network = new SignalTracker('network', { initial: OFFLINE });
        network.setEventListener(() => () => {});
        const d = await start({ trackers: { network }, tasks: { sync: () => 'synced', local: () => 'ok' } });
        const sync = await d.enqueue('sync', { constraints: { network: 'connected' } });
        const local = await d.enqueue('local');
        expect(await d.info(sync.id)).toMatchObject({ state: 'enqueued', waitingFor: ['network:connected'] });
        expect(await d.state(local.id)).toBe('succeeded');
        expect(network.watching).toBe(true);
        network.set(ONLINE);
        await d.settle();
        expect(await d.info(sync.id)).toMatchObject({ state: 'succeeded', waitingFor: [] });
        expect(network.watching).toBe(false);
      });

      it('tells unmetered from metered networks', async () => {
        const network = new SignalTracker('network', { initial: CELLULAR });
        const d = await start({ trackers: { network }, tasks: { backup: () => 'ok' } });
        const { id } = await d.enqueue('backup', { constraints: { network: 'unmetered' } });
        expect((await d.info(id)).waitingFor).toEqual(['network:unmetered']);
        network.set(ONLINE);
        await d.settle();
        expect(await d.state(id)).toBe('succeeded');
      });

      it('stops a running attempt whose constraint is lost, re-queues it uncharged, and resumes it', async () => {
        const charging = new SignalTracker('charging', { initial: true });
        const stops: string[] = [];
        let calls = 0;
        const d = await start({
          trackers: { charging },
          tasks: {
            train: async ({ signal }: TaskContext) => {
              signal.addEventListener('abort', () => stops.push((signal.reason as { reason: string }).reason));
              if (++calls === 1) await driver!.sleep('1h', signal);
              return 'trained';
            },
          },
        });
        const { id } = await d.enqueue('train', { constraints: { charging: true } });
        expect(await d.state(id)).toBe('running');
        charging.set(false);
        await d.settle();
        expect(stops).toEqual(['constraint-lost']);
        expect(await d.info(id)).toMatchObject({ state: 'enqueued', attempt: 0, waitingFor: ['charging'] });
        expect((await d.journal({ workId: id }))[0]).toMatchObject({ outcome: 'stopped', stopReason: 'constraint-lost' });
        charging.set(true);
        await d.settle();
        expect(await d.info(id)).toMatchObject({ state: 'succeeded', attempt: 1, output: 'trained' });
      });

      it('watches constrained running work even when it fills every slot', async () => {
        const network = new SignalTracker('network', { initial: ONLINE });
        const d = await start({ concurrency: 1, trackers: { network }, tasks: { upload: ({ signal }: TaskContext) => driver!.sleep('1h', signal) } });
        const { id } = await d.enqueue('upload', { constraints: { network: 'connected' } });
        expect(await d.state(id)).toBe('running');
        network.set(OFFLINE);
        await d.settle();
        expect(await d.info(id)).toMatchObject({ state: 'enqueued', waitingFor: ['network:connected'] });
      });

      it('update() changes the constraints of waiting work in place', async () => {
        const network = new SignalTracker('network', { initial: OFFLINE });
        const d = await start({ trackers: { network }, tasks: { sync: () => 'synced' } });
        const { id } = await d.enqueue('sync', { constraints: { network: 'connected' } });
        expect((await d.info(id)).waitingFor).toEqual(['network:connected']);
        const updated = await d.engine.update(id, { constraints: {} });
        expect(updated.constraints).toEqual({});
        await d.settle();
        expect(await d.state(id)).toBe('succeeded');
      });

      it('honours battery and memory thresholds; an unknown battery counts as mains power', async () => {
        const battery = new SignalTracker('battery', { initial: 0.1 });
        const memory = new SignalTracker('memory', { initial: 0.95 });
        const d = await start({ trackers: { battery, memory }, tasks: { t: () => 'ok' } });
        const low = await d.enqueue('t', { constraints: { batteryNotLow: true } });
        const mem = await d.enqueue('t', { constraints: { memoryBelow: 0.9 } });
        expect((await d.info(low.id)).waitingFor).toEqual(['batteryNotLow']);
        expect((await d.info(mem.id)).waitingFor).toEqual(['memory']);
        battery.set('unknown');
        memory.set(0.5);
        await d.settle();
        expect([await d.state(low.id), await d.state(mem.id)]).toEqual(['succeeded', 'succeeded']);
      });

      it('reads trackers afresh before claiming, so a stale reading never starts work', async () => {
        let online = false;
        const network = new SignalTracker('network', { read: () => (online ? ONLINE : OFFLINE) });
        const d = await start({ trackers: { network }, tasks: { t: () => 'ok' } });
        const { id } = await d.enqueue('t', { constraints: { network: 'connected' }, delay: '1m' });
        await d.advance('1m');
        expect(await d.state(id)).toBe('enqueued');
        online = true;
        network.refresh();
        await d.settle();
        expect(await d.state(id)).toBe('succeeded');
      });
    });

    describe('error-classified retries', () => {
      it('applies the reference table and journals the rule', async () => {
        const d = await start({ tasks: { call: ({ input, attempt }: TaskContext<number>) => (attempt === 1 ? Promise.reject(httpError(input)) : 'ok') } });
        const t0 = d.now();
        const server = await d.enqueue('call', { input: 503 });
        const client = await d.enqueue('call', { input: 404 });
        expect(await d.info(client.id)).toMatchObject({ state: 'failed', attempt: 1 });
        expect((await d.journal({ workId: client.id }))[0]).toMatchObject({ outcome: 'failed', rule: 'client-error' });
        const info = await d.info(server.id);
        expect(info.nextRunAt?.getTime()).toBe(t0 + 60_000);
        expect((await d.journal({ workId: server.id }))[0]).toMatchObject({ outcome: 'retrying', rule: 'server-error' });
        await d.advance('1m');
        expect(await d.state(server.id)).toBe('succeeded');
      });

      it('uses a task’s own classifier, and falls back to backoff when it throws', async () => {
        const d = await start({
          tasks: {
            custom: { classify: () => ({ name: 'quota', delay: '5m', maxRetries: 3 }), handler: () => Promise.reject(new Error('quota')) },
            broken: {
              classify: () => {
                throw new Error('classifier bug');
              },
              backoff: { initialDelay: '10s' },
              handler: () => Promise.reject(new Error('x')),
            },
          },
        });
        const t0 = d.now();
        const a = await d.enqueue('custom');
        const b = await d.enqueue('broken');
        expect((await d.info(a.id)).nextRunAt?.getTime()).toBe(t0 + 300_000);
        expect((await d.info(b.id)).nextRunAt?.getTime()).toBe(t0 + 10_000);
        expect((await d.journal({ workId: b.id }))[0]!.rule).toBe('classifier-failed: classifier bug');
      });
    });

    describe('runDue', () => {
      it('runs due work inside the budget: most important first, skipping what cannot fit, stopping the rest uncharged', async () => {
        const started: string[] = [];
        const cost: Record<string, string> = { quick: '50ms', medium: '300ms', slow: '5s' };
        const work = (name: string) => async ({ signal, input }: TaskContext<string>) => {
          started.push(input ?? name);
          await driver!.sleep(cost[name]!, signal);
          return name;
        };
        const d = await start({ autoStart: false, concurrency: 2, tasks: { quick: work('quick'), medium: work('medium'), slow: work('slow') } });
        // Teach the journal how long each task takes.
        await d.engine.enqueueMany('quick', [{}]);
        await d.engine.enqueueMany('medium', [{}]);
        await d.engine.enqueueMany('slow', [{}]);
        const learn = await d.runDue({ budget: '1m' });
        expect(learn.ran).toHaveLength(3);
        started.length = 0;

        const priorities = ['low', 'normal', 'high', 'critical'] as const;
        await d.engine.enqueueMany('quick', Array.from({ length: 150 }, (_, i) => ({ input: `q${i}`, priority: priorities[i % 4] })));
        await d.engine.enqueueMany('medium', Array.from({ length: 40 }, (_, i) => ({ input: `m${i}`, priority: 'low' as const })));
        await d.engine.enqueueMany('slow', Array.from({ length: 9 }, (_, i) => ({ input: `s${i}`, priority: 'critical' as const })));
        await d.engine.enqueue('quick', { input: 'urgent', expedited: true });
        const t0 = d.now();
        const report = await d.runDue({ budget: '2s' });

        expect(d.now() - t0).toBe(2000);
        expect(started[0]).toBe('urgent');
        expect(started.some((s) => s.startsWith('s'))).toBe(false);
        expect(report.skipped).toContainEqual({ taskName: 'slow', typicalMs: 5000 });
        // Critical quick work goes before lower priorities.
        const firstLow = started.findIndex((s) => s.startsWith('q') && Number(s.slice(1)) % 4 === 0);
        const lastCritical = started.map((s, i) => (s.startsWith('q') && Number(s.slice(1)) % 4 === 3 ? i : -1)).filter((i) => i >= 0).at(-1)!;
        expect(lastCritical).toBeLessThan(firstLow === -1 ? Infinity : firstLow);
        // Nothing lost, nothing charged for stopped attempts.
        const all = await d.engine.query({ limit: 1000 });
        expect(all).toHaveLength(203);
        const stopped = all.filter((w) => report.stopped.includes(w.id));
        expect(stopped.length).toBeGreaterThan(0);
        for (const w of stopped) expect(w).toMatchObject({ state: 'enqueued', attempt: 0 });
        const succeeded = all.filter((w) => w.state === 'succeeded').length;
        expect(succeeded).toBe(3 + report.ran.length);
        expect(report.stillDue).toBe(all.filter((w) => w.state === 'enqueued').length);
        expect(report.nextWakeAt?.getTime()).toBeLessThanOrEqual(d.now());
        const runs = await d.journal({ limit: 1000 });
        expect(runs.filter((r) => r.stopReason === 'budget-expired')).toHaveLength(report.stopped.length);
      });

      it('watches the device during the window: a lost constraint stops its attempt uncharged, a met one starts waiting work at once', async () => {
        const charging = new SignalTracker('charging', { initial: true });
        const network = new SignalTracker('network', { initial: OFFLINE });
        const startedAt: Record<string, number> = {};
        const d = await start({
          autoStart: false,
          concurrency: 3,
          trackers: { charging, network },
          tasks: {
            train: ({ signal }: TaskContext) => driver!.sleep('1h', signal),
            upload: () => void (startedAt.upload = driver!.now()),
            // Changes the device one second into the window, then keeps it open for half a minute.
            other: async ({ signal }: TaskContext) => {
              await driver!.sleep('1s', signal);
              charging.set(false);
              network.set(ONLINE);
              await driver!.sleep('30s', signal);
              return 'done';
            },
          },
        });
        const train = await d.enqueue('train', { constraints: { charging: true } });
        const upload = await d.enqueue('upload', { constraints: { network: 'connected' } });
        await d.enqueue('other');
        const t0 = d.now();
        const report = await d.runDue({ budget: '1m' });
        expect(await d.info(train.id)).toMatchObject({ state: 'enqueued', attempt: 0, waitingFor: ['charging'] });
        expect((await d.journal({ workId: train.id }))[0]).toMatchObject({ outcome: 'stopped', stopReason: 'constraint-lost' });
        expect(report.stopped).not.toContain(train.id);
        expect(await d.state(upload.id)).toBe('succeeded');
        // Started when the network came back, not when the long attempt freed its slot.
        expect(startedAt.upload! - t0).toBe(1000);
        expect(charging.watching || network.watching).toBe(false);
      });

      it('rejects a budget of zero or below, and an engine whose loop runs', async () => {
        const d = await start({ tasks: { t: () => 'ok' } });
        await expect(d.engine.runDue({ budget: 0 })).rejects.toThrow(InvalidOptionError);
        await expect(d.engine.runDue({ budget: '-1s' })).rejects.toThrow(/not a valid duration/);
        await expect(d.engine.runDue({ budget: '1s' })).rejects.toThrow(InvalidStateError);
      });

      it('describes the platform', async () => {
        const d = await start({ tasks: {} });
        expect(d.engine.getStatus()).toEqual({ platform: 'long-running process', status: 'available' });
        expect(d.engine.guarantees()).toMatchObject({ survivesRestart: true, runsWhileAppClosed: false, minimumIntervalMs: 0, executionBudgetMs: null });
      });
    });
  });
}
