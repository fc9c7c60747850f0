/**
 * How rows leave PostgreSQL: each `work` or `runs` row packed by the server into one JSON array
 * (`as j`, cast to text), unpacked here into the WorkSpec and RunRecord the store hands out. One
 * text value per row parses faster than 31 typed columns, bigint arrives as a JSON number (not the
 * string `pg` makes of it), and a caller's custom type parsers for json can never change what the
 * store returns. The column order below is the only place the packed shape is spelled out.
 */
import type { BackoffKind, BackoffPolicy, Constraints, InputMerger, RunOutcome, RunRecord, Schedule, StopReason, WorkSpec, WorkState } from '@offstage/core';

/**
 * A row packed by {@link workJson} or {@link runJson}.
 *
 * @example
 * const rows = await db.query<PackedRow>(GET_WORK(db.names), [id]);
 */
export interface PackedRow {
  j: string;
}

/**
 * Packs the `work` row aliased `alias`: seq first (the insertion order), then every WorkSpec
 * column; tags and prerequisites as JSON arrays, schedule and constraints as the JSON text stored.
 *
 * @example
 * `select ${workJson('w')} from work as w where w.id = $1`
 */
export function workJson(alias: string): string {
  const c = (column: string): string => `${alias}.${column}`;
  return (
    `json_build_array(${c('seq')}, ${c('id')}, ${c('task_name')}, ${c('state')}, ${c('input_json')}, ${c('output_json')}, ` +
    `${c('progress_json')}, ${c('tags')}, ${c('priority')}, ${c('run_at')}, ${c('attempt')}, ${c('max_attempts')}, ` +
    `${c('backoff_policy')}, ${c('backoff_initial_ms')}, ${c('backoff_max_ms')}, ${c('timeout_ms')}, ${c('unique_name')}, ` +
    `${c('schedule')}, ${c('prerequisites')}, ${c('input_merger')}, ${c('constraints')}, ${c('constraint_mask')}, ` +
    `${c('min_battery')}, ${c('max_memory')}, ${c('last_error')}, ${c('created_at')}, ${c('updated_at')}, ` +
    `${c('finished_at')}, ${c('lease_owner')}, ${c('lease_expires_at')}, ${c('lease_token')})::text as j`
  );
}

/**
 * Packs the `runs` row aliased `alias`.
 *
 * @example
 * `select ${runJson('r')} from runs as r where r.work_seq = $1`
 */
export function runJson(alias: string): string {
  const c = (column: string): string => `${alias}.${column}`;
  return (
    `json_build_array(${c('id')}, ${c('work_id')}, ${c('task_name')}, ${c('attempt')}, ${c('worker_id')}, ` +
    `${c('started_at')}, ${c('ended_at')}, ${c('outcome')}, ${c('error')}, ${c('stop_reason')}, ${c('rule')})::text as j`
  );
}

type WorkTuple = [
  seq: number,
  id: string,
  taskName: string,
  state: WorkState,
  inputJson: string,
  outputJson: string | null,
  progressJson: string | null,
  tags: string[],
  priority: number,
  runAt: number,
  attempt: number,
  maxAttempts: number | null,
  backoffPolicy: BackoffKind | null,
  backoffInitialMs: number | null,
  backoffMaxMs: number | null,
  timeoutMs: number | null,
  uniqueName: string | null,
  schedule: Schedule | null,
  prerequisites: string[],
  inputMerger: InputMerger,
  constraints: Constraints | null,
  constraintMask: number,
  minBattery: number | null,
  maxMemory: number | null,
  lastError: string | null,
  createdAt: number,
  updatedAt: number,
  finishedAt: number | null,
  leaseOwner: string | null,
  leaseExpiresAt: number | null,
  leaseToken: number,
];

type RunTuple = [
  id: number,
  workId: string,
  taskName: string,
  attempt: number,
  workerId: string,
  startedAt: number,
  endedAt: number | null,
  outcome: RunOutcome | null,
  error: string | null,
  stopReason: StopReason | null,
  rule: string | null,
];

/**
 * The insertion order and WorkSpec of a row packed by {@link workJson}.
 *
 * @example
 * const { seq, spec } = unpackWork(row.j);
 */
export function unpackWork(j: string): { seq: number; spec: WorkSpec } {
  const t = JSON.parse(j) as WorkTuple;
  return {
    seq: t[0],
    spec: {
      id: t[1],
      taskName: t[2],
      state: t[3],
      inputJson: t[4],
      outputJson: t[5],
      progressJson: t[6],
      tags: t[7],
      priority: t[8],
      runAt: t[9],
      attempt: t[10],
      maxAttempts: t[11],
      backoff: unpackBackoff(t[12], t[13], t[14]),
      timeoutMs: t[15],
      uniqueName: t[16],
      schedule: t[17],
      prerequisites: t[18],
      inputMerger: t[19],
      constraints: t[20],
      constraintMask: t[21],
      minBattery: t[22],
      maxMemory: t[23],
      lastError: t[24],
      createdAt: t[25],
      updatedAt: t[26],
      finishedAt: t[27],
      leaseOwner: t[28],
      leaseExpiresAt: t[29],
      leaseToken: t[30],
    },
  };
}

