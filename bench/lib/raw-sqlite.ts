/**
 * The raw better-sqlite3 baseline: the least a durable SQLite queue must do, with nothing else.
 * One `jobs` table with the index a due-ordered claim needs, the same pragmas as the offstage
 * store (WAL, the case's `synchronous`, a busy timeout), and prepared statements for insert,
 * batch claim and complete. Every write is its own `begin immediate` transaction, as in a queue.
 */
import Database from 'better-sqlite3';
import type { Synchronous } from './harness.js';

/** The claim batch size of the raw drain and latency baselines: the engine's concurrency. */
export const RAW_CLAIM_BATCH = 8;

const SCHEMA = `
  create table jobs (
    id integer primary key,
    task text not null,
    payload text not null,
    state text not null default 'queued',
    priority integer not null default 0,
    run_at integer not null
  );
  create index jobs_due on jobs (state, priority desc, run_at);
`;

/** A raw queue over one better-sqlite3 connection. */
export interface RawQueue {
  db: Database.Database;
  /** Inserts one job in its own transaction; returns its id. */
  insert(task: string, payload: string, runAt: number): number;
  /** Inserts many jobs in one transaction. */
  insertMany(task: string, payloads: readonly string[], runAt: number): void;
  /** Claims up to `limit` due jobs (priority, then run_at) in one transaction; returns their ids. */
  claim(now: number, limit: number): number[];
  /** Marks one running job done in its own transaction; false if it was not running. */
  complete(id: number): boolean;
  /** Jobs per state. */
  counts(): Record<string, number>;
  close(): void;
}

/**
 * Opens a raw queue database at `path` with WAL and the given `synchronous`.
 *
 * @example
 * const q = openRawQueue(dbPath, 'NORMAL')
 * q.insert('noop', '{}', Date.now())
 */
export function openRawQueue(path: string, synchronous: Synchronous): RawQueue {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const insertStmt = db.prepare<[string, string, number]>('insert into jobs (task, payload, run_at) values (?, ?, ?)');
  const claimStmt = db.prepare<[number, number], { id: number }>(
    `update jobs set state = 'running' where id in (
       select id from jobs where state = 'queued' and run_at <= ? order by priority desc, run_at limit ?
     ) returning id`,
  );
  const completeStmt = db.prepare<[number]>(`update jobs set state = 'done' where id = ? and state = 'running'`);

  const insertTx = db.transaction((task: string, payload: string, runAt: number) => Number(insertStmt.run(task, payload, runAt).lastInsertRowid));
  const insertManyTx = db.transaction((task: string, payloads: readonly string[], runAt: number) => {
    for (const p of payloads) insertStmt.run(task, p, runAt);
  });
  const claimTx = db.transaction((now: number, limit: number) => claimStmt.all(now, limit).map((r) => r.id));
  const completeTx = db.transaction((id: number) => completeStmt.run(id).changes === 1);

  return {
    db,
    insert: (task, payload, runAt) => insertTx.immediate(task, payload, runAt),
    insertMany: (task, payloads, runAt) => insertManyTx.immediate(task, payloads, runAt),
    claim: (now, limit) => claimTx.immediate(now, limit),
    complete: (id) => completeTx.immediate(id),
    counts: () => Object.fromEntries(db.prepare<[], { state: string; n: number }>('select state, count(*) n from jobs group by state').all().map((r) => [r.state, r.n])),
    close: () => db.close(),
  };
}

/**
 * The SQLite library version linked into better-sqlite3 (the one the offstage store uses too).
 *
 * @example
 * sqliteVersion() // '3.53.2'
 */
export function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return db.prepare<[], { v: string }>('select sqlite_version() as v').get()!.v;
  } finally {
    db.close();
  }
}
