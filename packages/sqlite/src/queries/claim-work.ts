/**
 * claimWork: takes up to `limit` due items for some task names (at most `limit - running` of a
 * task with a limit), makes them `running` under a new lease and fencing token, and opens a journal
 * row for each, all in one `begin immediate` transaction. It must never scan the queue: every read
 * is a range of `work_claim_idx` that stops after `limit` claimable items, however many items are
 * due or waiting; a per-task limit adds a walk of `work_lease_idx`, which holds running items only.
 * The one thing a claim reads past is due work of the same task whose constraints the device does
 * not meet right now (one row check each): such work exists only while the device lacks something.
 */
import { CLAIM_RANKS, type ClaimedWork, type ClaimOptions, type DeviceConditions, type WorkSpec } from '@offstage/core';
import type { SqliteDriver, SqliteValue } from '../driver/sqlite-driver.js';
import { OTHER_PRIORITY_PREDICATE } from '../migrations.js';
import { unpackWork, WORK_JSON, type PackedRow } from './work-row.js';

/**
 * Task names per statement: each name adds one `union all` arm per claim rank plus one for other
 * priorities (six), and SQLite allows at most 500 terms in one compound select.
 */
export const TASK_NAMES_PER_STATEMENT = 80;

/**
 * SQL text by `${taskNameCount}:${limit}:${filtered}`, so each shape is built once and the
 * driver's statement cache sees the same string object (whose hash V8 keeps). Cleared if a caller
 * varies shapes wildly.
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

/**
 * The WHERE terms of core's `constraintsMet`: the device conditions meet the row's constraints.
 * Checked on the table row (the claim index cannot hold these columns: they would sit between
 * run_at and seq and break the (run_at, seq) order the claim's merge reads without a sort).
 * Parameters: unmet bits, battery level, memory in use.
 */
export const MEETS_CONDITIONS = '(constraint_mask & ?) = 0 and (min_battery is null or min_battery <= ?) and (max_memory is null or max_memory > ?)';

/*
 * Purpose: count a task's running items, up to `cap` (all a claim needs to know), walking the
 * entries of work_lease_idx (running items only; it covers task_name, so no table rows are read).
 * Parameters: task_name, cap.
 */
const COUNT_RUNNING = `select count(*) as n from (select 1 from work where state = 'running' and task_name = ? limit ?)`;

/*
 * Purpose: claim the items chosen by a multi-statement claim (more task names than one statement
 * holds, or a task under its limit).
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
  if (!isClaimable(options)) return [];
  return db.transaction(() => applyClaim(db, options));
}

/**
 * Whether a claim with these options can take anything at all (a positive limit, some task names);
 * when not, it needs no transaction.
 *
 * @example
 * if (isClaimable(options)) db.transaction(() => applyClaim(db, options));
 */
export function isClaimable(options: ClaimOptions): boolean {
  const limit = options.limit >= Number.MAX_SAFE_INTEGER ? -1 : Math.floor(options.limit);
  return (limit > 0 || limit === -1) && options.taskNames.length > 0;
}

/**
 * The body of {@link claimWork}, inside a `begin immediate` transaction the caller opened (and
 * commits or rolls back): the store's group commit runs a claim in the same transaction as the
 * settles queued before it this way.
 *
 * @example
 * db.transaction(() => applyClaim(db, options));
 */
export function applyClaim(db: SqliteDriver, options: ClaimOptions): ClaimedWork[] {
  const { now, workerId, leaseMs, taskNames } = options;
  // The limit is written into SQL text, so it must be a whole number; -1 is SQLite's "no limit".
  const limit = options.limit >= Number.MAX_SAFE_INTEGER ? -1 : Math.floor(options.limit);
  if (!(limit > 0 || limit === -1) || taskNames.length === 0) return [];
  const leaseExpiresAt = now + leaseMs;
  // Counted inside the claim's write transaction: were the count read first and the claim made
  // in a second transaction, two processes could both count 1 running of a task limited to 2 and
  // both claim one more, leaving 3 running. Under `begin immediate` no other claim can commit
  // between this count and the update below.
  const { free, room } = roomPerTask([...new Set(taskNames)], options.taskLimits, limit, db);
  const { conditions } = options;
  const filtered = conditions !== undefined;
  let rows: PackedRow[];
  if (room.size === 0 && free.length <= TASK_NAMES_PER_STATEMENT) {
    // The common case: choose and claim in one statement.
    if (free.length === 0) return [];
    rows = db.all<PackedRow>(claimSql(free.length, limit, filtered), [workerId, leaseExpiresAt, now, ...dueParams(free, now, conditions)]);
  } else {
    // Many task names, or limited tasks: the best `limit` of each group of free names and the
    // best `room` of each limited task, merged here; the best `limit` of those are claimed.
    const candidates: Candidate[] = [];
    for (let i = 0; i < free.length; i += TASK_NAMES_PER_STATEMENT) {
      const group = free.slice(i, i + TASK_NAMES_PER_STATEMENT);
      candidates.push(...db.all<Candidate>(candidateSql(group.length, limit, filtered), dueParams(group, now, conditions)));
    }
    for (const [name, n] of room) candidates.push(...db.all<Candidate>(candidateSql(1, n, filtered), dueParams([name], now, conditions)));
    const chosen = candidates.sort(claimOrder).slice(0, limit === -1 ? undefined : limit).map((c) => c.seq);
    if (chosen.length === 0) return [];
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
    const run = { id, workId: spec.id, taskName: spec.taskName, attempt: spec.attempt, workerId, startedAt: now, endedAt: null, outcome: null, error: null, stopReason: null, rule: null };
    return { spec, run };
  });
}

