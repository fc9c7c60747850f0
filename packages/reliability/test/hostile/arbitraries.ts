/**
 * fast-check arbitraries for hostile input: strings over every UTF-16 code unit (lone surrogates
 * included), keys that poke at prototypes, values JSON cannot carry (BigInt, functions, symbols,
 * NaN, cycles, Maps, toJSON that returns nothing), deep nesting, huge strings, and option values
 * of every wrong type. Test helper only.
 */
import fc from 'fast-check';

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Strings over every code unit, with the awkward ones (surrogates, separators, NUL) made likely. */
export const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: codeUnit }) },
  { weight: 1, arbitrary: fc.constantFrom('\ud800', 'a\udc00b', '\udbff\udfff', '\u2028', 'a\nb', '\u0000', ' ', '', '🚀', 'é'.normalize('NFD')) },
);

/** Object keys that attack prototypes or parsers. */
export const hostileKey = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON', '0', '-1', '1e3', '') },
  { weight: 3, arbitrary: anyString },
);

/** Builds an object with exactly these own enumerable keys (even `__proto__`), optionally null-prototype. */
function makeObject(entries: ReadonlyArray<[string, unknown]>, nullProto: boolean): Record<string, unknown> {
  const obj = (nullProto ? Object.create(null) : {}) as Record<string, unknown>;
  for (const [k, v] of entries) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  return obj;
}

/** Leaves JSON can carry. */
const goodLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constant(-0),
  fc.constant(Number.MAX_VALUE),
  anyString,
  fc.date({ noInvalidDate: true }),
);

/** Leaves JSON cannot carry faithfully. */
const badLeaf = fc.oneof(
  fc.bigInt(),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, undefined),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.constant(new Map([[1, 2]])),
  fc.constant(new Set([1])),
  fc.constant({ toJSON: () => undefined }),
  fc.constant({ toJSON: () => 10n }),
  fc.constant({ toJSON: () => ({ f: () => 1 }) }),
  fc.constant(new Date(Number.NaN)),
);

/** A JSON-ish tree with hostile keys; `bad` mixes in leaves JSON cannot carry. */
export function tree(bad: boolean): fc.Arbitrary<unknown> {
  const leaf = bad ? fc.oneof({ weight: 4, arbitrary: goodLeaf }, { weight: 1, arbitrary: badLeaf }) : goodLeaf;
  return fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('node'), { maxLength: 4 }),
      fc.tuple(fc.array(fc.tuple(hostileKey, tie('node')), { maxLength: 4 }), fc.boolean()).map(([entries, nullProto]) => makeObject(entries, nullProto)),
    ),
  })).node;
}

/**
 * A value to be nested `depth` levels deep, built only when the operation runs ({@link materialize}):
 * fast-check's own printing and shrinking recurse, and would overflow on the built value.
 */
export class DeepValue {
  constructor(
    readonly depth: number,
    readonly arrays: boolean,
  ) {}

  build(): unknown {
    let v: unknown = 'bottom';
    for (let i = 0; i < this.depth; i++) v = this.arrays ? [v] : { d: v };
    return v;
  }
}

/** The input a request really carries: a {@link DeepValue} built, anything else as is. */
export function materialize(value: unknown): unknown {
  return value instanceof DeepValue ? value.build() : value;
}

/** Values nested up to 20,000 levels deep, in arrays or objects (built lazily). */
export const deep = fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean()).map(([depth, arrays]) => new DeepValue(depth, arrays));

/** A value that refers back to itself somewhere. */
export const cyclic = fc.constantFrom('object', 'array', 'nested', 'null-proto').map((kind) => {
  if (kind === 'array') {
    const a: unknown[] = [1];
    a.push(a);
    return a;
  }
  const o = (kind === 'null-proto' ? Object.create(null) : {}) as Record<string, unknown>;
  o.self = kind === 'nested' ? { again: [o] } : o;
  return o;
});

