/**
 * Real processes on one file: four workers claim and settle the same 3,000 items at the same time.
 * Each item is claimed exactly once, and no worker fails on a lock (begin immediate + busy timeout).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { makeWork } from './make-work.js';
import { useTempDirs } from './temp-dir.js';

const run = promisify(execFile);
const tempDir = useTempDirs();
const worker = fileURLToPath(new URL('./fixtures/claim-worker.ts', import.meta.url));

describe('several processes on one file', () => {
  it('claim every item exactly once', async () => {
    const path = join(tempDir(), 'fleet.db');
    const store = openSqliteStore(path);
    await store.enqueue(Array.from({ length: 3_000 }, (_, i) => makeWork({ id: `job-${i}`, runAt: i % 100 })));
    // Each process opens the store, then waits until all four have, so their claims really overlap.
    const ids = ['p1', 'p2', 'p3', 'p4'];
    const outputs = await Promise.all(
      ids.map((id) =>
        run(process.execPath, ['--conditions', 'source', '--import', 'tsx', worker, path, id, String(ids.length)], { cwd: process.cwd(), timeout: 60_000 }),
      ),
    );
    const perWorker = outputs.map(({ stdout }) => JSON.parse(stdout) as string[]);
    const all = perWorker.flat();
    expect(all).toHaveLength(3_000);
    expect(new Set(all).size).toBe(3_000);
    // Several processes got a share, so the claims really did contend for the write lock (how the
    // share splits is up to the OS scheduler; on a loaded machine one process may get none).
    expect(perWorker.filter((claimed) => claimed.length > 0).length).toBeGreaterThan(1);
    expect((await store.counts(2_000)).map((r) => [r.state, r.count])).toEqual([['succeeded', 3_000]]);
    expect((await store.runs({ limit: 10_000 })).length).toBe(3_000);
    await store.close();
  }, 90_000);
});