/**
 * Splits `names` into names claimed freely and limited names with how many more of each may start
 * (`floor(limit) - running`, counted store-wide). A task with no room is left out; one whose room
 * covers the whole claim (`room >= claimLimit`) is as good as free. A limit that is not a number
 * or is below 1 leaves no room; Infinity (or any limit past the safe integers) is no limit.
 */
function roomPerTask(
  names: readonly string[],
  taskLimits: Readonly<Record<string, number>> | undefined,
  claimLimit: number,
  db: SqliteDriver,
): { free: string[]; room: Map<string, number> } {
  const room = new Map<string, number>();
  if (taskLimits === undefined) return { free: [...names], room };
  const free: string[] = [];
  for (const name of names) {
    const max = Object.hasOwn(taskLimits, name) ? taskLimits[name] : undefined;
    // A limit no store could count up to is no limit (and must not reach SQL as a float).
    if (max === undefined || max >= Number.MAX_SAFE_INTEGER) {
      free.push(name);
      continue;
    }
    const cap = Number.isFinite(max) ? Math.floor(max) : 0;
    if (cap <= 0) continue;
    const running = db.get<{ n: number }>(COUNT_RUNNING, [name, cap])?.n ?? 0;
    const n = cap - running;
    if (n <= 0) continue;
    if (claimLimit !== -1 && n >= claimLimit) free.push(name);
    else room.set(name, n);
  }
  return { free, room };
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

/** The parameters of {@link dueArms} for `names`: (task name, now, then the conditions if any) per arm. */
function dueParams(names: readonly string[], now: number, conditions: DeviceConditions | undefined): SqliteValue[] {
  const params: SqliteValue[] = [];
  for (const name of names) {
    for (let arm = 0; arm <= CLAIM_RANKS.length; arm++) {
      params.push(name, now);
      if (conditions !== undefined) params.push(conditions.unmet, conditions.battery, conditions.memory);
    }
  }
  return params;
}

/*
 * The due items of `count` task names in claim order, as a compound select SQLite runs as a merge:
 * one arm per (task name, claim rank), each an index range `task_name = ? and priority = R and
 * run_at <= now` read in (run_at, seq) order, plus one arm per name for any other priority value.
 * Each arm is already sorted, so the merge stops after `limit` rows: the cost is bounded by the
 * number of arms and the limit, never by how many items wait or are due. When `filtered`, each arm
 * also keeps only items the device conditions meet (MEETS_CONDITIONS, checked on the row).
 * Parameters: (task_name, now, and when filtered unmet, battery, memory) for each arm, in order.
 */
function dueArms(count: number, limit: number, filtered: boolean): string {
  const meets = filtered ? ` and ${MEETS_CONDITIONS}` : '';
  const arms: string[] = [];
  for (let i = 0; i < count; i++) {
    for (const rank of CLAIM_RANKS) {
      arms.push(`select seq, priority, run_at from work where state = 'enqueued' and task_name = ? and priority = ${rank} and run_at <= ?${meets}`);
    }
    // Named: with the predicate written as `<>` terms, SQLite's planner may otherwise pick
    // work_claim_idx, whose range for a task holds every enqueued item of every rank.
    arms.push(`select seq, priority, run_at from work indexed by work_claim_other_idx where state = 'enqueued' and ${OTHER_PRIORITY_PREDICATE} and task_name = ? and run_at <= ?${meets}`);
  }
  // The limit is written into the text: a bound LIMIT makes SQLite re-prepare the statement on
  // every run (it is a planner input), which costs more than the whole claim.
  return `${arms.join('\nunion all\n')}\norder by priority desc, run_at, seq\nlimit ${limit}`;
}

/*
 * Purpose: choose and claim the best `limit` due items of `count` task names.
 * Parameters: lease_owner, lease_expires_at, updated_at, then dueArms' per arm.
 */
function claimSql(count: number, limit: number, filtered: boolean): string {
  const key = `${count}:${limit}:${filtered}`;
  let sql = claimSqlCache.get(key);
  if (sql === undefined) {
    sql = `
update work
set state = 'running', attempt = attempt + 1, lease_token = lease_token + 1,
    lease_owner = ?, lease_expires_at = ?, updated_at = ?
where seq in (select seq from (${dueArms(count, limit, filtered)}))
returning ${WORK_JSON}`;
    if (claimSqlCache.size >= MAX_CACHED_SHAPES) claimSqlCache.clear();
    claimSqlCache.set(key, sql);
  }
  return sql;
}

/*
 * Purpose: the best `limit` due items of one group of task names, without claiming them.
 * Parameters: dueArms' per arm.
 */
function candidateSql(count: number, limit: number, filtered: boolean): string {
  const key = `${count}:${limit}:${filtered}`;
  let sql = candidateSqlCache.get(key);
  if (sql === undefined) {
    sql = dueArms(count, limit, filtered);
    if (candidateSqlCache.size >= MAX_CACHED_SHAPES) candidateSqlCache.clear();
    candidateSqlCache.set(key, sql);
  }
  return sql;
}
