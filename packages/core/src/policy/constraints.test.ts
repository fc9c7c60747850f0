import { describe, expect, it } from 'vitest';
import { constraintKey, constraintsMet, CONSTRAINT_BITS, waitingFor } from './constraints.js';
import { InvalidOptionError } from '../errors.js';

describe('constraintKey', () => {
  it('derives the mask and thresholds', () => {
    expect(constraintKey({ network: 'unmetered', charging: true, batteryNotLow: true, memoryBelow: 0.5 })).toEqual({
      constraints: { network: 'unmetered', charging: true, batteryNotLow: true, memoryBelow: 0.5 },
      constraintMask: CONSTRAINT_BITS['network:unmetered'] | CONSTRAINT_BITS.charging,
      minBattery: 0.15,
      maxMemory: 0.5,
    });
    expect(constraintKey(undefined)).toEqual({ constraints: null, constraintMask: 0, minBattery: null, maxMemory: null });
    expect(constraintKey({ memoryBelow: true }).maxMemory).toBe(0.85);
  });

  it.each([
    [{ wifi: true }, /constraint 'wifi' is unknown/],
    [{ network: 'fast' }, /network constraint 'fast'/],
    [{ batteryNotLow: 1.5 }, /outside 0..1/],
    [{ memoryBelow: -0.1 }, /outside 0..1/],
    [{ charging: 'yes' }, /must be true or false/],
    ['charging', /invalid/],
  ])('rejects %j', (constraints, message) => {
    expect(() => constraintKey(constraints as never)).toThrow(InvalidOptionError);
    expect(() => constraintKey(constraints as never)).toThrow(message);
  });
});

describe('waitingFor', () => {
  it('names what is missing', () => {
    const key = constraintKey({ network: 'connected', charging: true, batteryNotLow: 0.3, memoryBelow: 0.8 });
    const conditions = { unmet: CONSTRAINT_BITS.charging, battery: 0.2, memory: 0.9 };
    expect(waitingFor(key, conditions)).toEqual(['charging', 'batteryNotLow', 'memory']);
    expect(constraintsMet(key, conditions)).toBe(false);
    expect(constraintsMet(key, { unmet: 0, battery: 1, memory: 0 })).toBe(true);
  });
});
