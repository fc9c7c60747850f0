import { afterEach, describe, expect, it } from 'vitest';
import { createTestDriver, type TestDriver } from '../testing/index.js';
import { MemoryStore } from '../store/memory-store.js';
import type { WorkStore } from '../store/work-store.js';
import type { TaskContext } from './task.js';
import { createWorkEngine } from './work-engine.js';
import {
  InputTooLargeError,
  InvalidDurationError,
  InvalidInputError,
  InvalidOptionError,
  InvalidStateError,
  UnknownTaskError,
  WorkNotFoundError,
} from '../errors.js';

/** Wraps a store and counts every call, to prove the engine does not poll. */
function countingStore(inner: WorkStore): { store: WorkStore; calls: string[] } {
  const calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

let driver: TestDriver | undefined;
afterEach(async () => {
  await driver?.dispose();
  driver = undefined;
});

describe('no polling', () => {
  it('an idle engine with future work arms one timer and makes no store calls until it is due', async () => {
    const { store, calls } = countingStore(new MemoryStore());
    driver = await createTestDriver({ store, tasks: { later: () => 'ok' } });
    const { id } = await driver.enqueue('later', { delay: '1h' });
    expect(driver.clock.pendingTimers()).toBe(1);
    expect(driver.engine.activity().wakeAt).toBe(driver.now() + 3_600_000);
    calls.length = 0;
    await driver.advance('59m');
    expect(calls).toEqual([]);
    await driver.advance('1m');
    expect(await driver.state(id)).toBe('succeeded');
    calls.length = 0;
    await driver.advance('30d');
    expect(calls).toEqual([]);
    expect(driver.clock.pendingTimers()).toBe(0);
  });

  it('an idle engine with nothing pending arms no timer at all', async () => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' } });
    expect(driver.clock.pendingTimers()).toBe(0);
    expect(driver.engine.activity().wakeAt).toBeNull();
  });

  it('re-arms for earlier work enqueued while waiting', async () => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' } });
    await driver.enqueue('t', { delay: '1h' });
    const { id } = await driver.enqueue('t', { delay: '1m' });
    expect(driver.engine.activity().wakeAt).toBe(driver.now() + 60_000);
    await driver.advance('1m');
    expect(await driver.state(id)).toBe('succeeded');
    expect(driver.engine.activity().wakeAt).toBe(driver.now() + 59 * 60_000);
  });
});

