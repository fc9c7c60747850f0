/**
 * Strict JSON encoding for work input, output and progress. `JSON.stringify` silently drops
 * functions and undefined and turns NaN into null; stored work must round-trip exactly, so this
 * walks the value first and names the first part that would not survive.
 */
import { InputTooLargeError, InvalidInputError } from '../errors.js';
import { describeValue } from '../model/describe-value.js';

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
  let json: string | undefined;
  try {
    // The quick walk proves most values clean without building a path per key; only a value it
    // doubts gets the walk that names the first problem.
    const problem = isPlainJson(value, '', 0) ? null : findUnserializable(value, '$', new Set(), '');
    if (problem) throw new InvalidInputError(`${what} is not JSON-serialisable: ${problem}; pass plain objects, arrays, strings, finite numbers, booleans and null.`);
    json = JSON.stringify(value);
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    // Both walks recurse: a deep enough value overflows the stack, which must not escape raw.
    if (error instanceof RangeError) throw new InvalidInputError(`${what} is nested too deeply to encode as JSON; flatten it or store it elsewhere and pass a reference.`);
    throw new InvalidInputError(`${what} could not be encoded as JSON (${error instanceof Error ? error.message.split('\n')[0] : 'a toJSON method threw'}); pass plain data.`);
  }
  if (json === undefined) throw new InvalidInputError(`${what} has no JSON form (its toJSON returned undefined); pass plain objects, arrays, strings, finite numbers, booleans and null.`);
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

/** Deeper than this, the quick walk gives up and lets {@link findUnserializable} decide (and name cycles). */
const QUICK_DEPTH = 64;

/**
 * True only when {@link findUnserializable} would find nothing: the same checks, without paths or
 * cycle tracking (a cycle exceeds QUICK_DEPTH). False means "not sure", never "bad".
 */
function isPlainJson(value: unknown, key: string, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > QUICK_DEPTH) return false;
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    const converted = (obj as { toJSON: (key: string) => unknown }).toJSON(key);
    if (converted === undefined) return false;
    return converted === obj || isPlainJson(converted, key, depth + 1);
  }
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) if (!isPlainJson(obj[i], String(i), depth + 1)) return false;
    return true;
  }
  // Class instances (rare in work input) are left to the full walk, which names them.
  const proto = Object.getPrototypeOf(obj) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  if (Object.getOwnPropertySymbols(obj).length > 0) return false;
  for (const k of Object.keys(obj)) if (!isPlainJson((obj as Record<string, unknown>)[k], k, depth + 1)) return false;
  return true;
}

function findUnserializable(value: unknown, path: string, seen: Set<object>, key: string): string | null {
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
  // Dates and other objects with toJSON encode as what toJSON returns: check that instead.
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    const converted = (obj as { toJSON: (key: string) => unknown }).toJSON(key);
    if (converted === undefined) return `${path} has a toJSON method that returns undefined`;
    return converted === obj ? null : findUnserializable(converted, path, seen, key);
  }
  if (seen.has(obj)) return `${path} refers back to itself (a cycle)`;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        const p = findUnserializable(obj[i], `${path}[${i}]`, seen, String(i));
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
    for (const k of Object.keys(obj)) {
      const p = findUnserializable((obj as Record<string, unknown>)[k], `${path}${pathSegment(k)}`, seen, k);
      if (p) return p;
    }
    return null;
  } finally {
    seen.delete(obj);
  }
}

/** A key in a path: `.name` for identifier-like keys, else a JSON-quoted `["…"]` (one line, whatever the key holds). */
function pathSegment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${describeValue(key)}]`;
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
