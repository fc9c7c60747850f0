/**
 * `offstage worker` as a real process: SIGKILL mid-run loses nothing, SIGTERM returns unfinished
 * work to the queue uncharged, and work enqueued by another process wakes an idle worker.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkEngine, WorkInfo } from '@offstage/core';
import { createOffstage } from '../src/create-offstage.js';
import { killAll, runCliProcess, startCli } from './helpers/cli-process.js';
import { waitFor } from './helpers/wait-for.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/tasks.ts', import.meta.url));

let dir: string;
let db: string;
let log: string;
let observer: WorkEngine;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'offstage-worker-'));
  db = join(dir, 'work.db');
  log = join(dir, 'runs.log');
  // The test's own view of the database: it enqueues and reads, and never starts a worker loop.
  observer = createOffstage({ db, watch: false });
});
afterEach(async () => {
  killAll();
  await observer.close();
  rmSync(dir, { recursive: true, force: true });
});

function logLines(): string[][] {
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')) : [];
}

describe('offstage worker', () => {
  it('recovers from SIGKILL: every item succeeds, none is lost, the interrupted attempt is journaled as lease-lost', async () => {
    const items = await observer.enqueueMany(
      'work',
      Array.from({ length: 30 }, (_, i) => ({ input: { log, n: i }, allowUnregistered: true })),
    );
    const args = ['worker', FIXTURE, '--db', db, '--lease-time', '2s', '--concurrency', '4'];
    const first = startCli(args, { cwd: dir });
    await waitFor('some succeeded and some running', async () => {
      const { counts } = await observer.status();
      return counts.succeeded >= 4 && counts.running >= 1;
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const afterKill = await observer.status();
    expect(afterKill.counts.running).toBeGreaterThan(0); // the dead worker's leases are still held
    expect(afterKill.counts.succeeded).toBeLessThan(30);

    const second = startCli(args, { cwd: dir });
    await waitFor('all succeeded', async () => (await observer.status()).counts.succeeded === 30, 30_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const all = await observer.query({ limit: 100 });
    expect(all).toHaveLength(30);
    expect(all.every((w: WorkInfo) => w.state === 'succeeded')).toBe(true);
    expect(new Set(all.map((w) => w.id))).toEqual(new Set(items.map((w) => w.id)));

    const runs = await observer.journal({ limit: 1000 });
    const lost = runs.filter((r) => r.outcome === 'stopped' && r.stopReason === 'lease-lost');
    expect(lost.length).toBeGreaterThanOrEqual(1);
    // Interrupted attempts ran again (at least once) and were not charged: each item ends on attempt 1.
    for (const r of lost) expect(all.find((w) => w.id === r.workId)).toMatchObject({ state: 'succeeded', attempt: 1 });
    // The run log agrees: every item finished at least once, and interrupted handlers ran again.
    const lines = logLines();
    expect(new Set(lines.filter(([what]) => what === 'end').map(([, id]) => id)).size).toBe(30);
    const startsOf = (id: string): number => lines.filter(([what, workId]) => what === 'start' && workId === id).length;
    expect(lost.some((r) => startsOf(r.workId) >= 2)).toBe(true);
    expect(second.stdout()).toMatch(/stopped$/m);
  });

  it('on SIGTERM lets a short handler finish, aborts a long one after the grace, and exits 0', async () => {
    const slow = await observer.enqueue('slow', { input: { log }, allowUnregistered: true });
    const short = await observer.enqueue('work', { input: { log, ms: 700 }, allowUnregistered: true });
    const worker = startCli(['worker', FIXTURE, '--db', db, '--grace', '1500ms'], { cwd: dir });
    await waitFor('both running', async () => logLines().filter(([what]) => what === 'start').length === 2 || undefined);
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(6000);
    expect(worker.stdout()).toMatch(/SIGTERM: stopping; running work has 1500ms to finish/);
    expect(worker.stdout()).toMatch(/stopped\s+slow\s+\S+\s+attempt 1 \(shutdown\)/);

    expect(await observer.getWorkInfo(short.id)).toMatchObject({ state: 'succeeded', attempt: 1 });
    const back = await observer.getWorkInfo(slow.id);
    expect(back).toMatchObject({ state: 'enqueued', attempt: 0, lastError: null });
    const runs = await observer.journal({ workId: slow.id });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ outcome: 'stopped', stopReason: 'shutdown', attempt: 1 });
    expect(runs[0]!.endedAt).not.toBeNull();
  });

  it('wakes when another process enqueues work, and warns about work it cannot run', async () => {
    await observer.enqueue('mystery', { allowUnregistered: true });
    const worker = startCli(['worker', FIXTURE, '--db', db], { cwd: dir });
    await worker.waitForOutput(/ready: waiting for work/);
    expect(worker.stderr()).toMatch(/warning: 1 enqueued item for task "mystery", which .* does not register/);

    const enqueue = await runCliProcess(['enqueue', 'quick', '--input', JSON.stringify({ log }), '--db', db, '--json'], { cwd: dir });
    expect(enqueue.code, enqueue.stderr).toBe(0);
    const { id } = JSON.parse(enqueue.stdout) as WorkInfo;
    const enqueuedAt = Date.now();
    await worker.waitForOutput(new RegExp(`succeeded\\s+quick\\s+${id}`), 5000);
    expect(Date.now() - enqueuedAt).toBeLessThan(3000);
    expect(await observer.getWorkInfo(id)).toMatchObject({ state: 'succeeded' });
    expect((await observer.status()).counts.enqueued).toBe(1); // "mystery" stays enqueued, never dropped
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(0);
  });

  it('refuses a missing tasks module with one line and exit code 1', async () => {
    const result = await runCliProcess(['worker', 'nope.mjs', '--db', db], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^offstage: The tasks module 'nope\.mjs' was not found \(looked at .*nope\.mjs\)/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
