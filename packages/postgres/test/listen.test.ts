/**
 * Wake-ups without polling: a listener on one connection hears the NOTIFY that an enqueue, a retry
 * or a released chain on another connection sends, only once that transaction commits; claims
 * nudge listeners about a lapsed lease (throttled); a listener survives its connection being
 * killed (logging the outage and the recovery); and the pollInterval fallback calls back on its
 * timer instead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeSpec } from '@offstage/store-conformance';
import type { PostgresStore } from '../src/index.js';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();
const opened: PostgresStore[] = [];
const open = (...args: Parameters<typeof db.open>): PostgresStore => {
  const store = db.open(...args);
  opened.push(store);
  return store;
};

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** Collects wake-ups; `next()` resolves with the next one (or rejects after `ms`). */
function inbox() {
  const received: Array<string | undefined> = [];
  let waiter: ((value: string | undefined) => void) | null = null;
  return {
    received,
    handler: (taskName?: string) => {
      received.push(taskName);
      waiter?.(taskName);
      waiter = null;
    },
    next: (ms = 5_000) =>
      new Promise<string | undefined>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no wake-up within ${ms} ms`)), ms);
        waiter = (value) => {
          clearTimeout(timer);
          resolve(value);
        };
      }),
  };
}

const settle = { state: 'succeeded' as const, attempt: 1, outcome: 'succeeded' as const, error: null, stopReason: null };

describe('listen', () => {
  it('wakes a listener when another connection enqueues, retries or releases work', async () => {
    await db.truncate();
    const worker = open();
    const producer = open();
    const box = inbox();
    const stop = await worker.listen(box.handler);

    let next = box.next();
    await producer.enqueue([makeSpec({ id: 'a', taskName: 'email' }), makeSpec({ id: 'b', taskName: 'email' }), makeSpec({ id: 'c', taskName: 'resize', runAt: 10_000 })]);
    expect(await next).toBeDefined();
    if (box.received.length < 2) await box.next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // One NOTIFY per task name per transaction, never one per item.
    expect([...box.received].sort()).toEqual(['email', 'resize']);

    // A chain released by a settle on another connection.
    await producer.enqueue([makeSpec({ id: 'p', taskName: 'prep' }), makeSpec({ id: 'd', taskName: 'deliver', prerequisites: ['p'] })]);
    const [p] = await producer.claim({ now: 0, workerId: 'w', leaseMs: 60_000, limit: 1, taskNames: ['prep'] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    box.received.length = 0;
    next = box.next();
    await producer.settle({ id: 'p', leaseToken: p!.spec.leaseToken, runId: p!.run.id, now: 1, ...settle });
    expect(await next).toBe('deliver');

    // A retry of failed work.
    const [a] = await producer.claim({ now: 0, workerId: 'w', leaseMs: 60_000, limit: 1, taskNames: ['email'] });
    await producer.settle({ id: a!.spec.id, leaseToken: a!.spec.leaseToken, runId: a!.run.id, now: 1, ...settle, state: 'failed', outcome: 'failed' });
    next = box.next();
    expect(await producer.retry(a!.spec.id, 2)).toBe(true);
    expect(await next).toBe('email');

    await stop();
    box.received.length = 0;
    await producer.enqueue([makeSpec({ id: 'after-stop', taskName: 'email' })]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(box.received).toEqual([]);
  });

  it('reconnects after its connection is killed, logs the outage and the recovery, and wakes once', async () => {
    await db.truncate();
    const log: string[] = [];
    const worker = open({ logger: { warn: (m) => log.push(`warn ${m}`), info: (m) => log.push(`info ${m}`) } });
    const producer = open();
    const box = inbox();
    await worker.listen(box.handler);
    const recovered = box.next(10_000);
    await db.sql("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'listen %'");
    // After a reconnect the listener calls back with no task name: what was sent meanwhile is lost.
    expect(await recovered).toBeUndefined();
    expect(log.some((l) => l.startsWith('warn offstage: lost the LISTEN connection'))).toBe(true);
    expect(log.some((l) => l.startsWith('info offstage: listening on PostgreSQL'))).toBe(true);
    const next = box.next();
    await producer.enqueue([makeSpec({ id: 'x', taskName: 'email' })]);
    expect(await next).toBe('email');
  });

  it('passes on the claims’ lapsed-lease nudge at most once a second', async () => {
    await db.truncate();
    const worker = open();
    const producer = open();
    await producer.enqueue([makeSpec({ id: 'held', taskName: 'slow' })]);
    await producer.claim({ now: 0, workerId: 'gone', leaseMs: 10, limit: 1, taskNames: ['slow'] });
    const box = inbox();
    await worker.listen(box.handler);
    const first = box.next();
    // Every claim while a lease has lapsed nudges; nobody reconciles here, so they keep coming.
    for (let i = 0; i < 20; i++) await producer.claim({ now: 1_000, workerId: 'w', leaseMs: 10_000, limit: 1, taskNames: ['other'] });
    expect(await first).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(box.received).toEqual([undefined]);
    expect(await producer.reconcile(1_000)).toEqual(['held']);
  });

  it('falls back to calling back on a timer with pollInterval (for transaction-mode poolers)', async () => {
    const worker = open({ pollInterval: '50ms' });
    const box = inbox();
    const stop = await worker.listen(box.handler);
    await box.next(2_000);
    await box.next(2_000);
    await stop();
    const count = box.received.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(box.received.length).toBe(count);
  });

  it('stops every listener on close', async () => {
    const worker = db.open();
    const box = inbox();
    await worker.listen(box.handler);
    await worker.close();
    const producer = open();
    await producer.enqueue([makeSpec({ id: `late-${Date.now()}`, taskName: 'email' })]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(box.received).toEqual([]);
  });
});