describe('bad input gets a typed error and stores nothing', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;

  it.each([
    ['an unregistered task', 'nope', {}, UnknownTaskError, /No task named "nope" is registered/],
    ['a function in the input', 't', { input: { cb: () => 1 } }, InvalidInputError, /\$\.cb is a function/],
    ['a cycle in the input', 't', { input: cyclic }, InvalidInputError, /cycle/],
    ['a BigInt in the input', 't', { input: 1n }, InvalidInputError, /BigInt/],
    ['input over the size limit', 't', { input: 'x'.repeat(2000) }, InputTooLargeError, /over the 1000-byte limit/],
    ['a negative delay', 't', { delay: -5 }, InvalidDurationError, /delay -5/],
    ['a malformed delay', 't', { delay: '5 parsecs' }, InvalidDurationError, /'5 parsecs'/],
    ['a malformed timeout', 't', { timeout: 'soon' }, InvalidDurationError, /timeout/],
    ['maxAttempts of zero', 't', { maxAttempts: 0 }, InvalidOptionError, /maxAttempts 0/],
    ['fractional maxAttempts', 't', { maxAttempts: 1.5 }, InvalidOptionError, /maxAttempts/],
    ['an unknown priority', 't', { priority: 'urgent' }, InvalidOptionError, /priority 'urgent'/],
    ['tags that are not strings', 't', { tags: [1] }, InvalidOptionError, /tags/],
    ['a tag with an unpaired surrogate', 't', { tags: ['a\ud800'] }, InvalidOptionError, /tags/],
    ['a tag with a NUL character (PostgreSQL cannot store one)', 't', { tags: ['a\u0000b'] }, InvalidOptionError, /NUL characters/],
    ['an invalid startAt', 't', { startAt: new Date('nope') }, InvalidOptionError, /startAt/],
    ['an unknown backoff policy', 't', { backoff: { policy: 'random' } }, InvalidOptionError, /backoff policy/],
  ])('%s', async (_label, task, request, ErrorType, message) => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' }, maxInputBytes: 1000 });
    const existing = await driver.enqueue('t', { delay: '1h', input: { keep: true } });
    const before = await driver.engine.query({});
    const attempt = driver.engine.enqueue(task, request as never);
    await expect(attempt).rejects.toThrow(ErrorType);
    await expect(driver.engine.enqueue(task, request as never)).rejects.toThrow(message);
    expect(await driver.engine.query({})).toEqual(before);
    expect((await driver.info(existing.id)).input).toEqual({ keep: true });
  });

  it('an empty task name', async () => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' } });
    await expect(driver.engine.enqueue('', { allowUnregistered: true })).rejects.toThrow(InvalidOptionError);
  });

  it('a batch with one bad item stores none of it', async () => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' } });
    await expect(driver.engine.enqueueMany('t', [{ input: 1 }, { input: (() => 2) as never }])).rejects.toThrow(InvalidInputError);
    expect(await driver.engine.query({})).toEqual([]);
  });

  it('bad engine options', () => {
    const store = new MemoryStore();
    expect(() => createWorkEngine({ store, concurrency: 0 })).toThrow(/concurrency 0/);
    // A whole number, but not one a store can count to.
    expect(() => createWorkEngine({ store, concurrency: 1e300 })).toThrow(InvalidOptionError);
    expect(() => createWorkEngine({ store, tasks: { t: { handler: () => 1, concurrency: 2 ** 60 } } })).toThrow(/concurrency .* of task "t" is invalid/);
    expect(() => createWorkEngine({ store, leaseTime: 'forever' })).toThrow(InvalidDurationError);
    expect(() => createWorkEngine({ store, tasks: { x: {} as never } })).toThrow(/has no handler/);
    // Stored on every claim: PostgreSQL's text cannot hold NUL, and logs want one line.
    for (const workerId of ['', 'a\u0000b', 'host\n1', 42 as never]) {
      expect(() => createWorkEngine({ store, workerId })).toThrow(InvalidOptionError);
    }
    expect(() => createWorkEngine({ store, workerId: 'a\u0000b' })).toThrow(/The workerId "a\\u0000b" is invalid/);
    expect(createWorkEngine({ store, workerId: 'host-1:4242' }).workerId).toBe('host-1:4242');
  });

  it('retry of unknown or running work', async () => {
    driver = await createTestDriver({ tasks: { t: () => new Promise(() => {}) } });
    await expect(driver.engine.retry('missing')).rejects.toThrow(WorkNotFoundError);
    const { id } = await driver.enqueue('t');
    await expect(driver.engine.retry(id)).rejects.toThrow(InvalidStateError);
    await expect(driver.engine.cancel('missing')).rejects.toThrow(WorkNotFoundError);
  });

  it('an unknown id with a line break is quoted on one line', async () => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' } });
    await expect(driver.engine.cancel('a\nb\u2028c')).rejects.toThrow(/^No work item has the id "a\\nb\\u2028c"; check the id with `offstage list`\.$/);
  });
});

describe('events', () => {
  it('emits the lifecycle in order, and a throwing listener breaks nothing', async () => {
    driver = await createTestDriver({
      tasks: {
        flaky: ({ attempt }: TaskContext) => {
          if (attempt === 1) throw new Error('first try fails');
          return 'ok';
        },
      },
    });
    const seen: string[] = [];
    const errors: string[] = [];
    for (const e of ['work:enqueued', 'work:started', 'work:retrying', 'work:succeeded'] as const) driver.engine.on(e, () => void seen.push(e));
    driver.engine.on('work:started', () => {
      throw new Error('listener bug');
    });
    driver.engine.on('worker:error', ({ during }) => void errors.push(during));
    const { id } = await driver.enqueue('flaky', { backoff: { initialDelay: '1s' } });
    await driver.runUntilIdle();
    expect(await driver.state(id)).toBe('succeeded');
    expect(seen).toEqual(['work:enqueued', 'work:started', 'work:retrying', 'work:started', 'work:succeeded']);
    expect(errors).toEqual(["a 'work:started' listener", "a 'work:started' listener"]);
  });

  it('names the retry rule that decided on work:retrying and work:failed (null for the work’s own backoff)', async () => {
    driver = await createTestDriver({
      tasks: {
        gateway: ({ attempt }: TaskContext) => {
          throw Object.assign(new Error(`bad gateway ${attempt}`), { status: attempt === 1 ? 502 : 404 });
        },
        plain: () => {
          throw new Error('no status');
        },
      },
    });
    const retrying: Array<{ id: string; rule: string | null }> = [];
    const failed: Array<{ id: string; rule: string | null }> = [];
    driver.engine.on('work:retrying', ({ id, rule }) => void retrying.push({ id, rule }));
    driver.engine.on('work:failed', ({ id, rule }) => void failed.push({ id, rule }));
    const gateway = await driver.enqueue('gateway');
    const plain = await driver.enqueue('plain', { maxAttempts: 2, backoff: { initialDelay: '1s' } });
    await driver.runUntilIdle();
    expect(retrying).toEqual(expect.arrayContaining([{ id: gateway.id, rule: 'server-error' }, { id: plain.id, rule: null }]));
    expect(failed).toEqual(expect.arrayContaining([{ id: gateway.id, rule: 'client-error' }, { id: plain.id, rule: null }]));
    expect(retrying).toHaveLength(2);
    expect(failed).toHaveLength(2);
  });

  it('unsubscribes', async () => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' } });
    let count = 0;
    const off = driver.engine.on('work:succeeded', () => void count++);
    await driver.enqueue('t');
    off();
    await driver.enqueue('t');
    expect(count).toBe(1);
  });
});

