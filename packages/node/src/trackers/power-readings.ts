/**
 * Battery and charging readings from the operating system: Linux's /sys/class/power_supply,
 * macOS's `pmset -g batt`, Windows' Win32_Battery. Parsers are pure so each platform's format is
 * tested here whatever machine runs the tests; a machine without a battery reads "unknown".
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the OS says about power: unknown fields are `'unknown'`. */
export interface PowerReading {
  charging: boolean | 'unknown';
  /** Battery level 0..1. */
  battery: number | 'unknown';
}

/** Unknown power: no battery found, which the engine treats as mains power. */
export const UNKNOWN_POWER: PowerReading = { charging: 'unknown', battery: 'unknown' };

/**
 * Reads Linux's power supplies under `root` (default `/sys/class/power_supply`).
 *
 * @example
 * readLinuxPower() // { charging: false, battery: 0.83 } on a laptop on battery
 */
export function readLinuxPower(root = '/sys/class/power_supply'): PowerReading {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return UNKNOWN_POWER;
  }
  const read = (dir: string, file: string): string | undefined => {
    try {
      return readFileSync(join(root, dir, file), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  let mainsOnline: boolean | undefined;
  const levels: number[] = [];
  let batteryCharging: boolean | undefined;
  for (const dir of entries) {
    const type = read(dir, 'type');
    if (type === 'Mains' || type === 'USB') {
      const online = read(dir, 'online');
      if (online !== undefined) mainsOnline = (mainsOnline ?? false) || online === '1';
    } else if (type === 'Battery') {
      if (read(dir, 'scope') === 'Device') continue; // a mouse or headset battery, not the system's
      const capacity = Number(read(dir, 'capacity'));
      if (Number.isFinite(capacity)) levels.push(Math.min(1, Math.max(0, capacity / 100)));
      const status = read(dir, 'status');
      if (status) batteryCharging = (batteryCharging ?? false) || status === 'Charging' || status === 'Full';
    }
  }
  if (levels.length === 0) return { charging: mainsOnline ?? 'unknown', battery: 'unknown' };
  return { charging: mainsOnline ?? batteryCharging ?? 'unknown', battery: levels.reduce((a, b) => a + b, 0) / levels.length };
}

/**
 * Parses `pmset -g batt` (macOS).
 *
 * @example
 * parsePmset("Now drawing from 'AC Power'\n -InternalBattery-0 (id=1)\t95%; charged; 0:00 remaining")
 * // { charging: true, battery: 0.95 }
 */
export function parsePmset(output: string): PowerReading {
  const source = /Now drawing from '([^']+)'/.exec(output)?.[1];
  const level = /(\d{1,3})%/.exec(output)?.[1];
  return {
    charging: source === undefined ? 'unknown' : source === 'AC Power',
    battery: level === undefined ? 'unknown' : Math.min(1, Number(level) / 100),
  };
}

/**
 * Parses `Get-CimInstance Win32_Battery | Select EstimatedChargeRemaining,BatteryStatus | ConvertTo-Json` (Windows).
 * BatteryStatus 2 means on AC power; 1 means discharging.
 *
 * @example
 * parseWin32Battery('{"EstimatedChargeRemaining":57,"BatteryStatus":2}') // { charging: true, battery: 0.57 }
 */
export function parseWin32Battery(json: string): PowerReading {
  if (json.trim() === '') return UNKNOWN_POWER;
  try {
    const parsed = JSON.parse(json) as unknown;
    const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { EstimatedChargeRemaining?: number; BatteryStatus?: number } | undefined;
    if (!first) return UNKNOWN_POWER;
    const level = first.EstimatedChargeRemaining;
    const status = first.BatteryStatus;
    return {
      charging: status === undefined ? 'unknown' : [2, 6, 7, 8, 9, 11].includes(status),
      battery: typeof level === 'number' ? Math.min(1, level / 100) : 'unknown',
    };
  } catch {
    return UNKNOWN_POWER;
  }
}

/**
 * Reads power on this platform, synchronously (a file read or a short OS tool call).
 *
 * @example
 * readPower() // UNKNOWN_POWER on a server without a battery
 */
export function readPower(platform: NodeJS.Platform = process.platform): PowerReading {
  try {
    if (platform === 'linux') return readLinuxPower();
    if (platform === 'darwin') return parsePmset(execFileSync('pmset', ['-g', 'batt'], { encoding: 'utf8', timeout: 2000 }));
    if (platform === 'win32') {
      const script = 'Get-CimInstance Win32_Battery | Select-Object EstimatedChargeRemaining,BatteryStatus | ConvertTo-Json';
      return parseWin32Battery(execFileSync('powershell', ['-NoProfile', '-Command', script], { encoding: 'utf8', timeout: 5000 }));
    }
  } catch {
    // The tool is missing or failed: the reading is simply unknown.
  }
  return UNKNOWN_POWER;
}
