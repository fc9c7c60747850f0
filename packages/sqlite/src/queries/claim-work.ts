/**
 * claimWork: takes up to `limit` due items for some task names, makes them `running` under a new
 * lease and fencing token, and opens a journal row for each, all in one `begin immediate`
 * transaction. It must never scan: every read is a bounded range of `work_claim_idx`, however many
 * items are due or waiting.
 */
import type { ClaimedWork, ClaimOptions, WorkSpec } from '@offstage/core';
import type { SqliteDriver, SqliteValue } from '../driver/sqlite-driver.js';
import { INDEXED_PRIORITY_RANKS, OTHER_PRIORITY_PREDICATE } from '../migrations.js';
import { unpackWork, WORK_JSON, type PackedRow } from './work-row.js';

/**
 * Task names per statement: each name adds five `union all` arms, and SQLite allows at most 500
 * terms in one compound select.
 */
export const TASK_NAMES_PER_STATEMENT = 90;

/**
 * SQL text by `${taskNameCount}:${limit}`, so each shape is built once and the driver's statement
 * cache sees the same string object (whose hash V8 keeps). Cleared if a caller varies shapes wildly.
 */
const claimSqlCache = new Map<string, string>();
const candidateSqlCache = new Map<string, string>();
const MAX_CACHED_SHAPES = 512;

/*
 * Purpose: open one journal row per claimed item; returns only the new ids (the store knows the
 * rest of each row, and every returned column costs a trip across the native boundary).
 * Parameters: worker_id, started_at, JSON array of the claimed items' seq in claim order.
 *
 * json_each drives the loop (work is looked up by rowid), so rows go in array order and run ids
 * ascend in claim order; nothing depends on that, so no `order by` (it would add a sort).
 */
const INSERT_RUNS = `
insert into runs (work_seq, work_id, task_name, attempt, worker_id, started_at)
select w.seq, w.id, w.task_name, w.attempt, ?, ?
from json_each(?) as ids join work as w on w.seq = ids.value
returning id, work_id`;

/*
 * Purpose: claim the items chosen by a multi-statement claim (more task names than one statement holds).
 * Parameters: lease_owner, lease_expires_at, updated_at, JSON array of seq.
 */
const CLAIM_BY_SEQ = `
update work
set state = 'running', attempt = attempt + 1, lease_token = lease_token + 1,
    lease_owner = ?, lease_expires_at = ?, updated_at = ?
where seq in (select value from json_each(?)) and state = 'enqueued'
returning ${WORK_JSON}`;

/**
 * Claims due work for `options.taskNames`, best first: priority high first, then `runAt`, then
 * insertion order.
 *
 * @example
 * const claimed = claimWork(db, { now, workerId: 'w1', leaseMs: 30_000, limit: 8, taskNames: ['email'] });
 */
export function claimWork(db: SqliteDriver, options: ClaimOptions): ClaimedWork[] {
  const { now, workerId, leaseMs, taskNames } = options;
  // The limit is written into SQL text, so it must be a whole number; -1 is SQLite's "no limit".
  const limit = options.limit === Infinity ? -1 : Math.floor(options.limit);
  if (!(limit > 0 || limit === -1) || taskNames.length === 0) return [];
  const names = [...new Set(taskNames)];
  const leaseExpiresAt = now + leaseMs;
  return db.transaction(() => {
    let rows: PackedRow[];
    if (names.length <= TASK_NAMES_PER_STATEMENT) {
      // The common case: choose and claim in one statement.
      rows = db.all<PackedRow>(claimSql(names.length, limit), [workerId, leaseExpiresAt, now, ...dueParams(names, now)]);
    } else {
      // Many task names: take the best `limit` of each group, keep the best `limit` overall.
      const candidates: Candidate[] = [];
      for (let i = 0; i < names.length; i += TASK_NAMES_PER_STATEMENT) {
        const group = names.slice(i, i + TASK_NAMES_PER_STATEMENT);
        candidates.push(...db.all<Candidate>(candidateSql(group.length, limit), dueParams(group, now)));
      }
      const chosen = candidates.sort(claimOrder).slice(0, limit === -1 ? undefined : limit).map((c) => c.seq);
      rows = db.all<PackedRow>(CLAIM_BY_SEQ, [workerId, leaseExpiresAt, now, JSON.stringify(chosen)]);
    }
    if (rows.length === 0) return [];
    // `returning` gives rows in no promised order; the contract hands them out in claim order.
    const claimed = rows.map((row) => unpackWork(row.j)).sort((a, b) => specOrder(a.spec, b.spec) || a.seq - b.seq);
    const runIds = db.all<{ id: number; work_id: string }>(INSERT_RUNS, [workerId, now, JSON.stringify(claimed.map((c) => c.seq))]);
    const runIdByWork = new Map(runIds.map((r) => [r.work_id, r.id]));
    return claimed.map(({ spec }) => {
      const id = runIdByWork.get(spec.id);
      if (id === undefined) throw new Error(`Claimed work "${spec.id}" got no journal row; this is a bug in SqliteStore.`);
      const run = { id, workId: spec.id, taskName: spec.taskName, attempt: spec.attempt, workerId, startedAt: now, endedAt: null, outcome: null, error: null, stopReason: null };
      return { spec, run };
    });
  });
}

