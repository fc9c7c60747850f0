/**
 * Two real processes race on unique names: each enqueues `round-0` … `round-199` with a plan that
 * inserts only when no unfinished item holds the name. Both start together (a start file both wait
 * for), so each round's two enqueues really contend. Every name must end with exactly one item:
 * the read of the name's items and the insert happen under one `begin immediate` write lock.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { useTempDirs } from './temp-dir.js';

const run = promisify(execFile);
const tempDir = useTempDirs();
const worker = fileURLToPath(new URL('./fixtures/unique-worker.ts', import.meta.url));
const ROUNDS = 200;

describe('two processes enqueueing unique work', () => {
  it('leave exactly one item per unique name', async () => {
    const path = join(tempDir(), 'unique.db');
    // Created (and migrated) here first, so neither worker's open races the schema.
    await openSqliteStore(path).close();
    const ids = ['p1', 'p2'];
    const workers = ids.map((id) =>
      run(process.execPath, ['--conditions', 'source', '--import', 'tsx', worker, path, id, String(ROUNDS)], { cwd: process.cwd(), timeout: 60_000 }),
    );
    // The barrier: release both only once both have opened the store.
    const deadline = Date.now() + 30_000;
    while (!ids.every((id) => existsSync(`${path}.ready-${id}`))) {
      if (Date.now() > deadline) throw new Error('the workers never became ready');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    writeFileSync(`${path}.go`, '');
    const results = (await Promise.all(workers)).map(({ stdout }) => JSON.parse(stdout) as { workerId: string; inserted: number });

    const store = openSqliteStore(path);
    const all = await store.query({ limit: Infinity });
    expect(all).toHaveLength(ROUNDS);
    const perName = new Map<string, number>();
    for (const spec of all) perName.set(spec.uniqueName ?? '', (perName.get(spec.uniqueName ?? '') ?? 0) + 1);
    expect(perName.size).toBe(ROUNDS);
    expect([...perName.values()].every((n) => n === 1)).toBe(true);
    for (let i = 0; i < ROUNDS; i += 37) {
      expect(await store.query({ uniqueNames: [`round-${i}`] })).toHaveLength(1);
    }
    // Each process's count of rounds it won adds up: no insert was lost or doubled.
    expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(ROUNDS);
    await store.close();
  }, 90_000);
});
