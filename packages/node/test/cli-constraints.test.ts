/**
 * The CLI's constraints and run window: `enqueue` constraint flags and their bad values, `show`
 * and `list` for work a real worker leaves waiting (a memory ceiling no machine meets), the
 * platform line of `status`, and `run-due` end to end with its report and bad budgets.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { WorkInfo } from '@offstage/core';
import type { RunDueResult } from '../src/commands/run-due.js';
import type { StatusReport } from '../src/commands/status.js';
import { createOffstage } from '../src/create-offstage.js';
import { readInterfaces } from '../src/trackers/node-trackers.js';
import { runCliProcess, startCli } from './helpers/cli-process.js';
import { runInProcess } from './helpers/run-in-process.js';
import { expectOneLineError, useCliWorkspace } from './helpers/cli-workspace.js';
import { waitFor } from './helpers/wait-for.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/tasks.ts', import.meta.url));

let dir: string;
let db: string;
const cli = (...args: string[]) => runInProcess([...args, '--db', db], dir);

useCliWorkspace('offstage-constraints-', (d, file) => {
  dir = d;
  db = file;
});

describe('offstage enqueue: constraint flags', () => {
  it('stores every constraint, one-time and periodic', async () => {
    const all = await cli('enqueue', 'backup', '--network', 'unmetered', '--charging', '--battery-not-low', '0.3', '--storage-not-low', '--device-idle', '--memory-below', '0.9', '--json');
    expect(all.code, all.stderr).toBe(0);
    expect(all.json<WorkInfo>().constraints).toEqual({ network: 'unmetered', charging: true, batteryNotLow: 0.3, storageNotLow: true, deviceIdle: true, memoryBelow: 0.9 });

    // --battery-not-low without a fraction is core's default (15%).
    const bare = (await cli('enqueue', 'sync', '--network', 'not-roaming', '--battery-not-low', '--json')).json<WorkInfo>();
    expect(bare.constraints).toEqual({ network: 'not-roaming', batteryNotLow: true });
    const periodic = (await cli('enqueue', 'feed', '--every', '1h', '--network', 'connected', '--json')).json<WorkInfo>();
    expect(periodic).toMatchObject({ schedule: { kind: 'interval' }, constraints: { network: 'connected' } });

    const text = await cli('enqueue', 'report', '--memory-below', '0.0001');
    expect(text.stdout).toMatch(/^enqueued \S+ \(report, due now, priority normal, the task's default attempts, constraints memory below 0\.01%; not met here now: memory\)$/m);
    const plain = (await cli('enqueue', 'plain', '--json')).json<WorkInfo>();
    expect(plain).toMatchObject({ constraints: null, waitingFor: [] });
  });

  it('refuses bad values with one line, before the database is opened', async () => {
    expectOneLineError(await cli('enqueue', 'sync', '--network', 'wifi'), /^offstage: The --network kind 'wifi' is unknown; use one of connected, unmetered, not-roaming\.$/);
    expectOneLineError(await cli('enqueue', 'sync', '--memory-below', '1.5'), /The --memory-below threshold 1\.5 is outside 0\.\.1/);
    expectOneLineError(await cli('enqueue', 'sync', '--memory-below', '-0.1'), /The --memory-below threshold -0\.1 is outside 0\.\.1/);
    expectOneLineError(await cli('enqueue', 'sync', '--battery-not-low', '20'), /The --battery-not-low threshold 20 is outside 0\.\.1; pass a fraction such as 0\.2/);
    expectOneLineError(await cli('enqueue', 'sync', '--battery-not-low', 'half'), /The --battery-not-low value 'half' is not a number/);
    expectOneLineError(await runInProcess(['enqueue', 'sync', '--memory-below'], dir), /option '--memory-below <fraction>' argument missing/);
    expect(existsSync(db)).toBe(false);
  });
});

describe('waiting work in show, list and status', () => {
  it('a worker runs the unconstrained item and leaves the one it cannot meet waiting; show and list say for what', async () => {
    // Memory in use is always above 0.01%, on any machine: this item waits, deterministically.
    const waiting = (await cli('enqueue', 'quick', '--input', '{}', '--memory-below', '0.0001', '--network', 'connected', '--json')).json<WorkInfo>();
    const free = (await cli('enqueue', 'quick', '--input', '{}', '--json')).json<WorkInfo>();
    expect(waiting.waitingFor).toContain('memory');

    const worker = startCli(['worker', FIXTURE, '--db', db], { cwd: dir });
    const observer = createOffstage({ db, watch: false });
    try {
      await waitFor('the unconstrained item to succeed', async () => (await observer.getWorkInfo(free.id))?.state === 'succeeded');
      // A pass after the first has run (the settle triggers one): the constrained item is still there, uncharged.
      await new Promise((r) => setTimeout(r, 300));
      expect(await observer.getWorkInfo(waiting.id)).toMatchObject({ state: 'enqueued', attempt: 0 });
      expect(await observer.journal({ workId: waiting.id })).toEqual([]);
    } finally {
      await observer.close();
    }

    const shown = (await cli('show', waiting.id, '--json')).json<{ work: WorkInfo }>();
    expect(shown.work).toMatchObject({ state: 'enqueued', constraints: { memoryBelow: 0.0001, network: 'connected' } });
    // This machine has a network interface up (the CI does), so only memory is missing.
    expect(shown.work.waitingFor).toContain('memory');
    const text = (await cli('show', waiting.id)).stdout;
    expect(text).toMatch(/^constraints network:connected, memory below 0\.01%$/m);
    expect(text).toMatch(new RegExp(`^waiting for ${shown.work.waitingFor.join(', ')} \\(as this process's trackers see this machine\\)$`, 'm'));

    const list = (await cli('list')).stdout.trimEnd().split('\n');
    expect(list[0]).toMatch(/^ID\s+TASK\s+STATE\s+ATTEMPTS\s+PRIORITY\s+UNIQUE\s+SCHEDULE\s+TAGS\s+WAITING FOR\s+WHEN$/);
    expect(list.find((l) => l.startsWith(waiting.id))).toMatch(new RegExp(`quick\\s+enqueued\\s+0/-.*\\s${shown.work.waitingFor.join(',')}\\s+due, waiting$`));
    expect(list.find((l) => l.startsWith(free.id))).toMatch(/quick\s+succeeded\s+1\/-.*\s-\s+finished /);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('status names the platform and says background work is available', async () => {
    expect((await cli('status')).stdout).toBe(`No work in ${db}.\nplatform: Node.js long-running process, background work available\n`);
    await cli('enqueue', 'email');
    expect((await cli('status')).stdout).toMatch(/^platform: Node\.js long-running process, background work available\nnext due: now$/m);
    expect((await cli('status', '--json')).json<StatusReport>().platform).toEqual({ platform: 'Node.js long-running process', status: 'available' });
  });
});

describe('offstage run-due', () => {
  it('drains due work inside the budget: runs what fits, skips a task that typically takes longer, stops the rest at the deadline', async () => {
    // A first window teaches the journal how long each task takes: `work` here takes 1 s.
    await cli('enqueue', 'quick', '--input', '{}');
    await cli('enqueue', 'work', '--input', '{"ms":1000}');
    const learn = await cli('run-due', '--budget', '10s', FIXTURE, '--json');
    expect(learn.code, learn.stderr).toBe(0);
    expect(learn.json<RunDueResult>()).toMatchObject({ stopped: [], skipped: [], stillDue: 0, nextWakeAt: null });
    expect(learn.json<RunDueResult>().ran.map((r) => [r.taskName, r.outcome]).sort()).toEqual([
      ['quick', 'succeeded'],
      ['work', 'succeeded'],
    ]);

    const quick = [];
    for (let i = 0; i < 3; i++) quick.push((await cli('enqueue', 'quick', '--input', '{}', '--json')).json<WorkInfo>().id);
    const work = (await cli('enqueue', 'work', '--input', '{"ms":1000}', '--json')).json<WorkInfo>().id;
    const slow = (await cli('enqueue', 'slow', '--input', '{}', '--json')).json<WorkInfo>().id; // no typical duration yet: it is tried, and stopped

    // The real executable, as a cron job would run it.
    const startedAt = Date.now();
    const run = await runCliProcess(['run-due', '--budget', '500ms', FIXTURE, '--db', db], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    const out = run.stdout;
    expect(out).toMatch(new RegExp(`^run-due on ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 3 attempts ran in \\d+ms of a 500ms budget$`, 'm'));
    expect(out).toMatch(/^OUTCOME\s+TASK\s+ID$/m);
    for (const id of quick) expect(out).toMatch(new RegExp(`^succeeded\\s+quick\\s+${id}$`, 'm'));
    expect(out).toMatch(new RegExp(`^stopped at the deadline: 1 \\(back in the queue, attempt not charged\\): ${slow}$`, 'm'));
    expect(out).toMatch(/^skipped: work \(typically takes 1(\.\d)?s, more than the budget had left\)$/m);
    expect(out).toMatch(/^still due: 2$/m);
    expect(out).toMatch(/^next wake: now \(\S+\): due work is waiting \(for a run, or for its constraints\)$/m);
    expect(run.stderr).toBe('');

    const observer = createOffstage({ db, watch: false });
    try {
      expect(await observer.getWorkInfo(work)).toMatchObject({ state: 'enqueued', attempt: 0 });
      expect(await observer.getWorkInfo(slow)).toMatchObject({ state: 'enqueued', attempt: 0 });
      expect((await observer.journal({ workId: slow }))[0]).toMatchObject({ outcome: 'stopped', stopReason: 'budget-expired' });
      for (const id of quick) expect((await observer.getWorkInfo(id))?.state).toBe('succeeded');
    } finally {
      await observer.close();
    }
  });

  it.runIf(readInterfaces().connected)('with --probe, work that needs the network waits when the probe fails, and runs when it answers', async () => {
    let healthy = false;
    const server: Server = createServer((_req, res) => {
      res.statusCode = healthy ? 204 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/health`;
      const online = (await cli('enqueue', 'quick', '--input', '{}', '--network', 'connected', '--json')).json<WorkInfo>();
      const local = (await cli('enqueue', 'quick', '--input', '{}', '--json')).json<WorkInfo>();
      const down = (await cli('run-due', '--budget', '5s', '--probe', url, FIXTURE, '--json')).json<RunDueResult>();
      expect(down.ran.map((r) => r.id)).toEqual([local.id]);
      expect(down.stillDue).toBe(1);
      healthy = true;
      const up = (await cli('run-due', '--budget', '5s', '--probe', url, FIXTURE, '--json')).json<RunDueResult>();
      expect(up.ran.map((r) => [r.id, r.outcome])).toEqual([[online.id, 'succeeded']]);
    } finally {
      server.close();
    }
  });

  it('refuses a budget of zero, a negative or malformed one, and a missing one, before touching the database', async () => {
    expectOneLineError(await cli('run-due', '--budget', '0s', FIXTURE), /^offstage: The --budget 0s leaves no time to run anything; pass a duration above zero, such as '25s'\.$/);
    expectOneLineError(await cli('run-due', '--budget', '0ms', FIXTURE), /The --budget 0ms leaves no time/);
    expectOneLineError(await cli('run-due', '--budget', '0', FIXTURE), /The --budget '0' is not a valid duration; write a number with a unit/);
    expectOneLineError(await cli('run-due', '--budget', '-5s', FIXTURE), /The --budget '-5s' is not a valid duration/);
    expectOneLineError(await cli('run-due', '--budget', 'a while', FIXTURE), /The --budget 'a while' is not a valid duration/);
    expectOneLineError(await cli('run-due', FIXTURE), /required option '--budget <duration>' not specified/);
    expectOneLineError(await cli('run-due', '--budget', '5s', 'nope.mjs'), /The tasks module 'nope\.mjs' was not found/);
    expectOneLineError(await cli('run-due', '--budget', '5s', '--probe', 'not a url', FIXTURE), /The --probe value 'not a url' is not a URL/);
    expect(existsSync(db)).toBe(false);
  });
});
