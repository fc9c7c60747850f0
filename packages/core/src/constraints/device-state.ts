/**
 * The device as constraint trackers report it, and how that becomes the DeviceConditions stores
 * filter on. Unknown readings count as met (an unknown battery is mains power), as documented.
 */
import { CONSTRAINT_BITS } from '../policy/constraints.js';
import type { DeviceConditions } from '../store/work-store.js';

/** What a network tracker reports. */
export interface NetworkState {
  connected: boolean;
  /** A metered link (cellular, a tethered hotspot). */
  metered: boolean;
  roaming: boolean;
}

/** Every signal, each possibly `'unknown'`. */
export interface DeviceState {
  network: NetworkState | 'unknown';
  charging: boolean | 'unknown';
  /** Battery level 0..1. */
  battery: number | 'unknown';
  storageLow: boolean | 'unknown';
  idle: boolean | 'unknown';
  /** Fraction of memory in use, 0..1. */
  memory: number | 'unknown';
}

/** The signals, by name. */
export type SignalName = keyof DeviceState;

/** Every signal unknown: what an engine without trackers sees (everything counts as met). */
export const UNKNOWN_DEVICE: DeviceState = { network: 'unknown', charging: 'unknown', battery: 'unknown', storageLow: 'unknown', idle: 'unknown', memory: 'unknown' };

/**
 * Turns readings into the conditions a store filters on.
 *
 * @example
 * toConditions({ ...UNKNOWN_DEVICE, charging: false }).unmet === CONSTRAINT_BITS.charging
 */
export function toConditions(state: DeviceState): DeviceConditions {
  let unmet = 0;
  const net = state.network;
  if (net !== 'unknown') {
    if (!net.connected) unmet |= CONSTRAINT_BITS['network:connected'] | CONSTRAINT_BITS['network:unmetered'] | CONSTRAINT_BITS['network:not-roaming'];
    else {
      if (net.metered) unmet |= CONSTRAINT_BITS['network:unmetered'];
      if (net.roaming) unmet |= CONSTRAINT_BITS['network:not-roaming'];
    }
  }
  if (state.charging === false) unmet |= CONSTRAINT_BITS.charging;
  if (state.storageLow === true) unmet |= CONSTRAINT_BITS.storageNotLow;
  if (state.idle === false) unmet |= CONSTRAINT_BITS.deviceIdle;
  // An unknown battery is mains power: full, so "not low" holds.
  const battery = state.battery === 'unknown' || state.charging === true ? 1 : state.battery;
  const memory = state.memory === 'unknown' ? 0 : state.memory;
  return { unmet, battery, memory };
}
