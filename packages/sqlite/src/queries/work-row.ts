/**
 * How rows leave SQLite: each `work` or `runs` row packed by SQLite into one JSON array (`as j`),
 * unpacked here into the WorkSpec and RunRecord the store hands out. One text value per row is
 * several times cheaper to carry out of SQLite than a 23-column object (each column crosses the
 * native boundary on its own), and JSON numbers round-trip every double and safe integer exactly.
 * The column order below is the only place the packed shape is spelled out; keep the two in step.
 */
import type { BackoffKind, BackoffPolicy, Constraints, InputMerger, RunOutcome, RunRecord, Schedule, StopReason, WorkSpec, WorkState } from '@offstage/core';

/** A row packed by {@link WORK_JSON} or {@link RUN_JSON}. */
export interface PackedRow {
  j: string;
}

/**
 * Packs a `work` row: seq first (the insertion order), then every WorkSpec column; tags,
 * prerequisites, the schedule and the constraints are embedded as JSON values, not strings
 * (`json(null)` is null).
 *
 * @example
 * db.get<PackedRow>(`select ${WORK_JSON} from work where id = ?`, [id])
 */
export const WORK_JSON =
  'json_array(seq, id, task_name, state, input_json, output_json, progress_json, json(tags_json), priority, ' +
  'run_at, attempt, max_attempts, backoff_policy, backoff_initial_ms, backoff_max_ms, timeout_ms, last_error, ' +
  'created_at, updated_at, finished_at, lease_owner, lease_expires_at, lease_token, unique_name, json(schedule_json), ' +
  'json(prerequisites_json), input_merger, json(constraints_json), constraint_mask, min_battery, max_memory) as j';

/**
 * Packs a `runs` row.
 *
 * @example
 * db.all<PackedRow>(`select ${RUN_JSON} from runs where work_id = ?`, [id])
 */
export const RUN_JSON =
  'json_array(id, work_id, task_name, attempt, worker_id, started_at, ended_at, outcome, error, stop_reason, rule) as j';

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
  lastError: string | null,
  createdAt: number,
  updatedAt: number,
  finishedAt: number | null,
  leaseOwner: string | null,
  leaseExpiresAt: number | null,
  leaseToken: number,
  uniqueName: string | null,
  schedule: Schedule | null,
  prerequisites: string[],
  inputMerger: InputMerger,
  constraints: Constraints | null,
  constraintMask: number,
  minBattery: number | null,
  maxMemory: number | null,
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
 * The insertion order and WorkSpec of a row packed by {@link WORK_JSON}.
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
      lastError: t[16],
      createdAt: t[17],
      updatedAt: t[18],
      finishedAt: t[19],
      leaseOwner: t[20],
      leaseExpiresAt: t[21],
      leaseToken: t[22],
      uniqueName: t[23],
      schedule: t[24],
      prerequisites: t[25],
      inputMerger: t[26],
      constraints: t[27],
      constraintMask: t[28],
      minBattery: t[29],
      maxMemory: t[30],
    },
  };
}

/** A stored backoff: null when its columns are null (the task's default applies). */
function unpackBackoff(policy: BackoffKind | null, initialDelayMs: number | null, maxDelayMs: number | null): BackoffPolicy | null {
  return policy === null || initialDelayMs === null || maxDelayMs === null ? null : { policy, initialDelayMs, maxDelayMs };
}

/**
 * The RunRecord of a row packed by {@link RUN_JSON}.
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
