import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileWatchScheduler } from '../src/schedulers/file-watch-scheduler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let scheduler: FileWatchScheduler | undefined;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'offstage-watch-'))));
afterEach(() => {
  scheduler?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('FileWatchScheduler', () => {
  it('calls onChange once for a burst of writes to the database or its -wal file', async () => {
    const db = join(dir, 'work.db');
    writeFileSync(db, '');
    let calls = 0;
    scheduler = new FileWatchScheduler({ path: db, onChange: () => calls++, debounceMs: 50 });
    scheduler.start();
    await sleep(20);
    for (let i = 0; i < 10; i++) appendFileSync(i % 2 ? db : `${db}-wal`, 'x');
    await sleep(200);
    expect(calls).toBe(1);
    appendFileSync(`${db}-wal`, 'y');
    await sleep(200);
    expect(calls).toBe(2);
  });

  it('ignores other files in the directory, and a database created after it started is still seen', async () => {
    const db = join(dir, 'later.db');
    let calls = 0;
    scheduler = new FileWatchScheduler({ path: db, onChange: () => calls++, debounceMs: 10 });
    scheduler.start();
    await sleep(20);
    writeFileSync(join(dir, 'other.db'), 'x');
    writeFileSync(join(dir, 'later.db-shm'), 'x');
    await sleep(100);
    expect(calls).toBe(0);
    writeFileSync(db, 'x');
    await sleep(100);
    expect(calls).toBeGreaterThanOrEqual(1);
  });

  it('stops watching (and drops a pending call) on stop()', async () => {
    const db = join(dir, 'work.db');
    writeFileSync(db, '');
    let calls = 0;
    scheduler = new FileWatchScheduler({ path: db, onChange: () => calls++, debounceMs: 50 });
    scheduler.start();
    expect(scheduler.isWatching).toBe(true);
    await sleep(20);
    appendFileSync(db, 'x');
    await sleep(10);
    scheduler.stop();
    expect(scheduler.isWatching).toBe(false);
    appendFileSync(db, 'y');
    await sleep(150);
    expect(calls).toBe(0);
  });
});