/** Inputs of every kind: plain, hostile, deep, cyclic, huge. */
export const hostileInput = fc.oneof(
  { weight: 6, arbitrary: tree(false) },
  { weight: 3, arbitrary: tree(true) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: cyclic },
  { weight: 1, arbitrary: fc.constantFrom(1, 2).map((n) => 'x'.repeat(n === 1 ? 1024 * 1024 - 2 : 1024 * 1024 + 1)) },
);

/** Values of the wrong kind for any option. */
export const wrongValue = fc.oneof(
  fc.constantFrom(null, undefined, Number.NaN, Infinity, -Infinity, -1, 0, 1.5, 1e300, -1e300, Number.MAX_SAFE_INTEGER + 2, true, false, '', ' ', [], {}),
  fc.bigInt(),
  fc.constant(Symbol('option')),
  fc.constant(() => 'fn'),
  cyclic,
  fc.constant(Object.create(null) as object),
  anyString,
);

/** Durations: well-formed, edge-case and malformed. */
export const duration = fc.oneof(
  fc.integer({ min: 0, max: 10_000 }),
  fc.constantFrom('0ms', '1ms', '30s', '15m', '1h30m', '2d', '1w', '1.5s', ' 5s ', '5 s', '5S', '-5s', '5x', '1e3ms', '9'.repeat(400) + 'w', '∞s', '5s5s'),
  fc.double(),
  fc.tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', '', 'y', 'sec')).map(([n, u]) => `${n}${u}`),
  wrongValue,
);

/** Cron expressions as text: valid, nearly valid and nonsense. */
export const cronText = fc.oneof(
  fc.constantFrom('* * * * *', '*/5 * * * *', '0 3 * * *', '0 0 29 2 *', '0 0 30 2 *', '0 0 31 4 *', '* * * * * *', '0 0 * * 1-5', '@hourly', '@yearly', '0 0 1 1 * 2099', ''),
  fc.constantFrom('60 * * * *', '* 24 * * *', '*/0 * * * *', '* * * * * * * *', 'L * * * *', '0 0 L * *', '0 0 * * 5#3', '?', '* * ? * *', '1-0 * * * *', '*/1000000 * * * *'),
  fc.array(fc.oneof(fc.constantFrom('*', '*/2', '0', '59', '1-5', 'L', 'W', '#', '?', ','), fc.integer({ min: -5, max: 100 }).map(String)), { minLength: 1, maxLength: 8 }).map((p) => p.join(' ')),
  anyString,
);

/** Cron expressions, or values of the wrong type. */
export const cronString = fc.oneof({ weight: 4, arbitrary: cronText }, { weight: 1, arbitrary: wrongValue });

/** Time zone names: real, fake, odd. */
export const timezoneText = fc.oneof(fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kathmandu', 'Mars/Olympus', 'utc', '+02:00', 'Etc/GMT+14', ''), anyString);

/** Time zones: names, and values of the wrong type (including ones Intl would quietly convert). */
export const timezone = fc.oneof(timezoneText, wrongValue, fc.constantFrom(['UTC'], { toString: () => 'UTC' }));

/** Constraint objects: valid, unknown keys, wrong types. */
export const constraints = fc.oneof(
  fc.record(
    {
      network: fc.oneof(fc.constantFrom('connected', 'unmetered', 'not-roaming', 'wifi'), wrongValue),
      charging: fc.oneof(fc.boolean(), wrongValue),
      batteryNotLow: fc.oneof(fc.boolean(), fc.double({ min: -1, max: 2 }), wrongValue),
      storageNotLow: fc.boolean(),
      deviceIdle: fc.oneof(fc.boolean(), wrongValue),
      memoryBelow: fc.oneof(fc.boolean(), fc.double({ min: -1, max: 2 }), wrongValue),
      bogus: fc.constant(1),
    },
    { requiredKeys: [] },
  ),
  wrongValue,
);

/** Names for tasks, unique work and ids: mostly usable, some hostile. */
export function name(usable: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...usable) },
    { weight: 2, arbitrary: anyString },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(200), 'x'.repeat(201), '__proto__', 'constructor', '   ', '\ud800') },
    { weight: 1, arbitrary: wrongValue },
  );
}