describe('misbehaving handlers', () => {
  it('a handler that ignores its abort signal is settled at its timeout and frees its slot', async () => {
    driver = await createTestDriver({ concurrency: 1, tasks: { deaf: () => new Promise(() => {}), next: () => 'ran' } });
    const deaf = await driver.enqueue('deaf', { timeout: '1s', maxAttempts: 1 });
    const next = await driver.enqueue('next');
    expect(await driver.state(next.id)).toBe('enqueued');
    await driver.advance('1s');
    expect(await driver.state(deaf.id)).toBe('failed');
    expect(await driver.info(next.id)).toMatchObject({ state: 'succeeded', output: 'ran' });
  });

  it.each([
    ['a string', 'just a string', 'just a string'],
    ['an object', { code: 7 }, 'Non-Error thrown: {"code":7}'],
    ['null', null, 'Non-Error thrown: null'],
  ])('a handler that throws %s fails with a readable error', async (_label, thrown, message) => {
    driver = await createTestDriver({ tasks: { t: () => Promise.reject(thrown as unknown as Error) } });
    const { id } = await driver.enqueue('t', { maxAttempts: 1 });
    expect(await driver.info(id)).toMatchObject({ state: 'failed', lastError: message });
  });

  it('a handler that returns unstorable output fails without retrying', async () => {
    driver = await createTestDriver({ tasks: { t: () => ({ fn: () => 1 }) } });
    const { id } = await driver.enqueue('t', { maxAttempts: 3 });
    expect(await driver.info(id)).toMatchObject({ state: 'failed', attempt: 1 });
    expect((await driver.info(id)).lastError).toMatch(/output of task "t" is not JSON-serialisable/);
  });

  it('a synchronous throw is an ordinary failed attempt', async () => {
    driver = await createTestDriver({
      tasks: {
        t: () => {
          throw new TypeError('bad');
        },
      },
    });
    const { id } = await driver.enqueue('t', { maxAttempts: 1 });
    expect(await driver.info(id)).toMatchObject({ state: 'failed', lastError: 'TypeError: bad' });
  });
});

describe('bulk cancel', () => {
  it('cancels by tag and all, leaving finished work alone', async () => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' } });
    const done = await driver.enqueue('t', { tags: ['a'] });
    const a1 = await driver.enqueue('t', { tags: ['a'], delay: '1h' });
    const b1 = await driver.enqueue('t', { tags: ['b'], delay: '1h' });
    expect(await driver.engine.cancelByTag('a')).toBe(1);
    expect(await driver.state(a1.id)).toBe('cancelled');
    expect(await driver.state(b1.id)).toBe('enqueued');
    expect(await driver.engine.cancelAll()).toBe(1);
    expect(await driver.state(b1.id)).toBe('cancelled');
    expect(await driver.state(done.id)).toBe('succeeded');
  });
});

describe('status', () => {
  it('counts by state and task and reports the next wake', async () => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' } });
    await driver.enqueue('t');
    await driver.enqueue('t', { delay: '10m' });
    const s = await driver.engine.status();
    expect(s.counts).toMatchObject({ succeeded: 1, enqueued: 1, running: 0 });
    expect(s.tasks).toEqual([{ taskName: 't', registered: true, counts: { succeeded: 1, enqueued: 1 }, due: 0 }]);
    expect(s.nextWakeAt?.getTime()).toBe(driver.now() + 600_000);
  });
});

