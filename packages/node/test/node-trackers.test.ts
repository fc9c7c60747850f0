import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toConditions, UNKNOWN_DEVICE } from '@offstage/core';
import { createNodeTrackers, readInterfaces } from '../src/trackers/node-trackers.js';
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
      const { network } = createNodeTrackers({ probeUrl: `http://127.0.0.1:${port}/health`, sampleIntervalMs: 50 });
      const seen: unknown[] = [];
      const off = network.subscribe(() => seen.push(network.get()));
      await expect.poll(() => seen.length).toBeGreaterThan(0);
      expect(network.get()).toMatchObject({ connected: true });
      healthy = false;
      await expect.poll(() => (network.get() as { connected: boolean }).connected).toBe(false);
      off();
    } finally {
      server.close();
    }
  });
});
