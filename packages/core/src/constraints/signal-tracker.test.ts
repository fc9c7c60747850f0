import { describe, expect, it } from 'vitest';
import { SignalTracker } from './signal-tracker.js';
import { toConditions, UNKNOWN_DEVICE } from './device-state.js';
import { CONSTRAINT_BITS } from '../policy/constraints.js';

describe('SignalTracker', () => {
  it('runs its listener only while someone subscribes', () => {
    const tracker = new SignalTracker('charging');
    let started = 0;
    let stopped = 0;
    tracker.setEventListener((set) => {
      started++;
      set(true);
      return () => void stopped++;
    });
    expect(tracker.watching).toBe(false);
    const changes: boolean[] = [];
    const off1 = tracker.subscribe(() => changes.push(tracker.get() as boolean));
    const off2 = tracker.subscribe(() => {});
    expect([started, tracker.watching, tracker.get()]).toEqual([1, true, true]);
    off1();
    expect(stopped).toBe(0);
    off2();
    expect([stopped, tracker.watching]).toEqual([1, false]);
    expect(changes).toEqual([true]);
  });

  it('tells subscribers only about real changes', () => {
    const tracker = new SignalTracker('network', { initial: { connected: true, metered: false, roaming: false } });
    let calls = 0;
    tracker.subscribe(() => void calls++);
    tracker.set({ connected: true, metered: false, roaming: false });
    tracker.set({ connected: false, metered: false, roaming: false });
    expect(calls).toBe(1);
  });

  it('refresh takes a synchronous reading, and a failing reader reads as unknown', () => {
    let level = 0.5;
    const battery = new SignalTracker('battery', { read: () => level });
    battery.refresh();
    expect(battery.get()).toBe(0.5);
    level = 0.1;
    battery.refresh();
    expect(battery.get()).toBe(0.1);
    const broken = new SignalTracker('memory', { read: () => { throw new Error('no /proc'); } });
    broken.refresh();
    expect(broken.get()).toBe('unknown');
  });
});

describe('toConditions', () => {
  it('counts unknown as met, and unknown battery as mains power', () => {
    expect(toConditions(UNKNOWN_DEVICE)).toEqual({ unmet: 0, battery: 1, memory: 0 });
  });

  it('maps each reading to its bits', () => {
    const offline = toConditions({ ...UNKNOWN_DEVICE, network: { connected: false, metered: false, roaming: false } });
    expect(offline.unmet).toBe(CONSTRAINT_BITS['network:connected'] | CONSTRAINT_BITS['network:unmetered'] | CONSTRAINT_BITS['network:not-roaming']);
    const cellular = toConditions({ ...UNKNOWN_DEVICE, network: { connected: true, metered: true, roaming: true } });
    expect(cellular.unmet).toBe(CONSTRAINT_BITS['network:unmetered'] | CONSTRAINT_BITS['network:not-roaming']);
    const device = toConditions({ ...UNKNOWN_DEVICE, charging: false, battery: 0.1, storageLow: true, idle: false, memory: 0.9 });
    expect(device).toEqual({ unmet: CONSTRAINT_BITS.charging | CONSTRAINT_BITS.storageNotLow | CONSTRAINT_BITS.deviceIdle, battery: 0.1, memory: 0.9 });
    expect(toConditions({ ...UNKNOWN_DEVICE, charging: true, battery: 0.05 }).battery).toBe(1);
  });
});
