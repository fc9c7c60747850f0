/**
 * Two SqliteStore instances on one file (two connections, as two processes would have) claiming
 * the same queue: no item is ever handed out twice, and fencing holds across connections.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { makeWork } from './make-work.js';
import { useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();

describe('two connections on one file', () => {
  it('never claim the same item when interleaving claims of 500 items', async () => {
    const path = join(tempDir(), 'shared.db');
    const a = openSqliteStore(path);
    const b = openSqliteStore(path);
    expect(a.capabilities.multiProcess).toBe(true);
    await a.enqueue(
      Array.from({ length: 500 }, (_, i) => makeWork({ id: `w${i}`, priority: [0, 10, 20, 30][i % 4] ?? 10, runAt: i % 50 })),
    );
    const owner = new Map<string, string>();
    let round = 0;
    for (;;) {
      const store = round % 2 === 0 ? a : b;
      const workerId = round % 2 === 0 ? 'worker-a' : 'worker-b';
      // Limits vary so the two connections' batches interleave unevenly.
      const claimed = await store.claim({ now: 100, workerId, leaseMs: 60_000, limit: 1 + (round % 7), taskNames: ['noop'] });
      round += 1;
      if (claimed.length === 0 && round > 2) break;
      for (const { spec, run } of claimed) {
        expect(owner.has(spec.id), `${spec.id} claimed twice`).toBe(false);
        owner.set(spec.id, workerId);
        expect(spec).toMatchObject({ state: 'running', attempt: 1, leaseToken: 1, leaseOwner: workerId });
        expect(run.workerId).toBe(workerId);
      }
    }
    expect(owner.size).toBe(500);
    // Each connection sees the other's claims.
    expect((await b.counts(100)).find((r) => r.state === 'running')?.count).toBe(500);
    const byWorker = [...owner.values()];
    expect(byWorker.filter((w) => w === 'worker-a').length).toBeGreaterThan(100);
    expect(byWorker.filter((w) => w === 'worker-b').length).toBeGreaterThan(100);
    await a.close();
    await b.close();
  });

  it('fences across connections: after B reconciles and re-claims, A can neither heartbeat nor settle', async () => {
    const path = join(tempDir(), 'fence.db');
    const a = openSqliteStore(path);
    const b = openSqliteStore(path);
    await a.enqueue([makeWork({ id: 'x' })]);
    const [first] = await a.claim({ now: 0, workerId: 'a', leaseMs: 1_000, limit: 1, taskNames: ['noop'] });
    if (!first) throw new Error('not claimed');
    expect(await b.reconcile(1_000)).toEqual(['x']);
    const [second] = await b.claim({ now: 1_000, workerId: 'b', leaseMs: 1_000, limit: 1, taskNames: ['noop'] });
    if (!second) throw new Error('not re-claimed');
    expect(second.spec.leaseToken).toBe(first.spec.leaseToken + 2);
    expect(await a.heartbeat({ id: 'x', leaseToken: first.spec.leaseToken, now: 1_001, leaseMs: 1_000 })).toBe(false);
    const stale = await a.settle({
      id: 'x', leaseToken: first.spec.leaseToken, runId: first.run.id, now: 1_002,
      state: 'succeeded', attempt: 1, outcome: 'succeeded', error: null, stopReason: null,
    });
    expect(stale).toBe(false);
    expect(await a.get('x')).toMatchObject({ state: 'running', leaseOwner: 'b', leaseToken: second.spec.leaseToken });
    const runs = await a.runs({ workId: 'x' });
    expect(runs.map((r) => [r.workerId, r.outcome, r.stopReason])).toEqual([
      ['b', null, null],
      ['a', 'stopped', 'lease-lost'],
    ]);
    await a.close();
    await b.close();
  });
});
