/**
 * The PostgreSQL schema, as numbered migrations compiled into this module (nothing reads a file at
 * runtime). Migrations are append-only once released: never edit or reorder one, add the next.
 * Each is written against the placeholder `:OFFSTAGE_SCHEMA`, replaced by the store's quoted schema
 * name, so one database can hold several independent offstage schemas. `schema.sql` in this
 * package is the pg_dump of the result; a test keeps the two in step.
 */

/**
 * One schema step: its number (recorded in `<schema>.migrations`), a name, and its SQL.
 *
 * @example
 * const first: Migration = MIGRATIONS[0]!; // { version: 1, name: 'work, tags, chains and run journal', sql: '…' }
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The placeholder every migration writes where the store's (quoted) schema name goes.
 *
 * @example
 * migration.sql.split(SCHEMA_PLACEHOLDER).join('"offstage"')
 */
export const SCHEMA_PLACEHOLDER = ':OFFSTAGE_SCHEMA';

/**
 * Every migration, in order. Append only.
 *
 * @example
 * MIGRATIONS.at(-1)?.version // the schema version this code writes
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'work, tags, chains and run journal',
    sql: `
-- Work items: one row per WorkSpec. seq is the insertion order (the claim and query tie-break).
-- Times are epoch milliseconds (the store never reads a clock; callers pass now).
create table :OFFSTAGE_SCHEMA.work (
  seq bigint generated always as identity primary key,
  id text not null,
  task_name text not null,
  state text not null,
  -- JSON as the caller encoded it: stores never parse input, output or progress.
  input_json text not null,
  output_json text,
  progress_json text,
  -- Tags as given, in order; work_tags indexes them.
  tags text[] not null default '{}',
  priority integer not null,
  run_at bigint not null,
  attempt integer not null,
  -- Null: the task's default applies. Backoff is all three columns or none of them.
  max_attempts integer,
  backoff_policy text,
  backoff_initial_ms bigint,
  backoff_max_ms bigint,
  -- Null: the task's default; 0: no timeout.
  timeout_ms bigint,
  unique_name text,
  -- The periodic Schedule and the Constraints, opaque to the store: json keeps their text as given.
  schedule json,
  constraints json,
  -- The claim filter core derives from constraints: one bit per boolean constraint, two thresholds.
  constraint_mask integer not null default 0,
  min_battery double precision,
  max_memory double precision,
  -- Prerequisite ids as given, in order (the merge order of their outputs); work_deps indexes them.
  prerequisites text[] not null default '{}',
  -- Blocked items: how many distinct prerequisites have not succeeded yet. A prerequisite's
  -- successful settle decrements it under the row lock and releases the item at zero, so two
  -- prerequisites finishing at once can never both miss the release.
  waiting_on integer not null default 0,
  input_merger text not null,
  last_error text,
  created_at bigint not null,
  updated_at bigint not null,
  finished_at bigint,
  lease_owner text,
  lease_expires_at bigint,
  -- Fencing token: every claim, cancel and reconcile increments it; owner-side writes must present it.
  lease_token bigint not null default 0,
  constraint work_id_key unique (id),
  constraint work_state_check check (state in ('blocked', 'enqueued', 'running', 'succeeded', 'failed', 'cancelled'))
);

-- Claims: enqueued items in claim order (priority high first, then run_at, then insertion), so a
-- claim reads one bounded range (priority = p and run_at <= now) per distinct priority, in order,
-- and stops at its limit: no sort, and never a walk over future work.
create index work_claim_idx on :OFFSTAGE_SCHEMA.work (priority desc, run_at, seq) where state = 'enqueued';

-- Wake-ups: the earliest run_at of a task's enqueued items is the first entry of its range.
create index work_wake_idx on :OFFSTAGE_SCHEMA.work (task_name, run_at) where state = 'enqueued';

-- Lease expiry of running items (reconcile, wake-ups); as small as the number running.
create index work_lease_idx on :OFFSTAGE_SCHEMA.work (lease_expires_at) where state = 'running';

-- Running items per task, for claims under a per-task limit.
create index work_running_task_idx on :OFFSTAGE_SCHEMA.work (task_name) where state = 'running';

-- Unique work: all items of one name, oldest first.
create index work_unique_idx on :OFFSTAGE_SCHEMA.work (unique_name, seq) where unique_name is not null;

-- Newest-first listing (read backwards); created_at never changes.
create index work_created_idx on :OFFSTAGE_SCHEMA.work (created_at, seq);

-- Pruning finished work by age.
create index work_finished_idx on :OFFSTAGE_SCHEMA.work (finished_at) where finished_at is not null;

-- Tags, one row per (item, tag), for querying and cancelling by tag. A table rather than an index on
-- work.tags: work rows are rewritten by every state change, these rows only by enqueue and update.
create table :OFFSTAGE_SCHEMA.work_tags (
  work_seq bigint not null references :OFFSTAGE_SCHEMA.work (seq) on delete cascade,
  tag text not null,
  primary key (work_seq, tag)
);

create index work_tags_tag_idx on :OFFSTAGE_SCHEMA.work_tags (tag);

-- Chains: one row per (dependent, prerequisite). work_deps_prerequisite_idx finds the dependents of
-- an item that just finished, so the chain rule costs one seek per item it touches.
create table :OFFSTAGE_SCHEMA.work_deps (
  work_seq bigint not null references :OFFSTAGE_SCHEMA.work (seq) on delete cascade,
  prerequisite_seq bigint not null references :OFFSTAGE_SCHEMA.work (seq) on delete cascade,
  primary key (work_seq, prerequisite_seq)
);

create index work_deps_prerequisite_idx on :OFFSTAGE_SCHEMA.work_deps (prerequisite_seq);

-- The run journal: one row per attempt, opened by a claim and closed by settle, cancel or reconcile.
-- No foreign key to work: prune deletes an item's rows itself (it counts them), and a claim's
-- insert should not pay for a key check on the row it has just locked. Closing a row writes only
-- columns no index covers, and fillfactor leaves room on each page, so the close is a HOT update
-- (no index entry written), once per attempt.
create table :OFFSTAGE_SCHEMA.runs (
  id bigint generated always as identity primary key,
  work_seq bigint not null,
  work_id text not null,
  task_name text not null,
  attempt integer not null,
  worker_id text not null,
  started_at bigint not null,
  ended_at bigint,
  outcome text,
  error text,
  stop_reason text,
  -- The retry rule that decided what followed a failure, or null.
  rule text
) with (fillfactor = 80);

-- An item's attempts in order (history, last run, closing open rows).
create index runs_work_idx on :OFFSTAGE_SCHEMA.runs (work_seq, id);

-- Newest-first journal listing, and pruning by age (ended_at >= started_at).
create index runs_started_idx on :OFFSTAGE_SCHEMA.runs (started_at, id);

-- A task's attempts, newest last: recent successes for typicalDurations (not a partial index on
-- outcome, which would make closing a row a non-HOT update).
create index runs_task_idx on :OFFSTAGE_SCHEMA.runs (task_name, started_at, id);
`,
  },
];

/**
 * The schema version this code writes: the last migration's number.
 *
 * @example
 * if (stored > SCHEMA_VERSION) throw new Error('written by a newer offstage')
 */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
