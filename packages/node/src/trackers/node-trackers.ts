/**
 * Constraint trackers for Node: network from the OS interfaces (plus an optional reachability
 * probe of a URL the user names), power from the OS, free storage from statfs, memory and load
 * from `os`. Each reads synchronously on demand (the engine reads before every claim) and samples
 * in the background only while the engine watches it, at a modest rate. The engine reads before
 * every pass and query, so each raw reading is reused for up to `maxReadAgeMs` (250 ms): a busy
 * worker then pays for one set of OS calls per quarter second, not one per claim. Readings that
 * need an OS tool (power on macOS and Windows) are reused for 5 s, so no claim spawns a process.
 */
import { statfsSync } from 'node:fs';
import { availableParallelism, freemem, loadavg, networkInterfaces, totalmem } from 'node:os';
import { SignalTracker, type ConstraintTrackers, type DeviceState, type NetworkState, type SignalName } from '@offstage/core';
import { readPower, type PowerReading } from './power-readings.js';

/**
 * The defaults of {@link NodeTrackerOptions}, for tools (such as `offstage doctor`) that explain
 * what the trackers decide.
 *
 * @example
 * NODE_TRACKER_DEFAULTS.idleLoadPerCore // 0.3
 */
export const NODE_TRACKER_DEFAULTS = {
  sampleIntervalMs: 15_000,
  lowStorageFraction: 0.1,
  lowStorageBytes: 1024 ** 3,
  idleLoadPerCore: 0.3,
  probeTimeoutMs: 5000,
  powerCacheMs: 5000,
  maxReadAgeMs: 250,
} as const;

/**
 * Options for {@link createNodeTrackers}.
 *
 * @example
 * const options: NodeTrackerOptions = { probeUrl: 'https://example.com/health', storagePath: '/var/lib/app' }
 */
export interface NodeTrackerOptions {
  /** How often a watched tracker samples in the background, in ms. Default 15 s. */
  sampleIntervalMs?: number;
  /** A URL to probe (HEAD) for real reachability; without it, any non-internal interface counts as connected. */
  probeUrl?: string;
  /** How long a probe may take before the network counts as unreachable, in ms. Default 5 s. */
  probeTimeoutMs?: number;
  /** Hears every probe's result (for logging why work waits for the network). */
  onProbe?: (result: ProbeResult) => void;
  /** Directory whose file system decides `storageNotLow`. Default: the working directory (the preset passes the database's directory). */
  storagePath?: string;
  /** Storage is low when free space is below this fraction of the disk AND below `lowStorageBytes`. Default 0.1. */
  lowStorageFraction?: number;
  /** See `lowStorageFraction`. Default 1 GiB. */
  lowStorageBytes?: number;
  /** The device is idle when the 1-minute load per core is below this. Default 0.3. */
  idleLoadPerCore?: number;
  /** Power readings (for tests). Default: the OS, reused for 5 s where that means running a tool (macOS, Windows). */
  readPower?: () => PowerReading;
  /** How long a raw reading (interfaces, power, storage, load, memory) is reused by the synchronous reads, in ms. Default 250; 0 reads afresh every time. */
  maxReadAgeMs?: number;
}

/**
 * What one reachability probe found.
 *
 * @example
 * const result: ProbeResult = await probeReachability('https://example.com/health')
 * result.reachable // true for any answer below 500
 */
export interface ProbeResult {
  url: string;
  /** The server answered with a status below 500. */
  reachable: boolean;
  /** The HTTP status, or null when no answer came. */
  status: number | null;
  /** Why no answer came (a network error or the timeout), else null. */
  error: string | null;
  elapsedMs: number;
}

/**
 * Whether any non-internal interface has an address. Metered and roaming cannot be known from
 * Node on a desktop or server, so they read false.
 *
 * @example
 * readInterfaces() // { connected: true, metered: false, roaming: false }
 */
export function readInterfaces(): NetworkState {
  const connected = Object.values(networkInterfaces()).some((list) => (list ?? []).some((a) => !a.internal));
  return { connected, metered: false, roaming: false };
}

/**
 * Sends one HEAD request to `url`: reachable when any answer below 500 comes back in time.
 *
 * @example
 * const { reachable, status, elapsedMs } = await probeReachability('https://example.com/health', 3000)
 */
export async function probeReachability(url: string, timeoutMs: number = NODE_TRACKER_DEFAULTS.probeTimeoutMs): Promise<ProbeResult> {
  const started = Date.now();
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    // Only the status matters; drop the (empty) body so the socket is released.
    await res.body?.cancel().catch(() => undefined);
    return { url, reachable: res.status < 500, status: res.status, error: null, elapsedMs: Date.now() - started };
  } catch (error) {
    return { url, reachable: false, status: null, error: describeFetchError(error, timeoutMs), elapsedMs: Date.now() - started };
  }
}

/**
 * Free and total bytes of the file system holding `path`, or null when it cannot be read.
 *
 * @example
 * readStorage('/var/lib/app') // { freeBytes: 12_884_901_888, totalBytes: 53_687_091_200 }
 */
