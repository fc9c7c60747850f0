/**
 * The packed-row codec SQL stores share: the database packs each `work` or `runs` row into one
 * JSON array (one text value per row is cheaper to carry out of the database than dozens of typed
 * columns, and JSON numbers round-trip every safe integer exactly), and these functions unpack it
 * into the WorkSpec and RunRecord the contract hands out. The column lists below are the only place
 * the packed order is spelled out; each store builds its `json_array(…)` from them.
 */
import type { BackoffKind, BackoffPolicy, Constraints, InputMerger, RunOutcome, RunRecord, Schedule, StopReason, WorkSpec, WorkState } from '../model/work.js';

/**
 * A row as a store's query returns it: the packed JSON array in column `j`.
 *
 * @example
 * db.get<PackedRow>(`select ${packedWork} from work where id = ?`, [id])
 */
export interface PackedRow {
  j: string;
}

/**
 * The `work` columns in packed order: seq first (the insertion order), then every WorkSpec field.
 * `tags`, `prerequisites`, `schedule` and `constraints` must be packed as JSON values (arrays,
 * objects or null), not as strings; a store whose columns hold JSON text wraps them accordingly.
 */
export const PACKED_WORK_COLUMNS = [
  'seq', 'id', 'task_name', 'state', 'input_json', 'output_json', 'progress_json', 'tags', 'priority', 'run_at',
  'attempt', 'max_attempts', 'backoff_policy', 'backoff_initial_ms', 'backoff_max_ms', 'timeout_ms', 'unique_name',
  'schedule', 'prerequisites', 'input_merger', 'constraints', 'constraint_mask', 'min_battery', 'max_memory',
  'last_error', 'created_at', 'updated_at', 'finished_at', 'lease_owner', 'lease_expires_at', 'lease_token',
] as const;

/** The `runs` columns in packed order. */
export const PACKED_RUN_COLUMNS = [
  'id', 'work_id', 'task_name', 'attempt', 'worker_id', 'started_at', 'ended_at', 'outcome', 'error', 'stop_reason', 'rule',
] as const;

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
 * The insertion order and WorkSpec of a row packed in {@link PACKED_WORK_COLUMNS} order.
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
 * The RunRecord of a row packed in {@link PACKED_RUN_COLUMNS} order.
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
