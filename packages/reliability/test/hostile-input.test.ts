/**
 * Scenario 4, hostile input: property-based tests (fast-check) over the public API while a
 * started engine works the same store. Every call must either succeed with a valid stored item
 * (read back: task name, unique name, tags and input round-trip exactly; run times are real
 * dates) or throw an OffstageError subclass whose message is one sentence on one line; a lookup by
 * a hostile key (getWorkInfo, query, journal, cancel, cancelByTag, retry) finds what it finds or
 * refuses the same way, never with a raw store error. No input
 * may pollute Object.prototype, make the worker emit `worker:error`, or leave the store
 * inconsistent; every succeeded item's output (the echo handler returns its input) round-trips.
 * `OFFSTAGE_FUZZ_TRACE=<file>` appends every operation to a file before it runs (to find a hang).
 */
import { appendFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  OffstageError,
  parseDuration,
  type ExistingPeriodicWorkPolicy,
  type ExistingWorkPolicy,
  type TaskContext,
  type WorkEngine,
  type WorkInfo,
  type WorkStore,
} from '@offstage/core';
import { cronerParser } from '@offstage/cron';
import { bySize, consistencyViolations, createRandom, reportFigures, snapshot, storeTarget, tempDirs, waitUntil } from '../src/index.js';
import { anyString, cronString, cronText, duration, hostileInput, materialize, name, request, timezone, timezoneText, wrongValue } from './hostile/arbitraries.js';

const target = storeTarget();
const temp = tempDirs();
afterAll(temp.cleanup);
afterAll(() => target.cleanup());

const CASES = bySize({ default: 1_000, full: 10_000 });
const TASKS = ['echo', 'echo-2', 'échø', 'a'.repeat(200)];
const UNIQUE = ['u1', 'u2', 'ü', 'x'.repeat(200)];
const DATE_LIMIT = 8.64e15;

/** Every task returns its input, so outputs round-trip through the store as well. */
const echo = ({ input }: TaskContext): unknown => input;

/** A message is one sentence: one line, not empty, ending with a full stop, of a readable length. */
function oneSentence(message: string): boolean {
  return message.length > 0 && message.length <= 1_000 && !/[\n\r\u2028\u2029]/.test(message) && /\.\)?$/.test(message);
}

/** What JSON keeps of a value (toJSON applied): the input a handler must get back. */
function normalized(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** The operations the fuzz performs, each with hostile arguments. */
type Op =
  | { kind: 'enqueue'; task: unknown; request: Record<string, unknown> }
  | { kind: 'enqueueMany'; task: unknown; requests: Array<Record<string, unknown>> }
  | { kind: 'enqueuePeriodic'; task: unknown; request: Record<string, unknown> }
  | { kind: 'enqueueUnique'; unique: unknown; task: unknown; policy: unknown; request: Record<string, unknown> }
  | { kind: 'enqueueUniquePeriodic'; unique: unknown; task: unknown; policy: unknown; request: Record<string, unknown> }
  | { kind: 'chain'; first: Array<Record<string, unknown>>; then: Array<Record<string, unknown>>; unique: unknown; policy: unknown }
  | { kind: 'parseDuration'; value: unknown }
  | { kind: 'cron'; expression: unknown; timezone: unknown }
  | { kind: 'register'; task: unknown; options: Record<string, unknown> }
  | { kind: 'lookup'; call: Lookup; key: unknown };

/** Calls that look work up by a caller's key: they must find it, find nothing, or refuse in one sentence. */
const LOOKUPS = ['getWorkInfo', 'query-ids', 'query-tags', 'query-tasks', 'query-unique', 'query-dependents', 'journal', 'cancel', 'cancelByTag', 'retry'] as const;
type Lookup = (typeof LOOKUPS)[number];

const policy = fc.oneof(fc.constantFrom('keep', 'replace', 'append', 'append-or-replace', 'update', 'cancel-and-reenqueue', 'KEEP'), wrongValue);
const schedule = fc.oneof(
  fc.record({ every: fc.constantFrom(1_000, '30s', '15m', '1h', '1d'), flex: fc.constantFrom(undefined, 0, '1s'), endOnFailure: fc.boolean() }, { requiredKeys: ['every'] }),
  fc.record({ cron: fc.constantFrom('*/5 * * * *', '0 3 * * *', '0 0 29 2 *', '0 0 1 1 * 2099'), timezone: fc.constantFrom('UTC', 'Europe/Paris', 'Asia/Kathmandu') }, { requiredKeys: ['cron'] }),
  fc.record({ every: duration, flex: duration, cron: cronString, timezone, endOnFailure: fc.oneof(fc.boolean(), wrongValue) }, { requiredKeys: [] }),
);
const periodicRequest = fc.tuple(request(), schedule, fc.boolean()).map(([r, s, keepChainFields]) => {
  const { after, inputMerger, ...rest } = r;
  // Chain fields are not periodic options; now and then keep them to check they are refused.
  return { ...(keepChainFields ? { after, inputMerger } : {}), ...rest, ...s };
});
const step = fc.tuple(name(TASKS), request()).map(([task, r]) => {
  const { id: _id, ...rest } = r;
  return { task, ...rest };
});
const op: fc.Arbitrary<Op> = fc.oneof(
  // Plain work with hostile input, due now: the worker runs it, so the output round-trip is checked.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('enqueue' as const), task: fc.constant('echo'), request: hostileInput.map((input) => ({ input })) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('enqueue' as const), task: name(TASKS), request: request() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('enqueueMany' as const), task: name(TASKS), requests: fc.array(request(), { maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('enqueuePeriodic' as const), task: name(TASKS), request: periodicRequest }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('enqueueUnique' as const), unique: name(UNIQUE), task: name(TASKS), policy, request: request() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('enqueueUniquePeriodic' as const), unique: name(UNIQUE), task: name(TASKS), policy, request: periodicRequest }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('chain' as const), first: fc.array(step, { minLength: 1, maxLength: 3 }), then: fc.array(step, { maxLength: 2 }), unique: fc.option(name(UNIQUE)), policy }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('parseDuration' as const), value: duration }) },
  // cronerParser directly, with arguments of its declared types (hostile strings; a non-string zone makes croner 11 loop forever).
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cron' as const), expression: cronText, timezone: fc.oneof(fc.constant(null), timezoneText) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('register' as const),
      task: fc.oneof(anyString, wrongValue),
      options: fc.record({ maxAttempts: fc.oneof(fc.integer({ min: -1, max: 5 }), wrongValue), timeout: duration, backoff: fc.oneof(fc.record({ initialDelay: duration }), wrongValue), concurrency: fc.oneof(fc.integer({ min: -1, max: 3 }), wrongValue) }, { requiredKeys: [] }),
    }),
  },
  // Lookups by hostile keys (NUL, separators, lone surrogates...): PostgreSQL's text cannot hold NUL.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lookup' as const), call: fc.constantFrom(...LOOKUPS), key: anyString }) },
);

