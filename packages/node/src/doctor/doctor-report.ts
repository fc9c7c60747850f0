/**
 * What `offstage doctor` finds: what each Node tracker reads on this machine (with the raw
 * figures behind each reading), which constraints this platform can honour and whether each is
 * met now, and the engine's `getStatus()` and `guarantees()`. The readings come from a real
 * preset engine's `deviceState()`, so the doctor says exactly what a worker here would decide;
 * "met now" comes from core's own `waitingFor`. It never opens the database.
 */
import { arch, availableParallelism, freemem, loadavg, networkInterfaces, totalmem } from 'node:os';
import { dirname } from 'node:path';
import {
  constraintKey,
  formatDuration,
  MemoryStore,
  toConditions,
  waitingFor,
  type ConstraintName,
  type Constraints,
  type DeviceState,
  type Guarantees,
  type NetworkState,
  type PlatformStatus,
} from '@offstage/core';
import { createOffstage } from '../create-offstage.js';
import { percent } from '../format/describe-work.js';
import { formatTable } from '../format/table.js';
import { createNodeTrackers, NODE_TRACKER_DEFAULTS, probeReachability, readLoadPerCore, readStorage, startProbedTrackers, type ProbeResult } from '../trackers/node-trackers.js';

/**
 * How well this platform can honour a constraint: `measured` (a tracker reads it), `assumed`
 * (Node cannot know it; it always reads as met), `unknown-here` (this machine does not report it,
 * so it counts as met).
 *
 * @example
 * const support: ConstraintSupport = 'assumed'
 */
export type ConstraintSupport = 'measured' | 'assumed' | 'unknown-here';

/**
 * One constraint in the doctor's report.
 *
 * @example
 * report.constraints.find((c: DoctorConstraint) => c.constraint === 'charging')?.met // true
 */
export interface DoctorConstraint {
  constraint: ConstraintName;
  support: ConstraintSupport;
  /** Whether work with this constraint (at its default threshold) could start here now. */
  met: boolean;
  /** What the constraint means on this machine, in one sentence. */
  note: string;
}

/**
 * What `doctor --json` prints.
 *
 * @example
 * const { deviceState, constraints, guarantees } = JSON.parse(stdout) as DoctorReport
 */
export interface DoctorReport {
  system: { os: NodeJS.Platform; arch: string; node: string; cores: number };
  /** The engine's `getStatus()`. */
  platform: PlatformStatus & { platform: string };
  /** The engine's `guarantees()`. */
  guarantees: Guarantees;
  /** The engine's `deviceState()`: what the trackers read, exactly as a worker here sees it. */
  deviceState: DeviceState;
  /** Each signal's reading with the figures behind it. */
  signals: {
    network: { reading: NetworkState | 'unknown'; interfaces: Array<{ name: string; family: string; address: string }>; probe: ProbeResult | null };
    power: { charging: boolean | 'unknown'; battery: number | 'unknown'; source: string };
    storage: { low: boolean | 'unknown'; path: string; freeBytes: number | null; totalBytes: number | null; lowFraction: number; lowBytes: number };
    idle: { idle: boolean | 'unknown'; loadPerCore: number | null; load1: number; cores: number; idleBelowLoadPerCore: number };
    memory: { inUse: number | 'unknown'; usedBytes: number; totalBytes: number };
  };
  constraints: DoctorConstraint[];
}

/**
 * Options for {@link readDoctorReport}.
 *
 * @example
 * const options: DoctorOptions = { db: '/srv/app/offstage.db', probeUrl: 'https://example.com/health' }
 */
export interface DoctorOptions {
  /** The database path (absolute): storage is measured on its file system, as a worker on it would. */
  db: string;
  /** Also probe this URL for reachability, as `trackerOptions.probeUrl` would. */
  probeUrl?: string;
}

/**
 * Reads every tracker once (and probes `probeUrl`, if given) and builds the report.
 *
 * @example
 * const report = await readDoctorReport({ db: resolve('offstage.db') })
 * report.constraints.filter((c) => c.support === 'assumed').map((c) => c.constraint) // ['network:unmetered', 'network:not-roaming']
 */