interface Candidate {
  seq: number;
  priority: number;
  run_at: number;
}

function claimOrder(a: Candidate, b: Candidate): number {
  return b.priority - a.priority || a.run_at - b.run_at || a.seq - b.seq;
}

function specOrder(a: WorkSpec, b: WorkSpec): number {
  return b.priority - a.priority || a.runAt - b.runAt;
}

/** The parameters of {@link dueArms} for `names`: (task name, now) per arm. */
function dueParams(names: readonly string[], now: number): SqliteValue[] {
  const params: SqliteValue[] = [];
  for (const name of names) {
    for (let arm = 0; arm <= INDEXED_PRIORITY_RANKS.length; arm++) params.push(name, now);
  }
  return params;
}

/*
 * The due items of `count` task names in claim order, as a compound select SQLite runs as a merge:
 * one arm per (task name, priority rank), each an index range `task_name = ? and priority = R and
 * run_at <= now` read in (run_at, seq) order, plus one arm per name for any other priority value.
 * Each arm is already sorted, so the merge stops after `limit` rows: the cost is bounded by the
 * number of arms and the limit, never by how many items wait or are due.
 * Parameters: (task_name, now) for each arm, in order.
 */
function dueArms(count: number, limit: number): string {
  const arms: string[] = [];
  for (let i = 0; i < count; i++) {
    for (const rank of INDEXED_PRIORITY_RANKS) {
      arms.push(`select seq, priority, run_at from work where state = 'enqueued' and task_name = ? and priority = ${rank} and run_at <= ?`);
    }
    arms.push(`select seq, priority, run_at from work where state = 'enqueued' and ${OTHER_PRIORITY_PREDICATE} and task_name = ? and run_at <= ?`);
  }
  // The limit is written into the text: a bound LIMIT makes SQLite re-prepare the statement on
  // every run (it is a planner input), which costs more than the whole claim.
  return `${arms.join('\nunion all\n')}\norder by priority desc, run_at, seq\nlimit ${limit}`;
}

/*
 * Purpose: choose and claim the best `limit` due items of `count` task names.
 * Parameters: lease_owner, lease_expires_at, updated_at, then (task_name, now) per arm of dueArms.
 */
function claimSql(count: number, limit: number): string {
  const key = `${count}:${limit}`;
  let sql = claimSqlCache.get(key);
  if (sql === undefined) {
    sql = `
update work
set state = 'running', attempt = attempt + 1, lease_token = lease_token + 1,
    lease_owner = ?, lease_expires_at = ?, updated_at = ?
where seq in (select seq from (${dueArms(count, limit)}))
returning ${WORK_JSON}`;
    if (claimSqlCache.size >= MAX_CACHED_SHAPES) claimSqlCache.clear();
    claimSqlCache.set(key, sql);
  }
  return sql;
}

/*
 * Purpose: the best `limit` due items of one group of task names, without claiming them.
 * Parameters: (task_name, now) per arm of dueArms.
 */
function candidateSql(count: number, limit: number): string {
  const key = `${count}:${limit}`;
  let sql = candidateSqlCache.get(key);
  if (sql === undefined) {
    sql = dueArms(count, limit);
    if (candidateSqlCache.size >= MAX_CACHED_SHAPES) candidateSqlCache.clear();
    candidateSqlCache.set(key, sql);
  }
  return sql;
}
