/**
 * How rows leave PostgreSQL: each `work` or `runs` row packed by the server into one JSON array
 * (`as j`, cast to text) in core's packed order, unpacked by core's `unpackWork` / `unpackRun`. One
 * text value per row parses faster than 31 typed columns, bigint arrives as a JSON number (not the
 * string `pg` makes of it), and a caller's custom type parsers for json can never change what the
 * store returns. Rows going in travel the other way, as `json_to_recordset` objects (packSpec).
 */
import { PACKED_RUN_COLUMNS, PACKED_WORK_COLUMNS, type BackoffKind, type Constraints, type InputMerger, type Schedule, type WorkSpec, type WorkState } from '@offstage/core';

export { unpackRun, unpackWork, type PackedRow } from '@offstage/core';

/**
 * Packs the `work` row aliased `alias`: seq first (the insertion order), then every WorkSpec
 * column; tags and prerequisites as JSON arrays, schedule and constraints as the JSON text stored.
 *
 * @example
 * `select ${workJson('w')} from work as w where w.id = $1`
 */
export function workJson(alias: string): string {
  return `json_build_array(${PACKED_WORK_COLUMNS.map((c) => `${alias}.${c}`).join(', ')})::text as j`;
}

/**
 * Packs the `runs` row aliased `alias`.
 *
 * @example
 * `select ${runJson('r')} from runs as r where r.work_seq = $1`
 */
export function runJson(alias: string): string {
  return `json_build_array(${PACKED_RUN_COLUMNS.map((c) => `${alias}.${c}`).join(', ')})::text as j`;
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
