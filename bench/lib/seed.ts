/**
 * Big stores, fast: template databases seeded once per case (outside every measurement) and copied
 * for each run, and the seeding itself. offstage's store is seeded through its own API for the first
 * row, then that row is copied in one `insert ... select` (every column as the store wrote it, only
 * `id`, `input_json` and `run_at` varied), so the seed follows whatever the schema is today;
 * plainjob through `addMany`; liteque through `seedLiteque` (peers/liteque.ts).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openEngine, stateCounts } from './offstage.js';
import type { PlainjobQueue } from './peers/plainjob.js';
import { check } from './verify.js';

/** Seeded databases kept for the length of a case, copied into each run's fresh path. */
export class TemplateDbs {
  private dir: string | null = null;
  private readonly made = new Set<string>();

  /** Creates the template `key` with `seed(path)` unless it exists already. */
  async ensure(key: string, seed: (path: string) => Promise<void>): Promise<void> {
    if (this.made.has(key)) return;
    this.dir ??= mkdtempSync(join(tmpdir(), 'offstage-bench-template-'));
    await seed(this.path(key));
    this.made.add(key);
  }

  /** Copies template `key` (a checkpointed file, no WAL) to `dest`. */
  copyTo(key: string, dest: string): void {
    check(this.made.has(key), `template ${key} was never seeded`);
    copyFileSync(this.path(key), dest);
  }

  /** Deletes every template. */
  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.made.clear();
  }

  private path(key: string): string {
    return join(this.dir!, `${key}.db`);
  }
}

/** Folds the WAL into the main file and truncates it, so copying the main file copies everything. */
export function checkpoint(path: string): void {
  const db = new Database(path);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** What {@link seedOffstage} wrote. */
export interface OffstageSeed {
  /** The id of the one work item due now, when asked for. */
  dueId: string | null;
}

/**
 * Writes `future` work items of `task` into a new offstage store at `path`, the first due in
 * `firstDelayMs` and each next one `stepMs` later, plus (with `due`) one item due now, enqueued last.
 *
 * @example
 * await seedOffstage(path, { task: 'job', future: 1_000_000, firstDelayMs: 3_600_000, stepMs: 1_000, due: true })
 */
export async function seedOffstage(
  path: string,
  options: { task: string; future: number; firstDelayMs: number; stepMs: number; due: boolean },
): Promise<OffstageSeed> {
  const { task, future, firstDelayMs, stepMs, due } = options;
  const tasks = { [task]: () => undefined };
  let engine = await openEngine(path, 'NORMAL', tasks);
  try {
    await engine.enqueue(task, { input: { i: 0 }, delay: firstDelayMs });
  } finally {
    await engine.close();
  }
  if (future > 1) cloneFirstWork(path, future - 1, stepMs);
  let dueId: string | null = null;
  engine = await openEngine(path, 'NORMAL', tasks);
  try {
    if (due) dueId = (await engine.enqueue(task, { input: { due: true } })).id;
    const counts = await stateCounts(engine.store);
    const expected = future + (due ? 1 : 0);
    check(counts.enqueued === expected && counts.total === expected, `offstage seed: expected ${expected} enqueued items, store counts ${JSON.stringify(counts)}`);
  } finally {
    await engine.close();
  }
  checkpoint(path);
  return { dueId };
}

/** Copies the store's first work row `copies` times in one statement (ids, inputs and due times varied). */
function cloneFirstWork(path: string, copies: number, stepMs: number): void {
  const db = new Database(path);
  try {
    const columns = db.prepare<[string], { name: string; pk: number }>('select name, pk from pragma_table_info(?)').all('work');
    const names = columns.map((c) => c.name);
    for (const required of ['seq', 'id', 'run_at', 'input_json']) {
      check(names.includes(required), `offstage seed: the work table has no column ${required} (columns: ${names.join(', ')})`);
    }
    const varied: Record<string, string> = {
      id: "printf('bench000-0000-7000-8000-%012d', k.i)",
      input_json: "json_object('i', k.i)",
      run_at: 'w.run_at + k.i * ?',
    };
    const copied = names.filter((n) => n !== 'seq');
    const select = copied.map((n) => varied[n] ?? `w.${n}`).join(', ');
    db.prepare(
      `with recursive k(i) as (select 1 union all select i + 1 from k where i < ?)
       insert into work (${copied.join(', ')}) select ${select} from work w, k where w.seq = (select min(seq) from work)`,
    ).run(copies, stepMs);
  } finally {
    db.close();
  }
}

/**
 * Adds `count` plainjob jobs of `type` in batches of 10,000, the first batch due in `firstDelayMs`
 * and each next batch `batchStepMs` later.
 *
 * @example
 * seedPlainjob(pj, 'job', 100_000, 3_600_000, 10_000)
 */
export function seedPlainjob(pj: PlainjobQueue, type: string, count: number, firstDelayMs: number, batchStepMs: number): void {
  const batch = 10_000;
  for (let start = 0, b = 0; start < count; start += batch, b++) {
    const data = Array.from({ length: Math.min(batch, count - start) }, (_, k) => ({ i: start + k }));
    pj.queue.addMany(type, data, { delay: firstDelayMs + b * batchStepMs });
  }
}
