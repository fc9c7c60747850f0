import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOffstage } from '../src/create-offstage.js';
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
  it('runs a short demo to a summary with the retried upload, the waiting sync, the classified retry, periodic runs and photo chains, then keeps its history', async () => {
    const db = join(dir, 'demo.db');
    const startedAt = Date.now();
    const run = await runCliProcess(['demo', '--duration', '6s', '--fresh', '--db', db], { cwd: dir });
    const wallMs = Date.now() - startedAt;
    expect(run.code, run.stderr).toBe(0);
    expect(wallMs).toBeLessThan(6000 + 5000);
    const out = run.stdout;
    expect(out).toMatch(/a new database: no previous runs/);
    expect(out).toMatch(/started a periodic series: refresh-feed every 1s \(unique name "demo-feed", policy update, id \S+\)\./);
    expect(out).toMatch(/started\s+sync-data/); // not a terminal: plain log lines
    expect(out).toMatch(/Summary of this run \([^)]*all demo work finished\)/);
    expect(out).toMatch(/^sync-data\s+4\s+4\s+0\s+0\s+0\s+\S+$/m);
    expect(out).toMatch(/^flaky-upload\s+6\s+2\s+4\s+0\s+0\s+\S+$/m);
    expect(out).toMatch(/^sync-contacts\s+1\s+1\s+0\s+0\s+0\s+\S+$/m);
    expect(out).toMatch(/^upload-logs\s+2\s+1\s+1\s+0\s+0\s+\S+$/m);
    for (const step of ['download', 'resize', 'thumbnail', 'upload-image']) expect(out).toMatch(new RegExp(`^${step}\\s+2\\s+2\\s+0\\s+0\\s+0\\s+\\S+$`, 'm'));
    expect(out).toMatch(/attempt 1 {2}failed, retrying with backoff .*ECONNRESET[\s\S]*attempt 2 {2}failed, retrying with backoff .*ECONNRESET[\s\S]*attempt 3 {2}succeeded/);

    // The network drops for 1.2 s (4 s scaled to 6 s): the constrained sync waits, then starts when it returns.
    const lines = out.split('\n');
    const offline = lines.indexOf("network: the demo's network tracker reports offline for 1.2s (simulated)");
    const waiting = lines.indexOf('sync-contacts waiting for network:connected');
    const back = lines.indexOf('network back: starting sync-contacts');
    const started = lines.findIndex((l) => /started\s+sync-contacts/.test(l));
    expect([offline, waiting, back, started].every((i) => i >= 0), out).toBe(true);
    expect(offline).toBeLessThan(waiting);
    expect(waiting).toBeLessThan(back);
    expect(back).toBeLessThan(started);
    expect(out).toMatch(
      /^sync-contacts \(\S+\), constraints network:connected, now succeeded:\n {2}waited for network:connected while the network tracker reported offline \(1\.2s\); it started \S+ after the network returned$/m,
    );
    // A 503 classified by the default classifier: the journal says which rule applied.
    expect(out).toMatch(/^upload-logs app-2024-06-01\.log \(\S+\), now succeeded:\n {2}attempt 1 {2}failed, retrying by rule server-error +\S+ {2}Service unavailable\n {2}attempt 2 {2}succeeded/m);
    expect(out).toMatch(/rule server-error: the default classifier's answer to HTTP 5xx \(retry after 60s, up to 3 times\), its delay shortened to 450ms for the demo/);

    // The periodic refresh ran during the demo and shows in the table and its own section.
    const periodicRuns = Number(/^refresh-feed\s+(\d+)\s+(\d+)\s+0\s+0\s+0\s+\S+$/m.exec(out)?.[1]);
    expect(periodicRuns).toBeGreaterThanOrEqual(2);
    expect(out).toMatch(/^refresh-feed: run 1 of this demo done/m);
    const seriesId = /^refresh-feed \(periodic, every 1s, unique name "demo-feed", new series, id (\S+)\):$/m.exec(out)?.[1];
    expect(seriesId).toBeDefined();
    expect(out).toMatch(new RegExp(`^  ${periodicRuns} runs this time, ${periodicRuns} in all; `, 'm'));

    // The chains: live progression, then per chain the order and the merged input of the last step.
    for (const photo of ['IMG_0100', 'IMG_0200']) {
      const chainLines = out.split('\n').filter((l) => l.startsWith(`chain ${photo}.jpg: `));
      expect(chainLines.slice(0, 1)).toEqual([`chain ${photo}.jpg: download done → resize ∥ thumbnail can start, with download's output merged into their input`]);
      expect(chainLines.join('\n')).toMatch(/(resize|thumbnail) done; upload-image still waits for (thumbnail|resize)\n.*(thumbnail|resize) done → upload-image can start/);
      expect(chainLines.join('\n')).toMatch(/upload-image done; chain finished in \d/);
      expect(out).toMatch(new RegExp(`^chain ${photo}\\.jpg: download → resize ∥ thumbnail → upload-image, all succeeded in \\S+\\n  ran in order: download, (resize, thumbnail|thumbnail, resize), upload-image\\n`, 'm'));
      expect(out).toContain(`  upload-image received (array merger): {"album":["holiday"],"file":["downloads/${photo}-2048.webp","downloads/${photo}-thumb.webp"]}`);
    }
    expect(run.stderr).toBe('');

    // A second (short, in-process) run starts from the first one's history and updates the same series.
    const again = await runInProcess(['demo', '--duration', '3s', '--db', db, '--json'], dir);
    expect(again.code, again.stderr).toBe(0);
    const report = again.json<DemoReport>();
    // 14 items (19 attempts: the uploads take 3 each, upload-logs 2), 2 chains of 4, 1 series.
    expect(report.previous).toEqual({ items: 14 + 8 + 1, attempts: 19 + 8 + periodicRuns });
    expect(report.enqueued).toBe(22);
    expect(report.allFinished).toBe(true);
    expect(report.uploads.map((u) => u.attempts.map((a) => a.outcome))).toEqual([
      ['retrying', 'retrying', 'succeeded'],
      ['retrying', 'retrying', 'succeeded'],
    ]);
    expect(report.waited).toEqual([
      expect.objectContaining({ taskName: 'sync-contacts', constraints: 'network:connected', waitingFor: ['network:connected'], offlineMs: 600, state: 'succeeded' }),
    ]);
    expect(report.waited[0]!.startedAfterNetworkMs).toBeGreaterThanOrEqual(0);
    expect(report.classified).toMatchObject({ file: 'app-2024-06-01.log', state: 'succeeded', rule: 'server-error', retryDelayMs: 250 });
    expect(report.classified!.attempts.map((a) => [a.outcome, a.rule, a.error])).toEqual([
      ['retrying', 'server-error', 'Service unavailable'],
      ['succeeded', null, null],
    ]);
    expect(report.periodic).toMatchObject({ id: seriesId, uniqueName: 'demo-feed', taskName: 'refresh-feed', outcome: 'updated', schedule: 'every 1s' });
    expect(report.periodic.runs).toBeGreaterThanOrEqual(1);
    expect(report.periodic.totalRuns).toBe(periodicRuns + report.periodic.runs);
    expect(report.chains.map((c) => c.name)).toEqual(['IMG_0100.jpg', 'IMG_0200.jpg']);
    for (const c of report.chains) {
      expect(c.steps.map((s) => [s.taskName, s.state])).toEqual([
        ['download', 'succeeded'],
        ['resize', 'succeeded'],
        ['thumbnail', 'succeeded'],
        ['upload-image', 'succeeded'],
      ]);
      expect([c.ranInOrder[0], c.ranInOrder[3]]).toEqual(['download', 'upload-image']);
      const photo = c.name.replace('.jpg', '');
      expect(c.lastStepInput).toEqual({ album: ['holiday'], file: [`downloads/${photo}-2048.webp`, `downloads/${photo}-thumb.webp`] });
    }
    expect(report.total).toEqual({ items: 45, attempts: 38 + 16 + report.periodic.totalRuns });

    // Two demo runs, one periodic series; and the upload handlers really received the merged input.
    const engine = createOffstage({ db, watch: false });
    try {
      expect((await engine.query({ uniqueNames: ['demo-feed'] })).map((w) => [w.id, w.state])).toEqual([[seriesId, 'enqueued']]);
      const uploads = await engine.query({ taskNames: ['upload-image'] });
      expect(uploads).toHaveLength(4);
      for (const u of uploads) expect((u.output as { files: string[] }).files).toEqual([expect.stringMatching(/-2048\.webp$/), expect.stringMatching(/-thumb\.webp$/)]);
    } finally {
      await engine.close();
    }
  });

  it('rejects a bad duration and an outage that outlasts the demo', async () => {
    const result = await runInProcess(['demo', '--duration', 'soon', '--db', join(dir, 'x.db')], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^offstage: The --duration 'soon' is not a valid duration/);
    const outage = await runInProcess(['demo', '--duration', '5s', '--offline-for', '5s', '--db', join(dir, 'x.db')], dir);
    expect(outage.code).toBe(1);
    expect(outage.stderr).toMatch(/^offstage: The --offline-for 5s is not shorter than the --duration 5s/);
  });
});