/** A stored backoff: null when its columns are null (the task's default applies). */
function unpackBackoff(policy: BackoffKind | null, initialDelayMs: number | null, maxDelayMs: number | null): BackoffPolicy | null {
  return policy === null || initialDelayMs === null || maxDelayMs === null ? null : { policy, initialDelayMs, maxDelayMs };
}

/**
 * The RunRecord of a row packed by {@link runJson}.
 *
 * @example
 * const run = unpackRun(row.j);
 */
export function unpackRun(j: string): RunRecord {
  const t = JSON.parse(j) as RunTuple;
  return {
    id: t[0],
    workId: t[1],
    taskName: t[2],
    attempt: t[3],
    workerId: t[4],
    startedAt: t[5],
    endedAt: t[6],
    outcome: t[7],
    error: t[8],
    stopReason: t[9],
    rule: t[10],
  };
}

/**
 * One WorkSpec as the JSON object `json_to_recordset` reads back into a `work` row (see
 * {@link WORK_RECORDSET}); schedule and constraints travel as JSON values and are stored as `json`,
 * so their text is exactly `JSON.stringify` of what the caller gave.
 *
 * @example
 * JSON.stringify(specs.map(packSpec))
 */
export function packSpec(spec: WorkSpec, overrides: Partial<PackedSpec> = {}): PackedSpec {
  return {
    id: spec.id,
    task_name: spec.taskName,
    state: spec.state,
    input_json: spec.inputJson,
    output_json: spec.outputJson,
    progress_json: spec.progressJson,
    tags: spec.tags,
    priority: spec.priority,
    run_at: spec.runAt,
    attempt: spec.attempt,
    max_attempts: spec.maxAttempts,
    backoff_policy: spec.backoff?.policy ?? null,
    backoff_initial_ms: spec.backoff?.initialDelayMs ?? null,
    backoff_max_ms: spec.backoff?.maxDelayMs ?? null,
    timeout_ms: spec.timeoutMs,
    unique_name: spec.uniqueName,
    schedule: spec.schedule,
    constraints: spec.constraints,
    constraint_mask: spec.constraintMask,
    min_battery: spec.minBattery,
    max_memory: spec.maxMemory,
    prerequisites: spec.prerequisites,
    waiting_on: 0,
    input_merger: spec.inputMerger,
    last_error: spec.lastError,
    created_at: spec.createdAt,
    updated_at: spec.updatedAt,
    finished_at: spec.finishedAt,
    lease_owner: spec.leaseOwner,
    lease_expires_at: spec.leaseExpiresAt,
    lease_token: spec.leaseToken,
    ...overrides,
  };
}

/**
 * A `work` row as {@link packSpec} writes it for `json_to_recordset`.
 *
 * @example
 * const row: PackedSpec = packSpec(spec, { waiting_on: 2 });
 */
export interface PackedSpec {
  id: string;
  task_name: string;
  state: WorkState;
  input_json: string;
  output_json: string | null;
  progress_json: string | null;
  tags: string[];
  priority: number;
  run_at: number;
  attempt: number;
  max_attempts: number | null;
  backoff_policy: BackoffKind | null;
  backoff_initial_ms: number | null;
  backoff_max_ms: number | null;
  timeout_ms: number | null;
  unique_name: string | null;
  schedule: Schedule | null;
  constraints: Constraints | null;
  constraint_mask: number;
  min_battery: number | null;
  max_memory: number | null;
  prerequisites: string[];
  waiting_on: number;
  input_merger: InputMerger;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  lease_token: number;
}

/**
 * Every `work` column but seq, in table order: the insert list and the recordset's columns.
 *
 * @example
 * `insert into work (${WORK_COLUMNS}) select ${WORK_COLUMNS} from input`
 */
export const WORK_COLUMNS =
  'id, task_name, state, input_json, output_json, progress_json, tags, priority, run_at, attempt, max_attempts, ' +
  'backoff_policy, backoff_initial_ms, backoff_max_ms, timeout_ms, unique_name, schedule, constraints, constraint_mask, ' +
  'min_battery, max_memory, prerequisites, waiting_on, input_merger, last_error, created_at, updated_at, finished_at, ' +
  'lease_owner, lease_expires_at, lease_token';

/**
 * The column definition list that turns {@link packSpec} objects back into typed `work` rows.
 *
 * @example
 * `select * from json_to_recordset($1::json) as x (${WORK_RECORDSET})`
 */
export const WORK_RECORDSET =
  'id text, task_name text, state text, input_json text, output_json text, progress_json text, tags text[], ' +
  'priority integer, run_at bigint, attempt integer, max_attempts integer, backoff_policy text, backoff_initial_ms bigint, ' +
  'backoff_max_ms bigint, timeout_ms bigint, unique_name text, schedule json, constraints json, constraint_mask integer, ' +
  'min_battery double precision, max_memory double precision, prerequisites text[], waiting_on integer, input_merger text, ' +
  'last_error text, created_at bigint, updated_at bigint, finished_at bigint, lease_owner text, lease_expires_at bigint, ' +
  'lease_token bigint';