/** Durations a request may legitimately carry. */
const goodDuration = fc.oneof(fc.integer({ min: 0, max: 500 }), fc.constantFrom('0ms', '250ms', '30s', '15m', '1h30m', '1d', '1.5s'));

/** Constraint objects that are all valid. */
const goodConstraints = fc.record(
  {
    network: fc.constantFrom('connected', 'unmetered', 'not-roaming'),
    charging: fc.boolean(),
    batteryNotLow: fc.oneof(fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true })),
    storageNotLow: fc.boolean(),
    deviceIdle: fc.boolean(),
    memoryBelow: fc.oneof(fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true })),
  },
  { requiredKeys: [] },
);

/** Every request field with values that are all valid (`after: { pick }` is resolved to stored ids when the operation runs). */
const goodFields = {
  id: fc.uuid(),
  input: hostileInput,
  delay: goodDuration,
  // Mostly in the past, so the started engine gets to run plenty of the work.
  startAt: fc.oneof(
    { weight: 3, arbitrary: fc.date({ min: new Date(0), max: new Date(Date.UTC(2020, 0, 1)), noInvalidDate: true }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 4_102_444_800_000 }) },
  ),
  tags: fc.array(fc.string({ minLength: 1 }), { maxLength: 4 }),
  priority: fc.constantFrom('critical', 'high', 'normal', 'low'),
  maxAttempts: fc.integer({ min: 1, max: 20 }),
  backoff: fc.record({ policy: fc.constantFrom('exponential', 'linear'), initialDelay: goodDuration }, { requiredKeys: [] }),
  timeout: fc.oneof(fc.integer({ min: 1, max: 600_000 }), fc.constantFrom('30s', '10m'), fc.constant(null)),
  expedited: fc.boolean(),
  after: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }).map((pick) => ({ pick })),
  inputMerger: fc.constantFrom('overwrite', 'array'),
  constraints: goodConstraints,
  allowUnregistered: fc.boolean(),
};

/** A hostile value for each request field (and one option no request has). */
const badFields: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(anyString, wrongValue, fc.constant('reuse')),
  input: fc.oneof(tree(true), deep, cyclic),
  delay: duration,
  startAt: fc.oneof(fc.double(), fc.constantFrom(8.64e15, 8.64e15 + 1, -8.64e15, new Date(Number.NaN)), wrongValue),
  tags: fc.oneof(wrongValue, fc.array(fc.oneof(anyString, wrongValue), { minLength: 1, maxLength: 3 })),
  priority: fc.oneof(fc.constantFrom('urgent', 'HIGH', '__proto__', 'toString'), wrongValue),
  maxAttempts: fc.oneof(fc.integer({ min: -3, max: 0 }), wrongValue),
  backoff: fc.oneof(fc.record({ policy: fc.oneof(fc.constantFrom('fibonacci'), wrongValue), initialDelay: duration, maxDelay: duration }, { requiredKeys: [] }), wrongValue),
  timeout: duration,
  expedited: wrongValue,
  after: fc.oneof(fc.array(fc.oneof(fc.uuid(), anyString), { minLength: 1, maxLength: 2 }), wrongValue),
  inputMerger: fc.oneof(fc.constantFrom('concat', 'toString'), wrongValue),
  constraints,
  allowUnregistered: wrongValue,
  bogusOption: wrongValue,
};

/**
 * A one-time work request: valid fields (a random subset), and in two cases out of five one field
 * replaced by a hostile value, so both the happy path and every rejection get exercised.
 */
export function request(): fc.Arbitrary<Record<string, unknown>> {
  const valid = fc.record(goodFields, { requiredKeys: [] });
  const broken = fc.tuple(valid, fc.constantFrom(...Object.keys(badFields))).chain(([r, field]) => badFields[field]!.map((v) => ({ ...r, [field]: v })));
  return fc.oneof({ weight: 3, arbitrary: valid as fc.Arbitrary<Record<string, unknown>> }, { weight: 2, arbitrary: broken });
}