export async function readDoctorReport(options: DoctorOptions): Promise<DoctorReport> {
  const storagePath = options.db === ':memory:' ? process.cwd() : dirname(options.db);
  const probed = options.probeUrl ? await startProbedTrackers({ storagePath, probeUrl: options.probeUrl }) : null;
  const trackers = probed?.trackers ?? createNodeTrackers({ storagePath });
  const engine = createOffstage({ store: new MemoryStore(), trackers, watch: false });
  try {
    // With every interface down the tracker does not probe; probe anyway, for the report only.
    const probe = options.probeUrl ? (probed?.firstProbe ?? (await probeReachability(options.probeUrl))) : null;
    const deviceState = engine.deviceState();
    const storage = readStorage(storagePath);
    const report: DoctorReport = {
      system: { os: process.platform, arch: arch(), node: process.version, cores: availableParallelism() },
      platform: engine.getStatus(),
      guarantees: engine.guarantees(),
      deviceState,
      signals: {
        network: { reading: deviceState.network, interfaces: externalInterfaces(), probe },
        power: { charging: deviceState.charging, battery: deviceState.battery, source: powerSource(process.platform) },
        storage: {
          low: deviceState.storageLow,
          path: storagePath,
          freeBytes: storage?.freeBytes ?? null,
          totalBytes: storage?.totalBytes ?? null,
          lowFraction: NODE_TRACKER_DEFAULTS.lowStorageFraction,
          lowBytes: NODE_TRACKER_DEFAULTS.lowStorageBytes,
        },
        idle: { idle: deviceState.idle, loadPerCore: readLoadPerCore(), load1: loadavg()[0]!, cores: availableParallelism(), idleBelowLoadPerCore: NODE_TRACKER_DEFAULTS.idleLoadPerCore },
        memory: { inUse: deviceState.memory, usedBytes: totalmem() - freemem(), totalBytes: totalmem() },
      },
      constraints: [],
    };
    report.constraints = describeConstraints(report);
    return report;
  } finally {
    probed?.stop();
    await engine.close();
  }
}

/** Each constraint at its default threshold, met or not under these readings (core's own rule). */
function describeConstraints(r: DoctorReport): DoctorConstraint[] {
  const conditions = toConditions(r.deviceState);
  const met = (c: Constraints): boolean => waitingFor(constraintKey(c), conditions).length === 0;
  const { network, power, storage, idle, memory } = r.signals;
  const noBattery = power.charging === 'unknown' && power.battery === 'unknown';
  const mains = "unknown here (no battery found) — treated as mains power, so 'charging' and 'batteryNotLow' are always met";
  const out: DoctorConstraint[] = [];

  const reach = network.probe
    ? `met when an interface is up and ${network.probe.url} answers below HTTP 500`
    : 'met when any non-loopback interface has an address (pass --probe <url> to check real reachability)';
  out.push({ constraint: 'network:connected', support: network.reading === 'unknown' ? 'unknown-here' : 'measured', met: met({ network: 'connected' }), note: reach });
  out.push({
    constraint: 'network:unmetered',
    support: 'assumed',
    met: met({ network: 'unmetered' }),
    note: 'metered links cannot be known on Node: treated as unmetered, so it is met whenever connected',
  });
  out.push({
    constraint: 'network:not-roaming',
    support: 'assumed',
    met: met({ network: 'not-roaming' }),
    note: 'roaming cannot be known on Node: treated as not roaming, so it is met whenever connected',
  });

  if (power.charging === 'unknown') {
    out.push({ constraint: 'charging', support: 'unknown-here', met: met({ charging: true }), note: noBattery ? mains : `unknown here (${power.source} does not say) — counts as met` });
  } else {
    out.push({ constraint: 'charging', support: 'measured', met: met({ charging: true }), note: `${power.charging ? 'on mains power now' : 'on battery now'} (from ${power.source})` });
  }
  if (power.battery === 'unknown') {
    out.push({
      constraint: 'batteryNotLow',
      support: 'unknown-here',
      met: met({ batteryNotLow: true }),
      note: noBattery ? mains : power.charging === true ? 'level unknown, but on mains power: counts as full' : 'level unknown here — treated as full, so it is always met',
    });
  } else {
    out.push({
      constraint: 'batteryNotLow',
      support: 'measured',
      met: met({ batteryNotLow: true }),
      note: `battery at ${percent(power.battery)}${power.charging === true ? ', on mains power (counts as full)' : ''}; the default threshold is above 15%`,
    });
  }

  const space = storage.freeBytes === null || storage.totalBytes === null ? null : `${formatBytes(storage.freeBytes)} free of ${formatBytes(storage.totalBytes)}`;
  out.push({
    constraint: 'storageNotLow',
    support: storage.low === 'unknown' ? 'unknown-here' : 'measured',
    met: met({ storageNotLow: true }),
    note:
      space === null
        ? `the file system of ${storage.path} cannot be read — counts as met`
        : `${space} on the file system of ${storage.path}; low means under ${percent(storage.lowFraction)} and under ${formatBytes(storage.lowBytes)} free`,
  });
  out.push({
    constraint: 'deviceIdle',
    support: idle.idle === 'unknown' ? 'unknown-here' : 'measured',
    met: met({ deviceIdle: true }),
    note:
      idle.loadPerCore === null
        ? 'Node reports no load average on this OS — counts as met'
        : `Node cannot see user activity: idle means a 1-minute load under ${idle.idleBelowLoadPerCore} per core (now ${idle.loadPerCore.toFixed(2)})`,
  });
  out.push({
    constraint: 'memory',
    support: memory.inUse === 'unknown' ? 'unknown-here' : 'measured',
    met: met({ memoryBelow: true }),
    note: `${memory.inUse === 'unknown' ? 'unknown' : percent(memory.inUse)} of memory in use; memoryBelow: true means under 85%, or pass a fraction`,
  });
  return out;
}

