/**
 * A fleet on one database, in real processes: four workers (engine + PostgresStore + LISTEN
 * wake-ups) drain a batch enqueued after they start, and every item succeeds exactly once (one
 * `succeeded` journal row per item). Then the same with one worker killed by SIGKILL mid-run (its
 * leased items are taken over within the lease time and complete), and with PostgreSQL restarted
 * mid-run (workers log the outage, reconnect, and finish with nothing lost).
 * OFFSTAGE_FLEET_ITEMS sets the batch size (default 5,000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { makeSpec } from '@offstage/store-conformance';
import { restartCluster } from '@offstage/pg-cluster';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();
const ITEMS = Number(process.env.OFFSTAGE_FLEET_ITEMS ?? 5_000);
const LEASE_MS = 2_000;
const fixture = fileURLToPath(new URL('./fixtures/fleet-worker.ts', import.meta.url));
const cluster = inject('pgCluster');

interface Worker {
  id: string;
  child: ChildProcess;
  stderr: string[];
  exited: Promise<number | null>;
}

let workers: Worker[] = [];

afterEach(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
});

/** Starts a worker process; resolves once it prints `ready`. */
async function startWorker(id: string, handlerMs: number): Promise<Worker> {
  const child = spawn(process.execPath, ['--conditions', 'source', '--import', 'tsx', fixture, db.url(), id, String(LEASE_MS), '4', String(handlerMs)], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const worker = { id, child, stderr, exited };
  workers.push(worker);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    void exited.then((code) => reject(new Error(`worker ${id} exited (${code}) before it was ready: ${stderr.join(' | ')}`)));
  });
  return worker;
}

async function succeeded(): Promise<number> {
  const [row] = await db.sql<{ n: string }>("select count(*) as n from offstage.work where state = 'succeeded'");
  return Number(row?.n ?? 0);
}

/** Resolves once `predicate` holds, polling the database every 50 ms; rejects after `ms`. */
async function until(predicate: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function enqueueBatch(count: number): Promise<void> {
  const store = db.open();
  try {
    for (let i = 0; i < count; i += 5_000) {
      await store.enqueue(Array.from({ length: Math.min(5_000, count - i) }, (_, j) => makeSpec({ id: `job-${String(i + j).padStart(6, '0')}`, createdAt: 0 })));
    }
  } finally {
    await store.close();
  }
}

/** Every item succeeded, each with exactly one `succeeded` journal row, and nothing else is open. */
async function expectExactlyOnce(count: number): Promise<void> {
  const [row] = await db.sql<{ items: string; succeeded: string; runs: string; twice: string; open: string }>(`
select (select count(*) from offstage.work) as items,
       (select count(*) from offstage.work where state = 'succeeded') as succeeded,
       (select count(*) from offstage.runs where outcome = 'succeeded') as runs,
       (select count(*) from (select work_id from offstage.runs where outcome = 'succeeded' group by work_id having count(*) <> 1) as t) as twice,
       (select count(*) from offstage.runs where ended_at is null) as open`);
  expect(row).toEqual({ items: String(count), succeeded: String(count), runs: String(count), twice: '0', open: '0' });
}

async function stopAll(): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  const codes = await Promise.all(workers.map((w) => w.exited));
  expect(codes.filter((code) => code !== null)).toEqual(codes.filter((code) => code !== null).map(() => 0));
}

describe(`a fleet of 4 worker processes (${ITEMS} items)`, () => {
  it('drains a batch, every item succeeding exactly once', async () => {
    await db.truncate();
    await Promise.all(['w1', 'w2', 'w3', 'w4'].map((id) => startWorker(id, 0)));
    const started = Date.now();
    await enqueueBatch(ITEMS);
    await until(async () => (await succeeded()) === ITEMS, 120_000, 'the batch to drain');
    const seconds = (Date.now() - started) / 1000;
    console.info(`fleet: 4 processes drained ${ITEMS} items in ${seconds.toFixed(2)} s (${Math.round(ITEMS / seconds)} items/s, enqueue included)`);
    await stopAll();
    await expectExactlyOnce(ITEMS);
    const perWorker = await db.sql<{ worker_id: string; n: string }>("select worker_id, count(*) as n from offstage.runs group by worker_id");
    expect(perWorker.length).toBeGreaterThan(1);
  }, 180_000);

  it('takes over a SIGKILLed worker’s leased items within the lease time, and completes them', async () => {
    await db.truncate();
    const count = Math.min(ITEMS, 2_000);
    const [victim] = await Promise.all(['k1', 'k2', 'k3', 'k4'].map((id) => startWorker(id, 5)));
    await enqueueBatch(count);
    await until(async () => (await succeeded()) >= count * 0.2, 60_000, 'a fifth of the batch');
    // Kill it while it holds leases.
    await until(async () => Number((await db.sql<{ n: string }>("select count(*) as n from offstage.work where state = 'running' and lease_owner = 'k1'"))[0]?.n) > 0, 10_000, 'k1 to hold a lease');
    victim!.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim!.exited;
    await until(async () => (await succeeded()) === count, 60_000, 'the rest of the batch');
    const lost = await db.sql<{ work_id: string; taken_over_at: string }>(`
select r.work_id, min(n.started_at) as taken_over_at
from offstage.runs as r join offstage.runs as n on n.work_id = r.work_id and n.id > r.id
where r.worker_id = 'k1' and r.outcome = 'stopped' and r.stop_reason = 'lease-lost'
group by r.work_id`);
    expect(lost.length).toBeGreaterThan(0);
    // The lease runs out at most LEASE_MS after the kill (its last heartbeat came before it); then
    // the next claim anywhere nudges the fleet to reconcile, and the item is first in line again.
    const slowest = Math.max(...lost.map((r) => Number(r.taken_over_at) - killedAt));
    console.info(`fleet: ${lost.length} items of the killed worker taken over at most ${slowest} ms after the kill (lease ${LEASE_MS} ms)`);
    expect(slowest).toBeLessThan(LEASE_MS + 2_000);
    await stopAll();
    await expectExactlyOnce(count);
  }, 120_000);

  it.skipIf(cluster === null)('rides out a PostgreSQL restart mid-run: logs the outage, reconnects, loses nothing', async () => {
    await db.truncate();
    const count = Math.min(ITEMS, 3_000);
    await Promise.all(['r1', 'r2', 'r3', 'r4'].map((id) => startWorker(id, 2)));
    await enqueueBatch(count);
    await until(async () => (await succeeded()) >= count * 0.25, 60_000, 'a quarter of the batch');
    await restartCluster(cluster!);
    await until(async () => (await succeeded()) === count, 90_000, 'the batch to drain after the restart');
    await stopAll();
    await expectExactlyOnce(count);
    for (const w of workers) {
      const log = w.stderr.join('\n');
      expect(log, `${w.id} logs the outage`).toMatch(/WARN offstage: lost the LISTEN connection/);
      expect(log, `${w.id} logs the recovery`).toMatch(/INFO offstage: listening on PostgreSQL .* again after \d+ ms/);
    }
  }, 150_000);
});
