/**
 * Strict JSON encoding for work input, output and progress. `JSON.stringify` silently drops
 * functions and undefined and turns NaN into null; stored work must round-trip exactly, so this
 * walks the value first and names the first part that would not survive.
 */
import { InputTooLargeError, InvalidInputError } from '../errors.js';

/** Default limit on a work item's encoded input: 1 MiB of UTF-8. */
export const DEFAULT_MAX_INPUT_BYTES = 1024 * 1024;

/**
 * Encodes `value` as JSON, or throws {@link InvalidInputError} naming the offending path, or
 * {@link InputTooLargeError} when the UTF-8 size exceeds `maxBytes`. `undefined` encodes as `null`.
 *
 * @param what names the value in messages, for example `'The input of task "sync"'`.
 * @example
 * encodeJson({ a: 1 }, 'input') // '{"a":1}'
 * encodeJson({ f() {} }, 'input') // throws InvalidInputError: $.f is a function
 */
export function encodeJson(value: unknown, what: string, maxBytes = Infinity): string {
  if (value === undefined) return 'null';
  const problem = findUnserializable(value, '$', new Set());
  if (problem) throw new InvalidInputError(`${what} is not JSON-serialisable: ${problem}; pass plain objects, arrays, strings, finite numbers, booleans and null.`);
  const json = JSON.stringify(value);
  const bytes = utf8Length(json);
  if (bytes > maxBytes) {
    throw new InputTooLargeError(`${what} is ${bytes} bytes of JSON, over the ${maxBytes}-byte limit; store large data elsewhere and pass a reference.`);
  }
  return json;
}

/** Parses JSON written by {@link encodeJson}; null and empty text read as undefined. */
export function decodeJson(json: string | null | undefined): unknown {
  if (json === null || json === undefined || json === '' || json === 'null') return undefined;
  return JSON.parse(json) as unknown;
}

function findUnserializable(value: unknown, path: string, seen: Set<object>): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `${path} is ${String(value)}, which JSON cannot represent`;
    case 'bigint':
      return `${path} is a BigInt`;
    case 'function':
      return `${path} is a function`;
    case 'symbol':
      return `${path} is a symbol`;
    case 'undefined':
      return `${path} is undefined`;
  }
  if (value === null) return null;
  const obj = value as object;
  // Dates and other objects with toJSON encode as what toJSON returns.
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return null;
  if (seen.has(obj)) return `${path} refers back to itself (a cycle)`;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        const p = findUnserializable(obj[i], `${path}[${i}]`, seen);
        if (p) return p;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj.constructor as { name?: string } | undefined)?.name ?? 'object';
      if (obj instanceof Map || obj instanceof Set) return `${path} is a ${name}, which JSON drops silently`;
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) return `${path} has symbol keys`;
    for (const key of Object.keys(obj)) {
      const p = findUnserializable((obj as Record<string, unknown>)[key], `${path}.${key}`, seen);
      if (p) return p;
    }
    return null;
  } finally {
    seen.delete(obj);
  }
}

/** UTF-8 byte length without TextEncoder, so core needs no platform global. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
