/**
 * The `offstage` CLI on PostgreSQL: every command takes `--db postgres://…`, and
 * `offstage worker` with a URL joins the fleet, woken by LISTEN/NOTIFY when another process
 * enqueues (no file to watch, no polling). A server that cannot be reached is one clear line and a
 * non-zero exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkInfo } from '@offstage/core';
import { killAll, startCli } from '../../node/test/helpers/cli-process.js';
import { runInProcess } from '../../node/test/helpers/run-in-process.js';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();
const dir = mkdtempSync(join(tmpdir(), 'offstage-pg-cli-'));
const TASKS = fileURLToPath(new URL('../../node/test/fixtures/tasks.ts', import.meta.url));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runInProcess([...args, '--db', db.url()], dir);

describe('offstage --db postgres://', () => {
  it('enqueues, lists, shows and counts on PostgreSQL', async () => {
    await db.truncate();
    const enq = await cli('enqueue', 'work', '--input', '{"ms":10}', '--tag', 'pg', '--json');
    expect(enq.code).toBe(0);
    const { id } = enq.json<WorkInfo>();
    expect((await cli('list', '--tag', 'pg', '--json')).json<WorkInfo[]>().map((w) => w.id)).toEqual([id]);
    expect((await cli('show', id, '--json')).json<{ work: WorkInfo }>().work).toMatchObject({ id, state: 'enqueued', tags: ['pg'] });
    const status = await cli('status', '--json');
    expect(status.json<{ counts: Record<string, number> }>().counts.enqueued).toBe(1);
  });

  it('a worker with a URL joins the fleet and is woken by another process enqueueing', async () => {
    await db.truncate();
    const worker = startCli(['worker', TASKS, '--db', db.url(), '--concurrency', '2'], { cwd: dir });
    await worker.waitForOutput(/waiting for work|worker .* started|ready/i, 30_000);
    // Enqueued after the worker went idle: only a NOTIFY can wake it.
    const { id } = (await cli('enqueue', 'work', '--input', '{"ms":10}', '--json')).json<WorkInfo>();
    await expect.poll(async () => (await cli('show', id, '--json')).json<{ work: WorkInfo }>().work.state, { timeout: 15_000, interval: 200 }).toBe('succeeded');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('an unreachable server is one clear line and a non-zero exit', async () => {
    const result = await runInProcess(['list', '--db', 'postgres://nobody@127.0.0.1:1/none'], dir);
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^offstage: .*127\.0\.0\.1:1/);
  });
});
