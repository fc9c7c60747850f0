import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from './encode-json.js';
import { InputTooLargeError, InvalidInputError } from '../errors.js';

describe('encodeJson', () => {
  it('round-trips plain data, unicode included', () => {
    const value = { a: [1, 'two', null, true], nested: { emoji: '🚀', zh: '后台' }, n: -1.5 };
    expect(decodeJson(encodeJson(value, 'input'))).toEqual(value);
  });

  it('encodes undefined as null and decodes null as undefined', () => {
    expect(encodeJson(undefined, 'input')).toBe('null');
    expect(decodeJson('null')).toBeUndefined();
  });

  it('accepts dates through toJSON', () => {
    expect(encodeJson({ at: new Date(0) }, 'input')).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });

  it.each([
    ['a function', { cb: () => 1 }, /\$\.cb is a function/],
    ['a BigInt', { n: 10n }, /\$\.n is a BigInt/],
    ['a symbol', [Symbol('x')], /\$\[0\] is a symbol/],
    ['NaN', { x: Number.NaN }, /NaN/],
    ['an undefined property', { x: undefined }, /\$\.x is undefined/],
    ['a Map', { m: new Map() }, /Map/],
  ])('rejects %s, naming the path', (_label, value, message) => {
    expect(() => encodeJson(value, 'The input of task "t"')).toThrow(InvalidInputError);
    expect(() => encodeJson(value, 'The input of task "t"')).toThrow(message);
  });

  it('rejects cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => encodeJson(a, 'input')).toThrow(/cycle/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(encodeJson([shared, shared], 'input')).toBe('[{"x":1},{"x":1}]');
  });

  it('enforces the size limit in UTF-8 bytes', () => {
    expect(() => encodeJson('é'.repeat(60), 'input', 100)).toThrow(InputTooLargeError);
    expect(encodeJson('e'.repeat(60), 'input', 100)).toHaveLength(62);
  });
});
