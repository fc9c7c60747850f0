import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LONG_RUNNING_PROCESS, MemoryStore, SignalTracker, UNKNOWN_DEVICE, type WorkEngine } from '@offstage/core';
import { createNodeTrackers, createOffstage, NODE_PROCESS, readInterfaces, readStorage } from '../src/index.js';

let dir: string;
const engines: WorkEngine[] = [];
const open = (options: Parameters<typeof createOffstage>[0]): WorkEngine => {
  const engine = createOffstage(options);
  engines.push(engine);
  return engine;
};
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'offstage-preset-'))));
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('createOffstage', () => {
  it('runs work on an in-memory database, as hostname:pid', async () => {
    const engine = open({ db: ':memory:', tasks: { hello: ({ input }) => `hi ${String(input)}` } });
    expect(engine.workerId).toBe(`${hostname()}:${process.pid}`);
    const done = new Promise<unknown>((resolve) => engine.on('work:succeeded', ({ output }) => resolve(output)));
    await engine.enqueue('hello', { input: 'there' });
    await engine.start();
    expect(await done).toBe('hi there');
  });

  it('accepts another store, and the engine options', async () => {
    const store = new MemoryStore();
    const engine = open({ store, workerId: 'w1', concurrency: 2 });
    expect(engine.store).toBe(store);
    expect(engine.workerId).toBe('w1');
    expect(engine.concurrency).toBe(2);
    expect(() => createOffstage({ db: ':memory:', concurrency: 0 })).toThrow(/concurrency 0 is invalid/);
  });

  it('evaluates cron schedules with croner unless given another parser', async () => {
    const engine = open({ db: ':memory:' });
    const after = Date.now();
    const info = await engine.enqueuePeriodic('report', { cron: '0 3 * * *', timezone: 'Asia/Tokyo', allowUnregistered: true });
    const next = info.nextRunAt!;
    expect(next.getTime()).toBeGreaterThan(after);
    expect(next.getTime() - after).toBeLessThanOrEqual(24 * 3_600_000);
    expect(next.getUTCHours()).toBe(18); // 03:00 in Tokyo (UTC+9)
    expect(next.getUTCMinutes()).toBe(0);
    await expect(engine.enqueuePeriodic('report', { cron: 'not a cron', allowUnregistered: true })).rejects.toThrow(/does not parse/);

    const fixed = open({ db: ':memory:', cron: { next: () => 42_000 } });
    expect((await fixed.enqueuePeriodic('report', { cron: 'whatever', allowUnregistered: true })).nextRunAt?.getTime()).toBe(42_000);
  });

  it("wakes a started engine when another engine writes to the same file, and stops watching when stopped", async () => {
    const db = join(dir, 'shared.db');
    const ran: string[] = [];
    const worker = open({ db, tasks: { job: ({ id }) => void ran.push(id) } });
    const producer = open({ db, watch: false });
    await worker.start();
    expect(worker.activity().wakeAt).toBeNull(); // idle: no timer armed, nothing polls

    const started = Date.now();
    const info = await producer.enqueue('job', { allowUnregistered: true });
    await waitUntil(() => ran.includes(info.id));
    expect(Date.now() - started).toBeLessThan(2000);

    await worker.stop();
    const later = await producer.enqueue('job', { allowUnregistered: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).not.toContain(later.id);
    expect((await producer.getWorkInfo(later.id))?.state).toBe('enqueued');
  });
});

describe('createOffstage: trackers and platform', () => {
  it("reads this machine's trackers by default, measuring storage where the database lives", async () => {
    const engine = open({ db: join(dir, 'work.db') });
    const state = engine.deviceState();
    expect(state.network).toEqual(readInterfaces());
    expect(typeof state.memory).toBe('number');
    expect([true, false]).toContain(state.storageLow);
    // A free-space threshold just above this file system's free space makes it read as low: proof of the path.
    const free = readStorage(dir)!.freeBytes;
    const low = open({ db: join(dir, 'low.db'), trackerOptions: { lowStorageFraction: 1, lowStorageBytes: free * 2 } });
    expect(low.deviceState().storageLow).toBe(true);
    const info = await low.enqueue('t', { constraints: { storageNotLow: true }, allowUnregistered: true });
    expect(info.waitingFor).toEqual(['storageNotLow']);
  });

  it('takes other trackers, or none with false or {}', async () => {
    const network = new SignalTracker('network', { initial: { connected: false, metered: false, roaming: false } });
    const custom = open({ db: ':memory:', trackers: { network } });
    expect(custom.deviceState()).toEqual({ ...UNKNOWN_DEVICE, network: { connected: false, metered: false, roaming: false } });
    expect((await custom.enqueue('sync', { constraints: { network: 'connected' }, allowUnregistered: true })).waitingFor).toEqual(['network:connected']);
    expect(open({ db: ':memory:', trackers: false }).deviceState()).toEqual(UNKNOWN_DEVICE);
    expect(open({ db: ':memory:', trackers: {} }).deviceState()).toEqual(UNKNOWN_DEVICE);
    expect(Object.keys(createNodeTrackers()).sort()).toEqual(['battery', 'charging', 'idle', 'memory', 'network', 'storageLow']);
  });

  it('describes a long-running Node process', () => {
    const engine = open({ db: ':memory:' });
    expect(engine.getStatus()).toEqual({ platform: 'Node.js long-running process', status: 'available' });
    expect(engine.guarantees()).toEqual(LONG_RUNNING_PROCESS.guarantees);
    expect(NODE_PROCESS.guarantees).toEqual({ survivesRestart: true, survivesReboot: true, runsWhileAppClosed: false, minimumIntervalMs: 0, executionBudgetMs: null });
    const serverless = { name: 'lambda', status: () => ({ status: 'restricted' as const, reason: 'frozen between invocations' }), guarantees: { ...NODE_PROCESS.guarantees, executionBudgetMs: 900_000 } };
    expect(open({ db: ':memory:', platform: serverless }).getStatus()).toEqual({ platform: 'lambda', status: 'restricted', reason: 'frozen between invocations' });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
