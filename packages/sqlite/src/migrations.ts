/**
 * The SQLite schema, as numbered migrations compiled into this module (nothing reads a file at
 * runtime, so it works on mobile too). Migrations are append-only once released: never edit or
 * reorder one, add the next. `pragma user_version` records how many have been applied.
 * `schema.sql` in this package is the dump of the result; a test keeps the two in step.
 */

/** One schema step: its number (the `user_version` after it runs), a name, and its SQL. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Marks a database as offstage's (`pragma application_id`, the ASCII bytes "ofst"), so the store
 * refuses to add its tables to another application's SQLite file.
 */
export const OFFSTAGE_APPLICATION_ID = 0x6f667374;

/**
 * The `where` term of `work_claim_other_idx`: every priority outside core's CLAIM_RANKS, which the
 * claim and wake-up queries seek one rank at a time. Repeated verbatim by the queries that use it
 * (SQLite uses a partial index only when the query states its predicate), and written out rather
 * than built from CLAIM_RANKS because it must match the text of a released migration forever; a
 * test checks it against CLAIM_RANKS.
 *
 * A chain of `<>`, not `not in (...)`: SQLite evaluates a partial index's predicate for every row
 * written, and an IN list makes it build a temporary b-tree of the list each time, which measured
 * about 1.7 µs per inserted item (a quarter of an insert).
 */
export const OTHER_PRIORITY_PREDICATE = 'priority <> 0 and priority <> 10 and priority <> 20 and priority <> 30 and priority <> 40';

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
create table work (
  seq integer primary key,
  id text not null unique,
  task_name text not null,
  state text not null,
  input_json text not null,
  output_json text,
  progress_json text,
  tags_json text not null default '[]',
  priority integer not null,
  run_at integer not null,
  attempt integer not null,
  -- Null: the task's default applies. Backoff is all three columns or none of them.
  max_attempts integer,
  backoff_policy text,
  backoff_initial_ms integer,
  backoff_max_ms integer,
  -- Null: the task's default; 0: no timeout.
  timeout_ms integer,
  unique_name text,
  -- The periodic Schedule as JSON (opaque to the store), or null for one-time work.
  schedule_json text,
  -- Prerequisite ids as given, in order (the merge order of their outputs); work_deps indexes them.
  prerequisites_json text not null default '[]',
  input_merger text not null default 'overwrite',
  -- Constraints as requested (JSON, opaque to the store), and the filter key core derives from
  -- them: a bit per boolean constraint, a battery floor and a memory ceiling (fractions).
  constraints_json text,
  constraint_mask integer not null default 0,
  min_battery real,
  max_memory real,
  last_error text,
  created_at integer not null,
  updated_at integer not null,
  finished_at integer,
  lease_owner text,
  lease_expires_at integer,
  lease_token integer not null default 0
);

-- Claims and wake-ups: one bounded range per (task name, claim rank): run_at <= now, in
-- (run_at, seq) order, so neither a million future items nor a million due ones make a claim scan.
create index work_claim_idx on work (task_name, priority, run_at) where state = 'enqueued';

-- The same for priorities outside the five ranks (empty unless a caller stores its own numbers);
-- priority desc so the claim's merge reads it in claim order without a sort.
create index work_claim_other_idx on work (task_name, priority desc, run_at)
  where state = 'enqueued' and priority <> 0 and priority <> 10 and priority <> 20 and priority <> 30 and priority <> 40;

-- Lease expiry of running items (reconcile, next wake-up); as small as the number running.
-- Covers lease_owner and task_name so the wake-up query, which skips its own worker's leases, and
-- a claim under a per-task limit, which counts a task's running items, walk index entries only,
-- never table rows. (A separate (task_name) index of running items would make that count a seek,
-- but every claim and settle would pay to maintain it: measured, about 15% on a settle.)
create index work_lease_idx on work (lease_expires_at, lease_owner, task_name) where state = 'running';

-- Unique work: all items of one name in one range, oldest first (every index entry ends with seq,
-- the insertion order), for the unique enqueue and queries by name.
create index work_unique_idx on work (unique_name) where unique_name is not null;

-- Newest-first listing; created_at never changes, so this index costs one insert per item.
create index work_created_idx on work (created_at);

-- Pruning finished work by age.
create index work_finished_idx on work (finished_at) where finished_at is not null;

-- Tags, one row per (item, tag), for querying and cancelling by tag.
create table work_tags (
  work_seq integer not null references work (seq) on delete cascade,
  tag text not null,
  primary key (work_seq, tag)
) without rowid;

create index work_tags_tag_idx on work_tags (tag);

-- Chains: one row per (dependent, prerequisite). The primary key reads an item's prerequisites;
-- work_deps_prerequisite_idx finds the dependents of an item that just finished, so the chain rule
-- costs one seek per item it touches, never a scan. Deleting either item deletes the edge.
create table work_deps (
  work_seq integer not null references work (seq) on delete cascade,
  prerequisite_seq integer not null references work (seq) on delete cascade,
  primary key (work_seq, prerequisite_seq)
) without rowid;

create index work_deps_prerequisite_idx on work_deps (prerequisite_seq);

-- The run journal: one row per attempt, opened by a claim and closed by settle, cancel or reconcile.
-- Rows point at their item by seq (an integer that grows with insertion), not by id: ids are
-- usually random UUIDs, and an index on them would dirty a random page for every journal row.
create table runs (
  id integer primary key,
  work_seq integer not null references work (seq) on delete cascade,
  work_id text not null,
  task_name text not null,
  attempt integer not null,
  worker_id text not null,
  started_at integer not null,
  ended_at integer,
  outcome text,
  error text,
  stop_reason text,
  -- The retry rule that decided what followed a failure (such as 'server-error'), or null.
  rule text
);

-- An item's attempts in order (history, last run, cascades).
create index runs_work_idx on runs (work_seq, id);

-- Newest-first journal listing and pruning by age (ended_at >= started_at, so old rows are a
-- prefix), and a task's most recent successes (typicalDurations). A partial index of successes
-- would make that last one a seek, but measured it cost every successful settle about 10%.
create index runs_started_idx on runs (started_at);

-- Marks the file as offstage's (the ASCII bytes "ofst"; see OFFSTAGE_APPLICATION_ID).
pragma application_id = 1868985204;
`,
  },
];

/**
 * The schema version this code writes: the last migration's number.
 *
 * @example
 * if (userVersion > SCHEMA_VERSION) throw new Error('written by a newer offstage')
 */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
