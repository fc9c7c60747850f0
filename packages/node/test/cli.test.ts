import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RetryLaterError, type WorkInfo } from '@offstage/core';
import { createOffstage } from '../src/create-offstage.js';
import type { ShownRun } from '../src/commands/show.js';
import type { StatusReport } from '../src/commands/status.js';
import { runCliProcess } from './helpers/cli-process.js';
import { runInProcess } from './helpers/run-in-process.js';
import { expectOneLineError, useCliWorkspace } from './helpers/cli-workspace.js';

let dir: string;
let db: string;
const cli = (...args: string[]) => runInProcess([...args, '--db', db], dir);

useCliWorkspace('offstage-cli-', (d, file) => {
  dir = d;
  db = file;
});

describe('offstage CLI: the work lifecycle with --json', () => {
  it('enqueues, lists, shows, cancels, retries, reports status and prunes', async () => {
    const first = await cli('enqueue', 'email', '--input', '{"to":"a@example.com"}', '--tag', 'mail', '--priority', 'high', '--max-attempts', '3', '--timeout', '2m', '--json');
    expect(first.code, first.stderr).toBe(0);
    const a = first.json<WorkInfo>();
    expect(a).toMatchObject({ taskName: 'email', state: 'enqueued', priority: 'high', tags: ['mail'], maxAttempts: 3, attempt: 0, input: { to: 'a@example.com' } });

    const b = (await cli('enqueue', 'email', '--delay', '1h', '--tag', 'later,mail', '--json')).json<WorkInfo>();
    expect(new Date(b.nextRunAt as unknown as string).getTime()).toBeGreaterThan(Date.now() + 3_590_000);
    expect(b.tags).toEqual(['later', 'mail']);
    const c = (await cli('enqueue', 'resize', '--start-at', '2100-01-01T00:00:00Z', '--priority', 'low', '--json')).json<WorkInfo>();
    expect(c.nextRunAt).toBe('2100-01-01T00:00:00.000Z');

    expect((await cli('list', '--json')).json<WorkInfo[]>().map((w) => w.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect((await cli('list', '--tag', 'later', '--json')).json<WorkInfo[]>().map((w) => w.id)).toEqual([b.id]);
    expect((await cli('list', '--task', 'email', '--state', 'enqueued', '--json')).json<WorkInfo[]>()).toHaveLength(2);
    expect((await cli('list', '--limit', '2', '--json')).json<WorkInfo[]>()).toHaveLength(2);
    expect((await cli('list', '--limit', '2', '--offset', '2', '--json')).json<WorkInfo[]>()).toHaveLength(1);

    const status = (await cli('status', '--json')).json<StatusReport>();
    expect(status.counts.enqueued).toBe(3);
    expect(status.tasks.find((t) => t.taskName === 'email')).toMatchObject({ due: 1, dueButNotRunning: true, counts: { enqueued: 2 } });
    expect(status.tasks.find((t) => t.taskName === 'resize')).toMatchObject({ due: 0, dueButNotRunning: false });
    expect(new Date(status.nextWakeAt as unknown as string).getTime()).toBeLessThanOrEqual(Date.now());

    const shown = (await cli('show', a.id, '--json')).json<{ work: WorkInfo; runs: ShownRun[] }>();
    expect(shown.work).toMatchObject({ id: a.id, state: 'enqueued' });
    expect(shown.runs).toEqual([]);

    expect((await cli('cancel', a.id, '--json')).json()).toEqual({ cancelled: 1 });
    expect((await cli('cancel', a.id, '--json')).json()).toEqual({ cancelled: 0 });
    expect((await cli('show', a.id, '--json')).json<{ work: WorkInfo }>().work.state).toBe('cancelled');
    const retried = (await cli('retry', a.id, '--json')).json<WorkInfo>();
    expect(retried).toMatchObject({ id: a.id, state: 'enqueued', attempt: 0 });
    expect((await cli('cancel', '--tag', 'later', '--json')).json()).toEqual({ cancelled: 1 });
    expect((await cli('cancel', '--all', '--json')).json()).toEqual({ cancelled: 2 });
    expect((await cli('status', '--json')).json<StatusReport>().counts).toMatchObject({ enqueued: 0, cancelled: 3 });

    // Finished work older than 7 days: none yet. Older than nothing: all three.
    expect((await cli('prune', '--older-than', '7d', '--json')).json()).toEqual({ work: 0, runs: 0 });
    await new Promise((r) => setTimeout(r, 5));
    expect((await cli('prune', '--older-than', '0s', '--json')).json()).toEqual({ work: 3, runs: 0 });
    expect((await cli('list', '--json')).json()).toEqual([]);
  });

  it('shows the journal of work a worker ran, attempt by attempt', async () => {
    const info = (await cli('enqueue', 'flaky', '--json')).json<WorkInfo>();
    const engine = createOffstage({
      db,
      tasks: {
        // The CLI enqueued this without a backoff, so the worker applies the task's (here none, so
        // the default 30 s); the handler names its own retry delay instead.
        flaky: ({ attempt }) => {
          if (attempt < 2) throw new RetryLaterError('503 from upstream', 0);
          return { ok: true };
        },
      },
    });
    const done = new Promise<void>((resolve) => engine.on('work:succeeded', () => resolve()));
    await engine.start();
    await done;
    await engine.close();

    const { work, runs } = (await cli('show', info.id, '--json')).json<{ work: WorkInfo; runs: ShownRun[] }>();
    expect(work).toMatchObject({ state: 'succeeded', attempt: 2, output: { ok: true } });
    expect(runs.map((r) => [r.attempt, r.outcome, r.error])).toEqual([
      [1, 'retrying', 'RetryLaterError: 503 from upstream'],
      [2, 'succeeded', null],
    ]);
    expect(runs[0]!.workerId).toBe(engine.workerId);
    expect(runs[0]!.durationMs).toBeGreaterThanOrEqual(0);

    const text = await cli('show', info.id);
    expect(text.stdout).toMatch(/state\s+succeeded/);
    expect(text.stdout).toMatch(/ATTEMPT\s+STARTED\s+ENDED\s+DURATION\s+OUTCOME\s+STOP REASON\s+WORKER\s+ERROR/);
    expect(text.stdout).toMatch(/503 from upstream/);
  });

  it('prints aligned tables and relative times for people', async () => {
    await cli('enqueue', 'email', '--tag', 'mail');
    await cli('enqueue', 'report', '--delay', '90s');
    const list = await cli('list');
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TASK\s+STATE\s+ATTEMPTS\s+PRIORITY\s+UNIQUE\s+SCHEDULE\s+TAGS\s+WHEN$/);
    expect(list.stdout).toMatch(/email\s+enqueued\s+0\/-\s+normal\s+-\s+-\s+mail\s+due now/);
    expect(list.stdout).toMatch(/runs in 1m30s|runs in 1m29s/);
    expect(list.stdout).toMatch(/due now/);
    // Columns line up: every row has TASK starting at the same offset.
    const taskColumn = lines[0]!.indexOf('TASK');
    for (const line of lines.slice(1)) expect(line.slice(taskColumn)).toMatch(/^(email|report) /);

    const status = await cli('status');
    expect(status.stdout).toMatch(/enqueued 2/);
    expect(status.stdout).toMatch(/email .*due, none running/);
    expect(status.stdout).toMatch(/is a worker running with these tasks registered\?/);
  });
});

describe('offstage CLI: bad input gives one clear line and a non-zero exit code', () => {
  it('rejects an unknown option value', async () => {
    expectOneLineError(await cli('list', '--state', 'sleeping'), /'sleeping' is not one of blocked, enqueued, running/);
    expectOneLineError(await cli('enqueue', 'email', '--priority', 'urgent'), /urgent.*Allowed choices are critical, high, normal, low/);
    expectOneLineError(await cli('list', '--limit', 'ten'), /--limit must be a whole number/);
    expectOneLineError(await cli('list', '--colour'), /unknown option '--colour'/);
    expectOneLineError(await cli('frobnicate'), /unknown command 'frobnicate'/);
  });

  it('rejects invalid JSON input, a bad duration, a bad time and --max-attempts 0 before touching the database', async () => {
    expectOneLineError(await cli('enqueue', 'email', '--input', '{to: a}'), /--input value is not valid JSON/);
    expectOneLineError(await cli('enqueue', 'email', '--delay', '5 parsecs'), /The delay '5 parsecs' is not a valid duration/);
    expectOneLineError(await cli('enqueue', 'email', '--timeout', '5'), /The timeout '5' is not a valid duration; write a number with a unit/);
    expectOneLineError(await cli('enqueue', 'email', '--start-at', 'tomorrow-ish'), /--start-at value 'tomorrow-ish' is not a valid time/);
    expectOneLineError(await cli('enqueue', 'email', '--max-attempts', '0'), /maxAttempts 0 is invalid; use a whole number of at least 1/);
    expectOneLineError(await cli('prune', '--older-than', 'a week'), /--older-than 'a week' is not a valid duration/);
    expectOneLineError(await cli('prune'), /required option '--older-than <duration>' not specified/);
    expect(existsSync(db)).toBe(false);
  });

  it('names what is wrong with ids and states', async () => {
    expectOneLineError(await cli('show', 'no-such-id'), /No work item has the id "no-such-id"/);
    expectOneLineError(await cli('cancel', 'no-such-id'), /No work item has the id "no-such-id"/);
    const info = (await cli('enqueue', 'email', '--json')).json<WorkInfo>();
    expectOneLineError(await cli('retry', info.id), /is enqueued; only failed or cancelled work can be retried/);
    expectOneLineError(await cli('cancel'), /exactly one of: a work id, --tag <tag>, or --all/);
    expectOneLineError(await cli('cancel', info.id, '--all'), /exactly one of/);
  });

  it('reports a database in a missing directory', async () => {
    const result = await runInProcess(['status', '--db', '/nonexistent/dir/x.db'], dir);
    expectOneLineError(result, /could not be opened/);
    expect(existsSync('/nonexistent/dir')).toBe(false);
  });

  it('refuses a file that is not a database and leaves its bytes unchanged', async () => {
    const garbage = join(dir, 'notes.db');
    const bytes = Buffer.from('These are my notes, not a database.\n'.repeat(300));
    writeFileSync(garbage, bytes);
    for (const args of [['status'], ['list'], ['enqueue', 'email'], ['show', 'x']]) {
      expectOneLineError(await runInProcess([...args, '--db', garbage], dir), /is not a SQLite database offstage can read/);
    }
    expect(readFileSync(garbage).equals(bytes)).toBe(true);
    expect(existsSync(`${garbage}-wal`)).toBe(false);
  });

  it('prints a JSON error document on stdout with --json', async () => {
    const result = await cli('enqueue', 'email', '--input', '{bad', '--json');
    expect(result.code).toBe(1);
    expect(result.json()).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits non-zero from the real executable, with no stack trace', async () => {
    const missing = await runCliProcess(['status', '--db', '/nonexistent/dir/x.db'], { cwd: dir });
    expectOneLineError(missing, /could not be opened/);
    const zero = await runCliProcess(['enqueue', 'email', '--max-attempts', '0'], { cwd: dir });
    expectOneLineError(zero, /maxAttempts 0 is invalid/);
    expect(existsSync(join(dir, 'offstage.db'))).toBe(false);
    const debug = await runCliProcess(['enqueue', 'email', '--max-attempts', '0'], { cwd: dir, env: { DEBUG: 'offstage' } });
    expect(debug.stderr).toMatch(/at planWork/);
  });
});
