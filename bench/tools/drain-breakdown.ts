/**
 * Where an offstage drain spends its time: runs the drain case's offstage workload (n no-op jobs,
 * concurrency 8) over a timed driver and prints, per store statement and per transaction commit,
 * calls, total ms, µs per call and share of the wall time; the rest is engine JS and the event
 * loop. With `--pages`, also the WAL pages each kind of transaction writes (checkpoints off, so
 * slower: read the timings from a run without it).
 *
 *   npm run breakdown -w @offstage/bench -- [n=20000] [--full] [--pages] [--reps 3]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createWorkEngine } from '@offstage/core';
import { BetterSqlite3Driver, SqliteStore } from '@offstage/sqlite';
import { ENGINE_CONCURRENCY } from '../lib/offstage.js';
import { TimedDriver } from '../lib/timed-driver.js';
import { Counter } from '../lib/wait.js';

/** Bytes of one WAL frame at the default 4 KiB page size (24-byte frame header). */
const WAL_FRAME_BYTES = 4096 + 24;

async function breakdown(n: number, synchronous: 'NORMAL' | 'FULL', pages: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'offstage-breakdown-'));
  const path = join(dir, 'bench.db');
  const frames = new Map<string, { txns: number; frames: number }>();
  let walBytes = 0;
  const countFrames = (label: string): void => {
    const size = statSync(`${path}-wal`).size;
    const f = frames.get(label) ?? { txns: 0, frames: 0 };
    f.txns++;
    f.frames += (size - walBytes) / WAL_FRAME_BYTES;
    walBytes = size;
    frames.set(label, f);
  };
  const db = new Database(path);
  const driver = new TimedDriver(new BetterSqlite3Driver(db), pages ? countFrames : undefined);
  const store = new SqliteStore(driver, { path, synchronous });
  if (pages) db.pragma('wal_autocheckpoint = 0');
  const engine = createWorkEngine({ store, tasks: { noop: () => undefined }, concurrency: ENGINE_CONCURRENCY });
  try {
    for (let start = 0; start < n; start += 1000) {
      await engine.enqueueMany('noop', Array.from({ length: Math.min(1000, n - start) }, (_, k) => ({ input: { i: start + k } })));
    }
    driver.reset();
    frames.clear();
    walBytes = statSync(`${path}-wal`).size;
    const done = new Counter();
    engine.on('work:succeeded', () => done.increment());
    const t0 = performance.now();
    await engine.start();
    const wall = (await done.until(n, 600_000, 'the drain')) - t0;

    console.log(`\n${n} jobs in ${wall.toFixed(0)} ms = ${Math.round((n / wall) * 1000).toLocaleString('en-US')} jobs/s (synchronous=${synchronous}${pages ? ', checkpoints off' : ''})`);
    let sql = 0;
    for (const [label, e] of [...driver.entries].sort((a, b) => b[1].ms - a[1].ms)) {
      sql += e.ms;
      const perCall = ((e.ms / e.calls) * 1000).toFixed(1);
      console.log(`  ${e.ms.toFixed(0).padStart(6)} ms ${((100 * e.ms) / wall).toFixed(0).padStart(3)}%  ${String(e.calls).padStart(6)} × ${perCall.padStart(6)} µs  ${label}`);
    }
    const rest = wall - sql;
    console.log(`  ${rest.toFixed(0).padStart(6)} ms ${((100 * rest) / wall).toFixed(0).padStart(3)}%  engine JS, event loop, GC (wall minus SQL) = ${((rest / n) * 1000).toFixed(1)} µs per job`);
    for (const [label, f] of frames) console.log(`  WAL pages per transaction: ${(f.frames / f.txns).toFixed(2)} over ${f.txns} × ${label}`);
    await engine.stop();
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { full: { type: 'boolean' }, pages: { type: 'boolean' }, reps: { type: 'string' } },
});
const n = Number(positionals[0] ?? 20_000);
for (let rep = 0; rep < Number(values.reps ?? 3); rep++) await breakdown(n, values.full ? 'FULL' : 'NORMAL', values.pages ?? false);