describe('ids', () => {
  it('are UUIDv7s that sort by creation time', async () => {
    const { createUuidV7 } = await import('./work-engine.js');
    const a = createUuidV7(1_000);
    const b = createUuidV7(2_000);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13)).toBe('00000000-03e8');
    expect(new Set(Array.from({ length: 1000 }, () => createUuidV7(5))).size).toBe(1000);
  });
});

describe('scheduling bad input gets a typed error and stores nothing', () => {
  const cron = { next: (expression: string, _zone: string | null, after: number) => {
    if (expression.split(' ').length !== 5) throw new Error('five fields required');
    return after + 60_000;
  } };

  it.each([
    ['a cron expression that does not parse', () => driver!.engine.enqueuePeriodic('t', { cron: 'every day' }), /does not parse/],
    ['an unknown time zone', () => driver!.engine.enqueuePeriodic('t', { cron: '0 * * * *', timezone: 'Nowhere/Land' }), /time zone 'Nowhere\/Land' is unknown/],
    ['an interval of zero', () => driver!.engine.enqueuePeriodic('t', { every: 0 }), /interval must be above zero/],
    ['a flex wider than the interval', () => driver!.engine.enqueuePeriodic('t', { every: '1h', flex: '2h' }), /wider than the interval/],
    ['an unknown unique policy', () => driver!.engine.enqueueUnique('n', 't', 'merge' as never), /policy 'merge' is unknown/],
    ['an unknown periodic policy', () => driver!.engine.enqueueUniquePeriodic('n', 't', 'replace' as never, { every: '1h' }), /periodic work policy 'replace'/],
    ['an empty unique name', () => driver!.engine.enqueueUnique('', 't', 'keep'), /unique name "" is invalid/],
    ['an unknown merger', () => driver!.engine.enqueue('t', { after: [], inputMerger: 'zip' as never }), /inputMerger 'zip'/],
    ['a misspelt option', () => driver!.engine.enqueue('t', { dealy: '1m' } as never), /unknown option 'dealy'/],
    ['a chain onto unknown work', () => driver!.engine.beginWith({ task: 't', after: ['ghost'] }).enqueue(), /prerequisite "ghost" does not exist/],
    ['a chain step without a task', async () => driver!.engine.beginWith({ input: 1 } as never).enqueue(), /task name/],
  ])('%s', async (_label, call, message) => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' }, cron });
    const before = await driver.engine.query({});
    await expect(call()).rejects.toThrow(message);
    expect(await driver.engine.query({})).toEqual(before);
  });

  it('a cron schedule without a cron parser', async () => {
    driver = await createTestDriver({ tasks: { t: () => 'ok' } });
    await expect(driver.engine.enqueuePeriodic('t', { cron: '0 * * * *' })).rejects.toThrow(/need a cron parser/);
  });

  it('bad task options fail at registration', () => {
    const store = new MemoryStore();
    expect(() => createWorkEngine({ store, tasks: { t: { handler: () => 1, maxAttempts: 0 } } })).toThrow(/maxAttempts 0/);
    expect(() => createWorkEngine({ store, tasks: { t: { handler: () => 1, concurrency: 0 } } })).toThrow(/concurrency 0 of task "t"/);
    expect(() => createWorkEngine({ store, tasks: { t: { handler: () => 1, timeout: 'soon' } } })).toThrow(InvalidDurationError);
  });

  it('task defaults apply at claim time, so work enqueued without them still gets them', async () => {
    const store = new MemoryStore();
    const producer = createWorkEngine({ store });
    const { id } = await producer.enqueue('flaky', { allowUnregistered: true });
    expect((await producer.getWorkInfo(id))?.maxAttempts).toBeNull();
    driver = await createTestDriver({ store, tasks: { flaky: { maxAttempts: 2, backoff: { initialDelay: '1s' }, handler: () => Promise.reject(new Error('x')) } } });
    await driver.runUntilIdle();
    const runs = (await driver.journal({ workId: id })).reverse();
    expect(runs.map((r) => r.outcome)).toEqual(['retrying', 'failed']);
    expect(runs[1]!.startedAt - runs[0]!.startedAt).toBe(1000);
  });
});
