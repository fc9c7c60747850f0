import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DemoReport } from '../src/demo/run-demo.js';
import { killAll, runCliProcess } from './helpers/cli-process.js';
import { runInProcess } from './helpers/run-in-process.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'offstage-demo-'))));
afterEach(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('offstage demo', () => {
  it('runs a short demo to a summary with succeeded work and the retried upload, then keeps its history', async () => {
    const db = join(dir, 'demo.db');
    const startedAt = Date.now();
    const run = await runCliProcess(['demo', '--duration', '6s', '--fresh', '--db', db], { cwd: dir });
    const wallMs = Date.now() - startedAt;
    expect(run.code, run.stderr).toBe(0);
    expect(wallMs).toBeLessThan(6000 + 5000);
    expect(run.stdout).toMatch(/a new database: no previous runs/);
    expect(run.stdout).toMatch(/started\s+sync-data/); // not a terminal: plain log lines
    expect(run.stdout).toMatch(/Summary of this run/);
    expect(run.stdout).toMatch(/^sync-data\s+4\s+4\s+0\s+0\s+0\s+\S+$/m);
    expect(run.stdout).toMatch(/^flaky-upload\s+6\s+2\s+4\s+0\s+0\s+\S+$/m);
    expect(run.stdout).toMatch(/attempt 1 {2}failed, retrying with backoff .*ECONNRESET[\s\S]*attempt 2 {2}failed, retrying with backoff .*ECONNRESET[\s\S]*attempt 3 {2}succeeded/);
    expect(run.stderr).toBe('');

    // A second (short, in-process) run starts from the first one's history.
    const again = await runInProcess(['demo', '--duration', '3s', '--db', db, '--json'], dir);
    expect(again.code, again.stderr).toBe(0);
    const report = again.json<DemoReport>();
    expect(report.previous).toEqual({ items: 12, attempts: 16 });
    expect(report.allFinished).toBe(true);
    expect(report.uploads.map((u) => u.attempts.map((a) => a.outcome))).toEqual([
      ['retrying', 'retrying', 'succeeded'],
      ['retrying', 'retrying', 'succeeded'],
    ]);
    expect(report.total).toEqual({ items: 24, attempts: 32 });
  });

  it('rejects a bad duration', async () => {
    const result = await runInProcess(['demo', '--duration', 'soon', '--db', join(dir, 'x.db')], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^offstage: The --duration 'soon' is not a valid duration/);
  });
});
