/**
 * `offstage doctor`: what the trackers read on this machine (the same as createNodeTrackers), what
 * each constraint means here (an unknown battery is mains power; metered and roaming are assumed),
 * the platform's status and guarantees, and a reachability probe.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toConditions, UNKNOWN_DEVICE, type DeviceState } from '@offstage/core';
import type { DoctorReport } from '../src/doctor/doctor-report.js';
import { createNodeTrackers, readInterfaces } from '../src/trackers/node-trackers.js';
import { runInProcess } from './helpers/run-in-process.js';

let dir: string;
let server: Server;
let port: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'offstage-doctor-'));
  server = createServer((req, res) => {
    res.statusCode = req.url === '/down' ? 503 : 204;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What createNodeTrackers reads here now, measured on the same file system as the doctor. */
function trackerReadings(): DeviceState {
  const state = { ...UNKNOWN_DEVICE };
  for (const t of Object.values(createNodeTrackers({ storagePath: dir }))) {
    t.refresh();
    (state as Record<string, unknown>)[t.signal] = t.get();
  }
  return state;
}

describe('offstage doctor', () => {
  it('--json reports what createNodeTrackers reads here, the constraints it can honour, getStatus() and guarantees()', async () => {
    const result = await runInProcess(['doctor', '--json', '--db', join(dir, 'work.db')], dir);
    expect(result.code, result.stderr).toBe(0);
    const report = result.json<DoctorReport>();
    const expected = trackerReadings();

    // The same readings a worker here would decide on (memory and load move a little between reads).
    expect(report.deviceState.network).toEqual(expected.network);
    expect(report.deviceState.charging).toEqual(expected.charging);
    expect(report.deviceState.battery).toEqual(expected.battery);
    expect(report.deviceState.storageLow).toEqual(expected.storageLow);
    expect(typeof report.deviceState.memory).toBe('number');
    expect(Math.abs((report.deviceState.memory as number) - (expected.memory as number))).toBeLessThan(0.05);
    if (report.signals.idle.loadPerCore !== null) expect(report.deviceState.idle).toBe(report.signals.idle.loadPerCore < 0.3);
    expect(report.signals.storage.path).toBe(dir);
    expect(report.signals.storage.freeBytes).toBeGreaterThan(0);
    expect(report.signals.memory.totalBytes).toBeGreaterThan(report.signals.memory.usedBytes);
    expect(report.signals.network.probe).toBeNull();

    expect(report.platform).toEqual({ platform: 'Node.js long-running process', status: 'available' });
    expect(report.guarantees).toEqual({ survivesRestart: true, survivesReboot: true, runsWhileAppClosed: false, minimumIntervalMs: 0, executionBudgetMs: null });

    const byName = new Map(report.constraints.map((c) => [c.constraint, c]));
    expect([...byName.keys()]).toEqual(['network:connected', 'network:unmetered', 'network:not-roaming', 'charging', 'batteryNotLow', 'storageNotLow', 'deviceIdle', 'memory']);
    expect(byName.get('network:unmetered')).toMatchObject({ support: 'assumed', note: expect.stringMatching(/cannot be known on Node: treated as unmetered/) });
    expect(byName.get('network:not-roaming')).toMatchObject({ support: 'assumed', note: expect.stringMatching(/treated as not roaming/) });
    expect(byName.get('memory')).toMatchObject({ support: 'measured', met: (expected.memory as number) < 0.85 });
    // "Met now" agrees with the conditions the engine would claim with.
    expect(byName.get('network:connected')!.met).toBe((toConditions(report.deviceState).unmet & 1) === 0);
    if (report.deviceState.battery === 'unknown' && report.deviceState.charging === 'unknown') {
      // No battery (this CI machine): mains power, so both power constraints are always met.
      for (const name of ['charging', 'batteryNotLow'] as const) {
        expect(byName.get(name)).toMatchObject({ support: 'unknown-here', met: true });
        expect(byName.get(name)!.note).toBe("unknown here (no battery found) — treated as mains power, so 'charging' and 'batteryNotLow' are always met");
      }
    }
  });

  it('prints the same for people: signals, constraints, platform and guarantees', async () => {
    const result = await runInProcess(['doctor', '--db', join(dir, 'work.db')], dir);
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    const expected = trackerReadings();
    expect(out).toMatch(/^offstage doctor: what this Node process sees \(\w+ \w+, Node v\d+/);
    expect(out).toMatch(/^platform {4}Node\.js long-running process: background work available$/m);
    expect(out).toMatch(/^guarantees {2}survives restart: yes; survives reboot: yes; runs while the app is closed: no \(work runs only while a worker process is up\); minimum interval: none; execution budget: none$/m);
    const net = expected.network as { connected: boolean };
    expect(out).toMatch(new RegExp(`^ {2}network {3}${net.connected ? 'connected' : 'not connected'}; metered: no, roaming: no \\(not knowable on Node\\)`, 'm'));
    expect(out).toMatch(new RegExp(`^ {2}storage {3}\\S+ \\S+ free of \\S+ \\S+ \\(\\S+\\) at ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${expected.storageLow ? 'low' : 'not low'}$`, 'm'));
    expect(out).toMatch(/^ {2}memory {4}[\d.]+% in use \(\S+ \S+ of \S+ \S+\)$/m);
    expect(out).toMatch(/^ {2}idle {6}(yes|no): load [\d.]+ per core/m);
    expect(out).toMatch(/^CONSTRAINT\s+SUPPORT\s+MET NOW\s+ON THIS MACHINE$/m);
    expect(out).toMatch(/^network:unmetered\s+assumed\s+(yes|no)\s+metered links cannot be known on Node: treated as unmetered, so it is met whenever connected$/m);
    if (expected.battery === 'unknown' && expected.charging === 'unknown') {
      expect(out).toMatch(/^ {2}charging {2}unknown: no battery found \(read from /m);
      expect(out).toMatch(/^charging\s+unknown-here\s+yes\s+unknown here \(no battery found\) — treated as mains power, so 'charging' and 'batteryNotLow' are always met$/m);
      expect(out).toMatch(/^batteryNotLow\s+unknown-here\s+yes\s+unknown here \(no battery found\) — treated as mains power/m);
    }
    expect(out).toMatch(/Unknown readings count as met\. Trackers sample only while constrained work waits or runs/);
  });

  // The tracker probes only when some interface is up (any machine that runs CI has one).
  it.runIf(readInterfaces().connected)('--probe reports reachability, and the network reading follows it', async () => {
    const up = (await runInProcess(['doctor', '--json', '--probe', `http://127.0.0.1:${port}/health`], dir)).json<DoctorReport>();
    expect(up.signals.network.probe).toMatchObject({ url: `http://127.0.0.1:${port}/health`, reachable: true, status: 204, error: null });
    expect(up.deviceState.network).toMatchObject({ connected: true });

    const down = await runInProcess(['doctor', '--probe', `http://127.0.0.1:${port}/down`], dir);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(new RegExp(`^ {2}probe {5}http://127\\.0\\.0\\.1:${port}/down: not reachable \\(HTTP 503 in \\S+\\)$`, 'm'));
    expect(down.stdout).toMatch(/^ {2}network {3}not connected \(interfaces are up, but the probe failed\)/m);
    expect(down.stdout).toMatch(/^network:connected\s+measured\s+no\s+met when an interface is up and http:\/\/127\.0\.0\.1:\d+\/down answers below HTTP 500$/m);
  });

  it('refuses a probe that is not an http(s) URL', async () => {
    const result = await runInProcess(['doctor', '--probe', 'ftp://example.com'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual(["offstage: The --probe URL 'ftp://example.com' is not http or https; pass one such as https://example.com/health."]);
  });
});
