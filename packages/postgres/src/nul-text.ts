/**
 * PostgreSQL's `text` cannot hold U+0000 (NUL): a string parameter containing one fails its whole
 * statement with a raw DatabaseError ("invalid byte sequence for encoding "UTF8": 0x00", or
 * "unsupported Unicode escape sequence" inside JSON). Since nothing stored can contain NUL, the
 * store drops such keys from lookups (they match nothing, as on every other store), and replaces
 * NUL with U+FFFD in the free text it writes as given (an attempt's error message, which a handler
 * controls). Names, ids and tags with NUL never reach the store: the engine refuses them.
 */

const NUL = '\u0000';

/**
 * True when `value` is a string containing NUL.
 *
 * @example
 * hasNul('a\u0000b') // true
 */
export function hasNul(value: unknown): boolean {
  return typeof value === 'string' && value.includes(NUL);
}

/**
 * The keys of a lookup that can match a stored row: `keys` without the strings containing NUL
 * (the same array when there are none; anything that is not an array is passed through).
 *
 * @example
 * storableKeys(['a', 'b\u0000']) // ['a']
 */
export function storableKeys<T>(keys: readonly T[]): readonly T[];
export function storableKeys<T>(keys: readonly T[] | undefined): readonly T[] | undefined;
export function storableKeys<T>(keys: readonly T[] | undefined): readonly T[] | undefined {
  if (!Array.isArray(keys) || !keys.some(hasNul)) return keys;
  return keys.filter((key) => !hasNul(key));
}

/**
 * `text` with every NUL replaced by U+FFFD, so PostgreSQL can store it (null stays null).
 *
 * @example
 * storableText('bad\u0000thing') // 'bad\uFFFDthing'
 */
export function storableText<T extends string | null | undefined>(text: T): T {
  return (typeof text === 'string' && text.includes(NUL) ? text.replaceAll(NUL, '\uFFFD') : text) as T;
}
