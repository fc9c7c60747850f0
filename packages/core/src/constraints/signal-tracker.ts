/**
 * The ConstraintTracker seam: one tracker per signal, holding its latest reading, with a settable
 * event listener (TanStack Query's onlineManager shape) and an optional synchronous reader. A
 * platform only supplies those; the tracker starts the listener when someone subscribes and stops
 * it when the last one leaves, so a signal is watched only while some work needs it.
 */
import type { DeviceState, SignalName } from './device-state.js';

/** Starts watching a signal, reporting readings through `set`; returns a function that stops it. */
export type SignalListenerSetup<K extends SignalName> = (set: (value: DeviceState[K]) => void) => (() => void) | void;

/**
 * One signal's tracker.
 *
 * @example
 * const network = new SignalTracker('network')
 * network.setEventListener((set) => {
 *   const on = () => set({ connected: navigator.onLine, metered: false, roaming: false })
 *   window.addEventListener('online', on); window.addEventListener('offline', on); on()
 *   return () => { window.removeEventListener('online', on); window.removeEventListener('offline', on) }
 * })
 */
export class SignalTracker<K extends SignalName = SignalName> {
  private value: DeviceState[K];
  private setup: SignalListenerSetup<K> | null = null;
  private cleanup: (() => void) | null = null;
  private readonly listeners = new Set<() => void>();

  private readonly read: (() => DeviceState[K]) | undefined;

  constructor(
    /** The signal this tracker reports. */
    readonly signal: K,
    options: { initial?: DeviceState[K]; read?: () => DeviceState[K] } = {},
  ) {
    this.value = options.initial ?? ('unknown' as DeviceState[K]);
    this.read = options.read;
  }

  /**
   * Takes a fresh reading now, if the platform can read this signal synchronously (a file, an
   * OS call). The engine does this before each claim, so decisions never rest on a stale
   * background sample and nothing needs to sample while no work waits.
   */
  refresh(): void {
    if (!this.read) return;
    try {
      this.set(this.read());
    } catch {
      this.set('unknown' as DeviceState[K]);
    }
  }

  /** The latest reading. */
  get(): DeviceState[K] {
    return this.value;
  }

  /** Records a reading and tells subscribers if it changed. Also how tests and demos set a signal. */
  set(value: DeviceState[K]): void {
    if (JSON.stringify(value) === JSON.stringify(this.value)) return;
    this.value = value;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // A subscriber's failure must not stop the others from hearing the change.
      }
    }
  }

  /** Replaces the platform listener; restarts it if the tracker is being watched. */
  setEventListener(setup: SignalListenerSetup<K>): void {
    this.stopListener();
    this.setup = setup;
    if (this.listeners.size > 0) this.startListener();
  }

  /** Whether the platform listener is running (someone is subscribed). */
  get watching(): boolean {
    return this.cleanup !== null;
  }

  /** Subscribes to changes; the first subscriber starts the listener, the last one stops it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.startListener();
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (this.listeners.size === 0) this.stopListener();
    };
  }

  private startListener(): void {
    if (!this.setup || this.cleanup) return;
    this.cleanup = this.setup((value) => this.set(value)) ?? (() => {});
  }

  private stopListener(): void {
    const cleanup = this.cleanup;
    this.cleanup = null;
    cleanup?.();
  }
}

/** A set of trackers, any subset of the signals. */
export type ConstraintTrackers = { [K in SignalName]?: SignalTracker<K> };
