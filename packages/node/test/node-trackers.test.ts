import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toConditions, UNKNOWN_DEVICE } from '@offstage/core';
import { createNodeTrackers, probeReachability, readInterfaces, readLoadPerCore, startProbedTrackers, type ProbeResult } from '../src/trackers/node-trackers.js';
import { parsePmset, parseWin32Battery, readLinuxPower, UNKNOWN_POWER } from '../src/trackers/power-readings.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fakeSysfs(supplies: Record<string, Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'offstage-power-'));
  dirs.push(root);
  for (const [name, files] of Object.entries(supplies)) {
    mkdirSync(join(root, name));
    for (const [file, text] of Object.entries(files)) writeFileSync(join(root, name, file), `${text}\n`);
  }
  return root;
}

describe('power readings', () => {
  it('reads a Linux laptop on battery and on mains', () => {
    const onBattery = fakeSysfs({ AC: { type: 'Mains', online: '0' }, BAT0: { type: 'Battery', capacity: '42', status: 'Discharging' } });
    expect(readLinuxPower(onBattery)).toEqual({ charging: false, battery: 0.42 });
    const onMains = fakeSysfs({ AC: { type: 'Mains', online: '1' }, BAT0: { type: 'Battery', capacity: '90', status: 'Charging' } });
    expect(readLinuxPower(onMains)).toEqual({ charging: true, battery: 0.9 });
  });

  it('ignores peripheral batteries and reads a server without one as unknown', () => {
    const mouseOnly = fakeSysfs({ hidpp_battery_0: { type: 'Battery', scope: 'Device', capacity: '10', status: 'Discharging' } });
    expect(readLinuxPower(mouseOnly)).toEqual(UNKNOWN_POWER);
    expect(readLinuxPower(join(tmpdir(), 'no-such-power-supply-dir'))).toEqual(UNKNOWN_POWER);
  });

  it('parses macOS pmset and Windows Win32_Battery', () => {
    expect(parsePmset("Now drawing from 'Battery Power'\n -InternalBattery-0 (id=4653155)\t67%; discharging; 4:12 remaining present: true")).toEqual({ charging: false, battery: 0.67 });
    expect(parsePmset("Now drawing from 'AC Power'")).toEqual({ charging: true, battery: 'unknown' });
    expect(parseWin32Battery('{"EstimatedChargeRemaining":57,"BatteryStatus":1}')).toEqual({ charging: false, battery: 0.57 });
    expect(parseWin32Battery('')).toEqual(UNKNOWN_POWER);
    expect(parseWin32Battery('not json')).toEqual(UNKNOWN_POWER);
  });
});

describe('Node trackers on this machine', () => {
  it('read real values, and unknown power counts as mains', () => {
    const trackers = createNodeTrackers();
    const state = { ...UNKNOWN_DEVICE };
    for (const t of Object.values(trackers)) {
      t.refresh();
      (state as Record<string, unknown>)[t.signal] = t.get();
    }
    // Printed so a CI log shows what this machine offers.
    console.log('trackers on this machine:', JSON.stringify(state));
    expect(state.network).toEqual(readInterfaces());
    expect(typeof state.memory).toBe('number');
    expect(state.memory as number).toBeGreaterThan(0);
    expect(state.memory as number).toBeLessThan(1);
    expect([true, false]).toContain(state.storageLow);
    expect([true, false]).toContain(state.idle);
    if (state.battery === 'unknown') expect(toConditions(state).battery).toBe(1);
  });

  it('samples in the background only while watched', () => {
    const { memory } = createNodeTrackers({ sampleIntervalMs: 10 });
    expect(memory.watching).toBe(false);
    const off = memory.subscribe(() => {});
    expect(memory.watching).toBe(true);
    off();
    expect(memory.watching).toBe(false);
  });

  it.runIf(readInterfaces().connected)('startProbedTrackers answers with the first probe, for readers without a worker loop', async () => {
    const server: Server = createServer((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      const probed = await startProbedTrackers({ probeUrl: url });
      expect(probed.firstProbe).toMatchObject({ url, reachable: false, status: 503 });
      probed.trackers.network.refresh(); // what the engine does before a claim
      expect(probed.trackers.network.get()).toEqual({ connected: false, metered: false, roaming: false });
      expect(probed.trackers.network.watching).toBe(true);
      probed.stop();
      expect(probed.trackers.network.watching).toBe(false);
    } finally {
      server.close();
    }
  });

  it('reports a refused connection and a timeout as unreachable, and no load average on Windows', async () => {
    // A port that was just free: nothing listens there.
    const closed: Server = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const refused = await probeReachability(`http://127.0.0.1:${closedPort}/`, 2000);
    expect(refused).toMatchObject({ reachable: false, status: null });
    expect(refused.error).toBe('ECONNREFUSED');
    const silent: Server = createServer(() => {}); // never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const timedOut = await probeReachability(`http://127.0.0.1:${(silent.address() as { port: number }).port}/`, 100);
      expect(timedOut).toMatchObject({ reachable: false, status: null, error: 'no answer within 100 ms' });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    expect(readLoadPerCore('win32')).toBeNull();
    expect(readLoadPerCore('linux')).toBeGreaterThanOrEqual(0);
  });

  it('reuses a raw reading for maxReadAgeMs, so claims in a burst make one set of OS calls', async () => {
    let calls = 0;
    const readPower = () => (calls++, { charging: true, battery: 0.5 });
    const reused = createNodeTrackers({ readPower, maxReadAgeMs: 50 });
    for (let i = 0; i < 5; i++) [reused.charging, reused.battery].forEach((t) => t.refresh());
    expect(calls).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    reused.battery.refresh();
    expect(calls).toBe(2);
    calls = 0;
    const fresh = createNodeTrackers({ readPower, maxReadAgeMs: 0 });
    for (let i = 0; i < 3; i++) fresh.battery.refresh();
    expect(calls).toBe(3);
  });

  it('uses fake power readings when given', () => {
    const { battery, charging } = createNodeTrackers({ readPower: () => ({ charging: false, battery: 0.1 }) });
    battery.refresh();
    charging.refresh();
    expect([battery.get(), charging.get()]).toEqual([0.1, false]);
  });

  it('probes reachability of a named URL', async () => {
    let healthy = true;
    const server: Server = createServer((_req, res) => {
      res.statusCode = healthy ? 204 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const probes: ProbeResult[] = [];
      const { network } = createNodeTrackers({ probeUrl: `http://127.0.0.1:${port}/health`, sampleIntervalMs: 50, onProbe: (r) => probes.push(r) });
      const seen: unknown[] = [];
      const off = network.subscribe(() => seen.push(network.get()));
      await expect.poll(() => seen.length).toBeGreaterThan(0);
      expect(network.get()).toMatchObject({ connected: true });
      healthy = false;
      await expect.poll(() => (network.get() as { connected: boolean }).connected).toBe(false);
      // The engine reads every tracker afresh before a claim: that read must keep the probe's verdict,
      // not fall back to "an interface is up".
      network.refresh();
      expect(network.get()).toMatchObject({ connected: false });
      healthy = true;
      await expect.poll(() => (network.get() as { connected: boolean }).connected).toBe(true);
      off();
      expect(probes.some((p) => p.status === 503 && !p.reachable)).toBe(true);
      expect(probes.at(-1)).toMatchObject({ reachable: true, status: 204, error: null });
    } finally {
      server.close();
    }
  });
});
