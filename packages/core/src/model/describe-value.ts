/**
 * How error messages quote what a caller passed. A message must be one line and must never fail
 * to build on the very value it reports, so quoting never throws (BigInt, cycles, symbols,
 * null-prototype objects), escapes line breaks and control characters, and cuts long values.
 * Internal to core: not exported from the package.
 */

/** Longest quoted value, in UTF-16 units, before it is cut with an ellipsis. */
const MAX_QUOTED = 120;

// Line breaks, other control characters and unpaired surrogates: what would break a one-line message.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A caller's value for a message: JSON where it has a JSON form, else its kind. Never throws.
 *
 * @example
 * describeValue({ a: 1 })  // '{"a":1}'
 * describeValue(10n)       // '10n'
 * describeValue(Number.NaN) // 'NaN'
 */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    if (typeof value === 'bigint') text = `${value}n`;
    else if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) text = String(value);
    else if (typeof value === 'symbol') text = value.toString();
    else if (typeof value === 'function') text = 'a function';
    // JSON escapes control characters and unpaired surrogates, but not the two Unicode line separators.
    else text = (JSON.stringify(value) ?? 'a value with no JSON form').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  } catch {
    text = Array.isArray(value) ? 'an array that cannot be shown as JSON' : 'an object that cannot be shown as JSON';
  }
  return cut(text);
}

/**
 * A caller's text in single quotes, as messages quote names and durations (`'5 parsecs'`); text
 * with line breaks, control characters or unpaired surrogates is escaped as JSON escapes, and any
 * other value is described by {@link describeValue}. Never throws.
 *
 * @example
 * quoteText('5 parsecs') // "'5 parsecs'"
 * quoteText('a\nb')      // "'a\\nb'"
 */
export function quoteText(value: unknown): string {
  if (typeof value !== 'string') return describeValue(value);
  const text = UNPRINTABLE.test(value) ? describeValue(value).slice(1, -1) : value;
  return `'${cut(text)}'`;
}

/**
 * Whether a name (task, unique name, work id, tag) is text every store keeps exactly: no
 * unpaired surrogate (SQLite and PostgreSQL store UTF-8, which cannot hold one, so the name
 * would read back changed) and no line break or control character (names appear in one-line
 * messages and logs).
 *
 * @example
 * isPrintableName('sync-inbox') // true
 * isPrintableName('a\ud800')    // false
 */
export function isPrintableName(value: string): boolean {
  return !UNPRINTABLE.test(value);
}

/** Whether text has an unpaired surrogate (so it cannot be stored as UTF-8 and read back unchanged). */
export function hasLoneSurrogate(value: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
}

function cut(text: string): string {
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
}