/** Runs one lookup by `key`. */
async function lookup(engine: WorkEngine, call: Lookup, key: string): Promise<unknown> {
  switch (call) {
    case 'getWorkInfo':
      return engine.getWorkInfo(key);
    case 'query-ids':
      return engine.query({ ids: [key], limit: 5 });
    case 'query-tags':
      return engine.query({ tags: [key], limit: 5 });
    case 'query-tasks':
      return engine.query({ taskNames: [key], limit: 5 });
    case 'query-unique':
      return engine.query({ uniqueNames: [key], limit: 5 });
    case 'query-dependents':
      return engine.query({ dependentsOf: key, limit: 5 });
    case 'journal':
      return engine.journal({ workId: key, limit: 5 });
    case 'cancel':
      return engine.cancel(key);
    case 'cancelByTag':
      return engine.cancelByTag(key);
    case 'retry':
      return engine.retry(key);
  }
}

/** What one operation stored: the items it returned, with the request each came from (when new). */
interface Stored {
  info: WorkInfo;
  task: unknown;
  request: Record<string, unknown> | null;
  /** The unique name asked for, or null. */
  unique?: unknown;
}

describe(`hostile input (${target.name})`, () => {
  it(`${CASES} calls with hostile arguments: a valid stored item or a one-sentence OffstageError, and a healthy worker`, async () => {
    // The engine under fuzz: the target's own (createOffstage with croner), started, running every echo.
    const worker: WorkEngine = await target.createEngine(await target.prepare(temp.make()), { tasks: Object.fromEntries(TASKS.map((t) => [t, echo])), concurrency: 4, leaseTime: '5s' });
    const store: WorkStore = worker.store;
    const workerErrors: unknown[] = [];
    worker.on('worker:error', (e) => workerErrors.push(e));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    await worker.start();

    const protoNames = Object.getOwnPropertyNames(Object.prototype).sort();
    const seed = createRandom().seed;
    const known: string[] = [];
    const tally = { ok: 0, rejected: 0, stored: 0 };
    const failures: string[] = [];
    // `{ pick }` prerequisites become ids of stored work; the id 'reuse' becomes one already taken.
    const resolveAfter = (r: Record<string, unknown>): Record<string, unknown> => {
      const out = { ...r };
      const after = r.after as { pick?: number[] } | undefined;
      if (after && typeof after === 'object' && Array.isArray(after.pick)) out.after = after.pick.map((n) => known[n % Math.max(1, known.length)] ?? 'none');
      if (r.id === 'reuse' && known.length > 0) out.id = known[known.length - 1];
      if ('input' in r) out.input = materialize(r.input);
      return out;
    };

    const run = async (o: Op): Promise<Stored[]> => {
      switch (o.kind) {
        case 'enqueue': {
          const r = resolveAfter(o.request);
          return [{ info: await worker.enqueue(o.task as string, r), task: o.task, request: r }];
        }
        case 'enqueueMany': {
          const rs = o.requests.map(resolveAfter);
          return (await worker.enqueueMany(o.task as string, rs)).map((info, i) => ({ info, task: o.task, request: rs[i]! }));
        }
        case 'enqueuePeriodic': {
          const r = resolveAfter(o.request);
          return [{ info: await worker.enqueuePeriodic(o.task as string, r), task: o.task, request: r }];
        }
        case 'enqueueUnique': {
          const r = resolveAfter(o.request);
          const res = await worker.enqueueUnique(o.unique as string, o.task as string, o.policy as ExistingWorkPolicy, r);
          return [{ info: res.work, task: o.task, request: res.outcome === 'kept' ? null : r, unique: o.unique }];
        }
        case 'enqueueUniquePeriodic': {
          const r = resolveAfter(o.request);
          const res = await worker.enqueueUniquePeriodic(o.unique as string, o.task as string, o.policy as ExistingPeriodicWorkPolicy, r);
          return [{ info: res.work, task: o.task, request: res.outcome === 'enqueued' || res.outcome === 'replaced' ? r : null, unique: o.unique }];
        }
        case 'chain': {
          const first = o.first.map(resolveAfter);
          const then = o.then.map(resolveAfter);
          let chain = o.unique === null ? worker.beginWith(first as never) : worker.beginUniqueWork(o.unique as string, o.policy as ExistingWorkPolicy, first as never);
          if (then.length > 0) chain = chain.then(then as never);
          const res = await chain.enqueue();
          const steps = [...first, ...then];
          // A chain's items come back in step order when all were inserted.
          return res.work.map((info, i) => ({ info, task: steps[i]?.task, request: res.work.length === steps.length ? steps[i]! : null, unique: o.unique }));
        }
        case 'parseDuration': {
          const ms = parseDuration(o.value as never);
          if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`parseDuration(${String(o.value)}) returned ${ms}, not a whole number of milliseconds.`);
          return [];
        }
        case 'cron': {
          // The CronParser contract: the next occurrence after `after`, null, or a thrown Error for a bad expression.
          const after = Date.now();
          try {
            const next = cronerParser.next(o.expression as string, o.timezone as string | null, after);
            if (next !== null && !(Number.isFinite(next) && next > after)) throw new Error(`cron next returned ${next}.`);
          } catch (error) {
            if (!(error instanceof Error)) throw new Error(`cron threw a non-Error: ${String(error)}`);
          }
          return [];
        }
        case 'register':
          worker.register(o.task as string, { ...o.options, handler: echo });
          return [];
        case 'lookup':
          // What it finds does not matter (an unknown id may be refused); only how it fails.
          await lookup(worker, o.call, o.key as string);
          return [];
      }
    };

    /** Checks one stored item against what was asked for; returns what is wrong. */
    const check = async (s: Stored): Promise<string[]> => {
      const problems: string[] = [];
      const spec = await store.get(s.info.id);
      if (!spec) return [`${s.info.id} was returned but is not stored`];
      if (spec.id !== s.info.id) problems.push(`id ${JSON.stringify(s.info.id)} reads back as ${JSON.stringify(spec.id)}`);
      if (!Number.isFinite(spec.runAt) || Math.abs(spec.runAt) > DATE_LIMIT) problems.push(`runAt ${spec.runAt} is not a real time`);
      if (spec.maxAttempts !== null && !(Number.isSafeInteger(spec.maxAttempts) && spec.maxAttempts >= 1)) problems.push(`maxAttempts ${spec.maxAttempts}`);
      if (spec.timeoutMs !== null && !(Number.isSafeInteger(spec.timeoutMs) && spec.timeoutMs >= 0)) problems.push(`timeoutMs ${spec.timeoutMs}`);
      const info = await worker.getWorkInfo(spec.id);
      if (info?.state === 'enqueued' && Number.isNaN(info.nextRunAt?.getTime())) problems.push('nextRunAt is an invalid Date');
      if (s.request) {
        if (spec.taskName !== s.task) problems.push(`task name ${JSON.stringify(s.task)} reads back as ${JSON.stringify(spec.taskName)}`);
        const tags = s.request.tags as string[] | undefined;
        if (tags !== undefined && !isDeepStrictEqual(spec.tags, [...new Set(tags)])) problems.push(`tags ${JSON.stringify(tags)} read back as ${JSON.stringify(spec.tags)}`);
        const input = 'input' in s.request ? s.request.input : undefined;
        if (spec.state !== 'running' && spec.inputJson !== normalized(input)) problems.push(`input ${normalized(input).slice(0, 80)} reads back as ${spec.inputJson.slice(0, 80)}`);
      }
      if (spec.schedule?.kind === 'cron' && (typeof spec.schedule.expression !== 'string' || !(spec.schedule.timezone === null || typeof spec.schedule.timezone === 'string'))) {
        problems.push(`cron schedule stored as ${JSON.stringify(spec.schedule)}`);
      }
      if (spec.uniqueName !== (s.unique ?? null)) problems.push(`unique name ${JSON.stringify(s.unique)} reads back as ${JSON.stringify(spec.uniqueName)}`);
      return problems;
    };

    await fc.assert(
      fc.asyncProperty(op, async (o) => {
        if (process.env.OFFSTAGE_FUZZ_TRACE) appendFileSync(process.env.OFFSTAGE_FUZZ_TRACE, `${Date.now()} ${fc.stringify(o).slice(0, 400)}\n`);
        let stored: Stored[];
        try {
          stored = await run(o);
        } catch (error) {
          tally.rejected++;
          const fine = error instanceof OffstageError && oneSentence(error.message);
          if (!fine) failures.push(`${o.kind} threw ${error instanceof OffstageError ? 'an OffstageError with message' : `a raw ${(error as Error)?.name}:`} ${JSON.stringify((error as Error)?.message)?.slice(0, 300)}`);
          return fine;
        }
        tally.ok++;
        for (const s of stored) {
          tally.stored++;
          known.push(s.info.id);
          const problems = await check(s);
          if (problems.length) {
            failures.push(`${o.kind} stored ${s.info.id}: ${problems.join('; ')}`);
            return false;
          }
          // Keep hot periodic series from piling up: they were checked, now they may go.
          if (s.info.schedule) await worker.cancel(s.info.id);
        }
        const polluted = Object.getOwnPropertyNames(Object.prototype).sort().join() !== protoNames.join() || Object.keys({}).length > 0;
        if (polluted) failures.push(`${o.kind} polluted Object.prototype`);
        return !polluted;
      }),
      { numRuns: CASES, seed },
    ).catch((error: unknown) => failures.push(`fast-check: ${(error as Error).message.split('\n').slice(0, 12).join(' | ')}`));

    // Let the worker run what is due now, so many outputs get checked too.
    const registered = new Set(worker.taskNames());
    await waitUntil('due work to run', async () => (await store.counts(Date.now())).every((c) => c.due === 0 || !registered.has(c.taskName)), 15_000, 50).catch(() => undefined);
    if (process.env.OFFSTAGE_FUZZ_TRACE) appendFileSync(process.env.OFFSTAGE_FUZZ_TRACE, `seed ${seed} stopping ${JSON.stringify(worker.activity())}\n`);
    await worker.stop({ grace: '2s' });
    if (process.env.OFFSTAGE_FUZZ_TRACE) appendFileSync(process.env.OFFSTAGE_FUZZ_TRACE, `stopped\n`);
    process.off('unhandledRejection', onUnhandled);
    const snap = await snapshot(store, Date.now());
    // The echo handler returns its input: every succeeded one-time item's output is its input.
    const badOutputs = snap.items
      .filter((s) => s.state === 'succeeded' && s.schedule === null && s.prerequisites.length === 0)
      .filter((s) => (s.outputJson ?? 'null') !== s.inputJson)
      .map((s) => s.id);
    reportFigures({
      scenario: 'hostile-input',
      store: target.name,
      rounds: CASES,
      items: snap.items.length,
      lost: failures.length,
      duplicates: 0,
      stuck: snap.items.filter((s) => s.state === 'running').length,
      longestRecoveryMs: null,
      extra: {
        accepted: tally.ok,
        stored: tally.stored,
        rejected: tally.rejected,
        succeeded: snap.items.filter((s) => s.state === 'succeeded').length,
        'worker-errors': workerErrors.length,
        'journal-rows': snap.runs.length,
        seed,
      },
    });
    await worker.close();

    expect(failures.slice(0, 20)).toEqual([]);
    expect(workerErrors).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(consistencyViolations(snap)).toEqual([]);
    expect(badOutputs).toEqual([]);
  }, bySize({ default: 120_000, full: 900_000 }));
});