/**
 * The report for people: the platform and its guarantees, each signal, then each constraint.
 *
 * @example
 * printLines(io, formatDoctorReport(await readDoctorReport({ db })))
 */
export function formatDoctorReport(r: DoctorReport): string {
  const { network, power, storage, idle, memory } = r.signals;
  const yes = (b: boolean): string => (b ? 'yes' : 'no');
  const g = r.guarantees;
  const lines = [
    `offstage doctor: what this Node process sees (${r.system.os} ${r.system.arch}, Node ${r.system.node}, ${r.system.cores} core${r.system.cores === 1 ? '' : 's'})`,
    '',
    `platform    ${r.platform.platform}: background work ${r.platform.status}${r.platform.reason ? ` (${r.platform.reason})` : ''}`,
    `guarantees  survives restart: ${yes(g.survivesRestart)}; survives reboot: ${yes(g.survivesReboot)}; ` +
      `runs while the app is closed: ${yes(g.runsWhileAppClosed)}${g.runsWhileAppClosed ? '' : ' (work runs only while a worker process is up)'}; ` +
      `minimum interval: ${g.minimumIntervalMs === 0 ? 'none' : formatDuration(g.minimumIntervalMs)}; ` +
      `execution budget: ${g.executionBudgetMs === null ? 'none' : formatDuration(g.executionBudgetMs)}`,
    '',
    'signals (what the trackers read now)',
  ];
  const net = network.reading;
  const ifaces = network.interfaces.length ? network.interfaces.map((i) => `${i.name} ${i.address}`).join(', ') : 'none besides loopback';
  lines.push(
    `  network   ${net === 'unknown' ? 'unknown' : net.connected ? 'connected' : network.interfaces.length && network.probe ? 'not connected (interfaces are up, but the probe failed)' : 'not connected'}; metered: ${net === 'unknown' ? '?' : yes(net.metered)}, roaming: ${net === 'unknown' ? '?' : yes(net.roaming)} (not knowable on Node); interfaces: ${ifaces}`,
  );
  if (network.probe) {
    const p = network.probe;
    lines.push(`  probe     ${p.url}: ${p.reachable ? 'reachable' : 'not reachable'} (${p.status === null ? p.error : `HTTP ${p.status}`} in ${formatDuration(p.elapsedMs)})`);
  }
  const noBattery = power.charging === 'unknown' && power.battery === 'unknown';
  lines.push(
    `  charging  ${power.charging === 'unknown' ? `unknown${noBattery ? ': no battery found' : ''}` : power.charging ? 'yes, on mains power' : 'no, on battery'} (read from ${power.source})`,
    `  battery   ${power.battery === 'unknown' ? `unknown${noBattery ? ': no battery found, so the engine treats this machine as on mains power' : ''}` : percent(power.battery)}`,
    `  storage   ${
      storage.freeBytes === null || storage.totalBytes === null
        ? `unknown (cannot read the file system of ${storage.path})`
        : `${formatBytes(storage.freeBytes)} free of ${formatBytes(storage.totalBytes)} (${percent(storage.freeBytes / Math.max(1, storage.totalBytes))}) at ${storage.path}: ${storage.low === true ? 'low' : 'not low'}`
    }`,
    `  idle      ${
      idle.loadPerCore === null
        ? 'unknown (no load average on this OS)'
        : `${yes(idle.idle === true)}: load ${idle.loadPerCore.toFixed(2)} per core (1-minute load ${idle.load1.toFixed(2)} on ${idle.cores} core${idle.cores === 1 ? '' : 's'}; idle is under ${idle.idleBelowLoadPerCore})`
    }`,
    `  memory    ${memory.inUse === 'unknown' ? 'unknown' : `${percent(memory.inUse)} in use`} (${formatBytes(memory.usedBytes)} of ${formatBytes(memory.totalBytes)})`,
    '',
    'constraints (whether work asking for each, at its default threshold, could start here now)',
    formatTable(r.constraints, [
      { header: 'CONSTRAINT', value: (c) => c.constraint },
      { header: 'SUPPORT', value: (c) => c.support },
      { header: 'MET NOW', value: (c) => (c.met ? 'yes' : 'no') },
      { header: 'ON THIS MACHINE', value: (c) => c.note },
    ]),
    '',
    'Unknown readings count as met. Trackers sample only while constrained work waits or runs (and before each claim).',
  );
  return lines.join('\n');
}

function externalInterfaces(): Array<{ name: string; family: string; address: string }> {
  const out: Array<{ name: string; family: string; address: string }> = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.push({ name, family: a.family, address: a.address });
  }
  return out;
}

function powerSource(platform: NodeJS.Platform): string {
  if (platform === 'linux') return '/sys/class/power_supply';
  if (platform === 'darwin') return 'pmset -g batt';
  if (platform === 'win32') return 'Win32_Battery';
  return `nothing on ${platform}`;
}

function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib >= 1) return `${Number(gib.toFixed(1))} GiB`;
  return `${Number((bytes / 1024 ** 2).toFixed(1))} MiB`;
}
