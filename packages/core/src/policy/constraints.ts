/**
 * Constraints: validation, the stored filter key (bit mask and thresholds), and what a work item
 * waits for under given device conditions. Pure; the engine feeds it tracker readings.
 */
import { InvalidOptionError } from '../errors.js';
import { describeValue, quoteText } from '../model/describe-value.js';
import type { ConstraintName, Constraints, WorkSpec } from '../model/work.js';
import type { DeviceConditions } from '../store/work-store.js';

/** One bit per boolean constraint, as stored in `constraintMask`. Append-only: stored data uses them. */
export const CONSTRAINT_BITS: Readonly<Record<Exclude<ConstraintName, 'memory' | 'batteryNotLow'>, number>> = {
  'network:connected': 1,
  'network:unmetered': 2,
  'network:not-roaming': 4,
  charging: 8,
  storageNotLow: 16,
  deviceIdle: 32,
};

/** "Battery not low" without a number: above 15% (the reference's threshold, and Android's). */
export const DEFAULT_MIN_BATTERY = 0.15;
/** "Memory below" without a number: under 85% in use (the reference's threshold). */
export const DEFAULT_MAX_MEMORY = 0.85;

/** Conditions that meet every constraint: what a store assumes when none are given. */
export const ALL_MET: DeviceConditions = { unmet: 0, battery: 1, memory: 0 };

const KEYS = new Set(['network', 'charging', 'batteryNotLow', 'storageNotLow', 'deviceIdle', 'memoryBelow']);

/**
 * Validates constraints and derives the stored filter key.
 *
 * @example
 * constraintKey({ network: 'unmetered', batteryNotLow: true }) // { constraintMask: 2, minBattery: 0.15, maxMemory: null }
 */
export function constraintKey(constraints: Constraints | undefined | null): Pick<WorkSpec, 'constraints' | 'constraintMask' | 'minBattery' | 'maxMemory'> {
  if (constraints === undefined || constraints === null) return { constraints: null, constraintMask: 0, minBattery: null, maxMemory: null };
  if (typeof constraints !== 'object' || Array.isArray(constraints)) {
    throw new InvalidOptionError(`The constraints ${describeValue(constraints)} are invalid; pass an object such as { network: 'connected', charging: true }.`);
  }
  for (const key of Object.keys(constraints)) {
    if (!KEYS.has(key)) throw new InvalidOptionError(`The constraint ${quoteText(key)} is unknown; use network, charging, batteryNotLow, storageNotLow, deviceIdle or memoryBelow.`);
  }
  let mask = 0;
  const { network, charging, batteryNotLow, storageNotLow, deviceIdle, memoryBelow } = constraints;
  if (network !== undefined) {
    if (network !== 'connected' && network !== 'unmetered' && network !== 'not-roaming') {
      throw new InvalidOptionError(`The network constraint ${quoteText(network)} is unknown; use 'connected', 'unmetered' or 'not-roaming'.`);
    }
    mask |= CONSTRAINT_BITS[`network:${network}`];
  }
  for (const [name, value] of [['charging', charging], ['storageNotLow', storageNotLow], ['deviceIdle', deviceIdle]] as const) {
    if (value === undefined || value === false) continue;
    if (value !== true) throw new InvalidOptionError(`The constraint '${name}' must be true or false, not ${describeValue(value)}.`);
    mask |= CONSTRAINT_BITS[name];
  }
  const minBattery = threshold('batteryNotLow', batteryNotLow, DEFAULT_MIN_BATTERY);
  const maxMemory = threshold('memoryBelow', memoryBelow, DEFAULT_MAX_MEMORY);
  return { constraints: { ...constraints }, constraintMask: mask, minBattery, maxMemory };
}

function threshold(name: string, value: boolean | number | undefined, fallback: number): number | null {
  if (value === undefined || value === false) return null;
  if (value === true) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidOptionError(`The ${name} threshold ${describeValue(value)} is outside 0..1; pass a fraction such as 0.2, or true for the default.`);
  }
  return value;
}

/**
 * The constraints of `spec` that `conditions` do not meet, by name (empty when it may run).
 *
 * @example
 * waitingFor(spec, { unmet: CONSTRAINT_BITS.charging, battery: 1, memory: 0.5 }) // ['charging']
 */
export function waitingFor(spec: Pick<WorkSpec, 'constraintMask' | 'minBattery' | 'maxMemory'>, conditions: DeviceConditions): ConstraintName[] {
  const out: ConstraintName[] = [];
  // Most work has no constraints: nothing to look up.
  if (spec.constraintMask === 0 && spec.minBattery === null && spec.maxMemory === null) return out;
  for (const [name, bit] of Object.entries(CONSTRAINT_BITS) as [ConstraintName, number][]) {
    if (spec.constraintMask & bit & conditions.unmet) out.push(name);
  }
  if (spec.minBattery !== null && conditions.battery < spec.minBattery) out.push('batteryNotLow');
  if (spec.maxMemory !== null && conditions.memory >= spec.maxMemory) out.push('memory');
  return out;
}

/** Whether `conditions` meet every constraint of `spec`. */
export function constraintsMet(spec: Pick<WorkSpec, 'constraintMask' | 'minBattery' | 'maxMemory'>, conditions: DeviceConditions): boolean {
  return (
    (spec.constraintMask & conditions.unmet) === 0 &&
    (spec.minBattery === null || conditions.battery >= spec.minBattery) &&
    (spec.maxMemory === null || conditions.memory < spec.maxMemory)
  );
}