export function readStorage(path: string): { freeBytes: number; totalBytes: number } | null {
  try {
    const s = statfsSync(path);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

/**
 * The 1-minute load average per core, or null where Node reports none (Windows always says 0).
 *
 * @example
 * readLoadPerCore() // 0.12
 */
export function readLoadPerCore(platform: NodeJS.Platform = process.platform): number | null {
  if (platform === 'win32') return null;
  // availableParallelism() is a cheap libuv call; cpus() would read every core's details.
  return loadavg()[0]! / Math.max(1, availableParallelism());
}

/**
 * Builds the six trackers for this machine.
 *
 * @example
 * createWorkEngine({ store, trackers: createNodeTrackers({ probeUrl: 'https://example.com/health' }) })
 */
export function createNodeTrackers(options: NodeTrackerOptions = {}): Required<ConstraintTrackers> {
  const every = options.sampleIntervalMs ?? NODE_TRACKER_DEFAULTS.sampleIntervalMs;
  const maxAge = options.maxReadAgeMs ?? NODE_TRACKER_DEFAULTS.maxReadAgeMs;
  const power = reuseFor(maxAge, options.readPower ?? osPower());
  const storagePath = options.storagePath ?? process.cwd();
  const lowFraction = options.lowStorageFraction ?? NODE_TRACKER_DEFAULTS.lowStorageFraction;
  const lowBytes = options.lowStorageBytes ?? NODE_TRACKER_DEFAULTS.lowStorageBytes;
  const idleLoad = options.idleLoadPerCore ?? NODE_TRACKER_DEFAULTS.idleLoadPerCore;

  const interfaces = reuseFor(maxAge, readInterfaces);
  const storageLow = reuseFor(maxAge, (): boolean | 'unknown' => {
    const s = readStorage(storagePath);
    return s === null ? 'unknown' : s.freeBytes < s.totalBytes * lowFraction && s.freeBytes < lowBytes;
  });
  const idle = reuseFor(maxAge, (): boolean | 'unknown' => {
    const load = readLoadPerCore();
    return load === null ? 'unknown' : load < idleLoad;
  });
  const memory = reuseFor(maxAge, () => 1 - freemem() / totalmem());

  return {
    network: options.probeUrl ? probedNetwork(options.probeUrl, every, interfaces, options) : sampled('network', interfaces, every),
    charging: sampled('charging', () => power().charging, every),
    battery: sampled('battery', () => power().battery, every),
    storageLow: sampled('storageLow', storageLow, every),
    idle: sampled('idle', idle, every),
    memory: sampled('memory', memory, every),
  };
}

/**
 * The trackers with the network probe already answered once, and kept probing until `stop()`. For
 * code that reads trackers without a started worker loop to watch them (`runDue` in a cron job or
 * a serverless function, `offstage doctor`): the probe runs only while someone watches the network
 * tracker, so without this the first claims would see the interfaces alone.
 *
 * @example
 * const probed = await startProbedTrackers({ probeUrl: 'https://api.example.com/health' })
 * const engine = createOffstage({ tasks, trackers: probed.trackers })
 * try { await engine.runDue({ budget: '25s' }) } finally { probed.stop(); await engine.close() }
 */
export async function startProbedTrackers(
  options: NodeTrackerOptions & { probeUrl: string },
): Promise<{ trackers: Required<ConstraintTrackers>; firstProbe: ProbeResult | null; stop: () => void }> {
  let first: ProbeResult | null = null;
  let answered!: () => void;
  const answer = new Promise<void>((resolve) => (answered = resolve));
  const trackers = createNodeTrackers({
    ...options,
    onProbe: (result) => {
      first ??= result;
      answered();
      options.onProbe?.(result);
    },
  });
  const stop = trackers.network.subscribe(() => {});
  // With every interface down no probe runs (the network reads offline at once): do not wait then.
  if (readInterfaces().connected) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, (options.probeTimeoutMs ?? NODE_TRACKER_DEFAULTS.probeTimeoutMs) + 1000)));
    await Promise.race([answer, timeout]);
    clearTimeout(timer);
  }
  return { trackers, firstProbe: first, stop };
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

/**
 * The network as the interfaces and the last probe see it. The synchronous read (taken before
 * every claim) must agree with the probe, or it would overwrite an "unreachable" with the
 * interfaces' "connected" each time; so it combines the two: no interface means offline at once,
 * otherwise the last probe decides (the interfaces alone until the first probe has answered).
 */
function probedNetwork(url: string, every: number, interfaces: () => NetworkState, options: NodeTrackerOptions): SignalTracker<'network'> {
  let lastProbe: boolean | undefined;
  const read = (): NetworkState => {
    const net = interfaces();
    return net.connected && lastProbe !== undefined ? { ...net, connected: lastProbe } : net;
  };
  const tracker = new SignalTracker('network', { read });
  tracker.setEventListener((set) => {
    let stopped = false;
    let inFlight = false;
    const probe = async (): Promise<void> => {
      if (inFlight) return;
      if (!interfaces().connected) return set(read());
      inFlight = true;
      try {
        const result = await probeReachability(url, options.probeTimeoutMs);
        if (stopped) return;
        lastProbe = result.reachable;
        options.onProbe?.(result);
        set(read());
      } finally {
        inFlight = false;
      }
    };
    void probe();
    const timer = setInterval(() => void probe(), every);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  });
  return tracker;
}

/** `read`, with each result reused for `ms` (0: read every time). */
function reuseFor<T>(ms: number, read: () => T): () => T {
  if (ms <= 0) return read;
  let last: { at: number; value: T } | null = null;
  return () => {
    const now = Date.now();
    if (last === null || now - last.at >= ms) last = { at: now, value: read() };
    return last.value;
  };
}

/** The OS's power reading: read afresh on Linux (a file read), reused briefly where it runs a tool. */
function osPower(): () => PowerReading {
  if (process.platform === 'linux') return () => readPower();
  let cached: { at: number; reading: PowerReading } | null = null;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at >= NODE_TRACKER_DEFAULTS.powerCacheMs) cached = { at: now, reading: readPower() };
    return cached.reading;
  };
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
