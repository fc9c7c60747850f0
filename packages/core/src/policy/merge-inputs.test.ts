import { describe, expect, it } from 'vitest';
import { mergeInputs } from './merge-inputs.js';

describe('mergeInputs', () => {
  it('overwrite: own input first, later prerequisites win', () => {
    expect(mergeInputs({ a: 1, keep: true }, [{ a: 2, b: 1 }, { b: 2 }], 'overwrite')).toEqual({ a: 2, keep: true, b: 2 });
  });

  it('array: collects every value per key, concatenating arrays', () => {
    expect(mergeInputs({ tag: 'x' }, [{ tag: ['y', 'z'] }, { tag: 'w', n: 1 }], 'array')).toEqual({ tag: ['x', 'y', 'z', 'w'], n: [1] });
  });

  it('passes the input through when there is nothing to merge', () => {
    expect(mergeInputs('plain', [undefined, 'text'], 'overwrite')).toBe('plain');
    expect(mergeInputs(undefined, [], 'array')).toBeUndefined();
  });

  it('takes object outputs even without an input', () => {
    expect(mergeInputs(undefined, [{ url: 'a' }, { url: 'b' }], 'array')).toEqual({ url: ['a', 'b'] });
  });
});
