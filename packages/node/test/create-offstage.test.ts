import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore, type WorkEngine } from '@offstage/core';
import { createOffstage } from '../src/index.js';

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

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
