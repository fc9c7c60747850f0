/**
 * Constraint trackers for Node: network from the OS interfaces (plus an optional reachability
 * probe of a URL the user names), power from the OS, free storage from statfs, memory and load
 * from `os`. Each reads synchronously on demand (the engine reads before every claim) and samples
 * in the background only while the engine watches it, at a modest rate.
 */
import { statfsSync } from 'node:fs';
import { cpus, freemem, loadavg, networkInterfaces, totalmem } from 'node:os';
import { SignalTracker, type ConstraintTrackers, type DeviceState, type NetworkState, type SignalName } from '@offstage/core';
import { readPower, type PowerReading } from './power-readings.js';

/** Options for {@link createNodeTrackers}. */
export interface NodeTrackerOptions {
  /** How often a watched tracker samples in the background, in ms. Default 15 s. */
  sampleIntervalMs?: number;
  /** A URL to probe (HEAD) for real reachability; without it, any non-internal interface counts as connected. */
  probeUrl?: string;
  /** Directory whose file system decides `storageNotLow`. Default: the working directory. */
  storagePath?: string;
  /** Storage is low when free space is below this fraction of the disk AND below `lowStorageBytes`. Default 0.1. */
  lowStorageFraction?: number;
  /** See `lowStorageFraction`. Default 1 GiB. */
  lowStorageBytes?: number;
  /** The device is idle when the 1-minute load per core is below this. Default 0.3. */
  idleLoadPerCore?: number;
  /** Power readings (for tests). Default: the OS. */
  readPower?: () => PowerReading;
}

/**
 * Whether any non-internal interface has an address. Metered and roaming cannot be known from
 * Node on a desktop or server, so they read false.
 */
export function readInterfaces(): NetworkState {
  const connected = Object.values(networkInterfaces()).some((list) => (list ?? []).some((a) => !a.internal));
  return { connected, metered: false, roaming: false };
}

/**
 * Builds the six trackers for this machine.
 *
 * @example
 * createWorkEngine({ store, trackers: createNodeTrackers({ probeUrl: 'https://example.com/health' }) })
 */
export function createNodeTrackers(options: NodeTrackerOptions = {}): Required<ConstraintTrackers> {
  const every = options.sampleIntervalMs ?? 15_000;
  const power = options.readPower ?? (() => readPower());
  const storagePath = options.storagePath ?? process.cwd();
  const lowFraction = options.lowStorageFraction ?? 0.1;
  const lowBytes = options.lowStorageBytes ?? 1024 ** 3;
  const idleLoad = options.idleLoadPerCore ?? 0.3;

  const readStorageLow = (): boolean | 'unknown' => {
    try {
      const s = statfsSync(storagePath);
      const free = s.bavail * s.bsize;
      const total = s.blocks * s.bsize;
      return free < total * lowFraction && free < lowBytes;
    } catch {
      return 'unknown';
    }
  };

  const network = sampled('network', readInterfaces, every);
  if (options.probeUrl) {
    const url = options.probeUrl;
    network.setEventListener((set) => {
      let stopped = false;
      const probe = async (): Promise<void> => {
        if (!readInterfaces().connected) return set({ connected: false, metered: false, roaming: false });
        try {
          const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
          set({ connected: res.status < 500, metered: false, roaming: false });
        } catch {
          set({ connected: false, metered: false, roaming: false });
        }
      };
      void probe();
      const timer = setInterval(() => void (stopped || probe()), every);
      timer.unref();
      return () => {
        stopped = true;
        clearInterval(timer);
      };
    });
  }

  return {
    network,
    charging: sampled('charging', () => power().charging, every),
    battery: sampled('battery', () => power().battery, every),
    storageLow: sampled('storageLow', readStorageLow, every),
    idle: sampled('idle', () => loadavg()[0]! / Math.max(1, cpus().length) < idleLoad, every),
    memory: sampled('memory', () => 1 - freemem() / totalmem(), every),
  };
}

/** A tracker that reads on demand and, while watched, re-reads every `every` ms. */
function sampled<K extends SignalName>(signal: K, read: () => DeviceState[K], every: number): SignalTracker<K> {
  const tracker = new SignalTracker(signal, { read });
  tracker.setEventListener((set) => {
    const sample = (): void => {
      try {
        set(read());
      } catch {
        set('unknown' as DeviceState[K]);
      }
    };
    sample();
    const timer = setInterval(sample, every);
    // Sampling must never keep a process alive on its own.
    timer.unref();
    return () => clearInterval(timer);
  });
  return tracker;
}
