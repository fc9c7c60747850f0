/**
 * `offstage watch <id>`: follows an item that a worker in another process runs, learning of
 * changes from the database file (not by polling), and exits 0 when it succeeded, 1 when it
 * failed or was cancelled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NonRetryableError, type WorkEngine, type WorkInfo } from '@offstage/core';
import { createOffstage } from '../src/create-offstage.js';
import { ProgressReader } from '../src/format/progress.js';
import { killAll, startCli } from './helpers/cli-process.js';
import { runInProcess } from './helpers/run-in-process.js';
import { waitFor } from './helpers/wait-for.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/tasks.ts', import.meta.url));

let dir: string;
let db: string;
let observer: WorkEngine;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'offstage-watch-cli-'));
  db = join(dir, 'work.db');
  observer = createOffstage({ db, watch: false });
});
afterEach(async () => {
  killAll();
  await observer.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('offstage watch', () => {
  it('follows an item a worker process runs to success, with progress, and exits 0 as soon as it succeeds', async () => {
    const { id } = await observer.enqueue('steps', { input: { steps: 5, ms: 200 }, allowUnregistered: true });
    const watch = startCli(['watch', id, '--db', db], { cwd: dir });
    const json = startCli(['watch', id, '--db', db, '--json'], { cwd: dir });
    await watch.waitForOutput(/^watching .*: enqueued, first attempt due now$/m);
    await json.waitForOutput(/"state":"enqueued"/);
    const worker = startCli(['worker', FIXTURE, '--db', db], { cwd: dir });

    expect(await watch.exited).toBe(0);
    const exitedAt = Date.now();
    expect(await json.exited).toBe(0);
    const finishedAt = (await observer.getWorkInfo(id))!.finishedAt!.getTime();
    // The file watch, not the 2 s safety re-read, told it: it exits right after the final write.
    expect(exitedAt - finishedAt).toBeLessThan(1500);

    const out = watch.stdout();
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}running {4}attempt 1$/m);
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}progress {3}\d+% {2}\d\/5$/m); // { done, total } as a percentage (no terminal: lines)
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}succeeded {2}after 1 attempt, output \{"steps":5\}$/m);
    expect(watch.stderr()).toBe('');
    const infos = json
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as WorkInfo);
    expect(infos[0]).toMatchObject({ id, state: 'enqueued' });
    expect(infos.some((i) => i.state === 'running')).toBe(true);
    expect(infos.at(-1)).toMatchObject({ state: 'succeeded', output: { steps: 5 } });

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('exits 1 when the item is cancelled while it runs', async () => {
    const { id } = await observer.enqueue('slow', { input: {}, allowUnregistered: true });
    const worker = startCli(['worker', FIXTURE, '--db', db, '--lease-time', '1500ms'], { cwd: dir });
    await waitFor('running', async () => (await observer.getWorkInfo(id))?.state === 'running', 15_000);
    const watch = startCli(['watch', id, '--db', db], { cwd: dir });
    await watch.waitForOutput(/^watching .*: running, attempt 1$/m);
    const cancel = await runInProcess(['cancel', id, '--db', db], dir);
    expect(cancel.stdout).toBe(`cancelled ${id}\n`);
    expect(await watch.exited).toBe(1);
    expect(watch.stdout()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}cancelled$/m);
    expect(watch.stderr()).toBe('');
    expect((await observer.journal({ workId: id }))[0]).toMatchObject({ attempt: 1, outcome: 'cancelled' });
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('exits at once for finished work (0 succeeded, 1 failed), and refuses an unknown id', async () => {
    const engine = createOffstage({
      db,
      tasks: { good: () => 'fine', bad: () => Promise.reject(new NonRetryableError('disk full')) },
    });
    const good = await engine.enqueue('good');
    const bad = await engine.enqueue('bad');
    let settled = 0;
    const both = new Promise<void>((resolve) => {
      const done = (): void => void (++settled === 2 && resolve());
      engine.on('work:succeeded', done);
      engine.on('work:failed', done);
    });
    await engine.start();
    await both;
    await engine.close();

    const ok = await runInProcess(['watch', good.id, '--db', db], dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`watching ${good.id} (good): succeeded, after 1 attempt, output "fine"\n`);
    const failed = await runInProcess(['watch', bad.id, '--db', db], dir);
    expect(failed).toMatchObject({ code: 1, stderr: '' });
    expect(failed.stdout).toMatch(/\(bad\): failed, after 1 attempt: NonRetryableError: disk full\n$/);
    const missing = await runInProcess(['watch', 'nope', '--db', db], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^offstage: No work item has the id "nope"/);
  });
});

describe('ProgressReader', () => {
  it('maps percentages, fractions and { done | current, total } to a bar, and anything else to text', () => {
    const r = new ProgressReader();
    expect(r.read(0.25)).toEqual({ fraction: 0.25, text: '' });
    expect(r.read(1)).toEqual({ fraction: 1, text: '' });
    expect(r.read({ done: 3, total: 4 })).toEqual({ fraction: 0.75, text: '3/4' });
    expect(r.read({ current: 5, total: 10, message: 'copying' })).toEqual({ fraction: 0.5, text: '5/10 copying' });
    expect(r.read({ percent: 40, step: 'page 4' })).toEqual({ fraction: 0.4, text: 'page 4' });
    expect(r.read('uploading')).toEqual({ fraction: null, text: 'uploading' });
    expect(r.read({ phase: 'scan' })).toEqual({ fraction: null, text: '{"phase":"scan"}' });
    expect(r.read(250)).toEqual({ fraction: null, text: '250' });
    expect(r.read({ done: 1, total: 0 })).toEqual({ fraction: null, text: '{"done":1,"total":0}' });
    // Once an item reports a number above 1, its numbers are percentages: 1 is now 1%.
    const p = new ProgressReader();
    expect(p.read(40).fraction).toBe(0.4);
    expect(p.read(1).fraction).toBe(0.01);
  });
});
