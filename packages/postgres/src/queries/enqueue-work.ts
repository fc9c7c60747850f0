/**
 * enqueueWork: inserts a batch of new work items with their tags and chain edges, all or none, and
 * wakes listening workers for the task names it made enqueued, in the same transaction (NOTIFY is
 * delivered only on commit). A batch without prerequisites is one statement; a batch with them
 * first locks the stored prerequisites `for share`, resolves the chain rule, then inserts. It must
 * never store part of a batch, and never let a prerequisite change state between the chain rule
 * reading it and the commit (see the race note on {@link insertWork}).
 */
import { DuplicateWorkError, InvalidChainError, type WorkSpec } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';
import { resolveBatch, type LockedPrerequisite } from './apply-chain-rule.js';
import { packSpec, WORK_COLUMNS, WORK_RECORDSET } from './work-row.js';

/*
 * Purpose: insert a batch in order (seq follows the batch), index its tags, store its chain edges
 * and notify the channel once per task name that has a new enqueued item.
 * Parameters: rows (JSON array of packSpec objects, each with its batch index `i`), edges (JSON
 * array of { work_id, prerequisite_id, prerequisite_seq }: prerequisite_seq for stored items, null
 * for earlier items of the batch), the notification channel.
 */
const INSERT_BATCH = defineStatement(
  'insert-batch',
  (s) => `
with input as (
  select * from json_to_recordset($1::json) as x (i integer, ${WORK_RECORDSET})
),
inserted as (
  insert into ${s.quoted}.work (${WORK_COLUMNS})
  select ${WORK_COLUMNS} from input order by i
  returning seq, id, task_name, state, tags
),
tagged as (
  insert into ${s.quoted}.work_tags (work_seq, tag)
  select distinct n.seq, t.tag from inserted as n cross join unnest(n.tags) as t (tag)
),
linked as (
  insert into ${s.quoted}.work_deps (work_seq, prerequisite_seq)
  select distinct d.seq, coalesce(e.prerequisite_seq, p.seq)
  from json_to_recordset($2::json) as e (work_id text, prerequisite_id text, prerequisite_seq bigint)
  join inserted as d on d.id = e.work_id
  left join inserted as p on p.id = e.prerequisite_id
),
woken as (
  select pg_notify($3, t.task_name) from (select distinct task_name from inserted where state = 'enqueued') as t
)
select (select count(*) from inserted) as inserted, (select count(*) from woken) as woken`,
);

/*
 * Purpose: lock the stored prerequisites of a batch and read their states. In seq order, the order
 * settles and cascades lock rows in (a prerequisite is always older than its dependents), so a
 * settle locking an item and then its dependents cannot deadlock with this.
 * Parameters: the prerequisite ids (text[]).
 */
const LOCK_PREREQUISITES = defineStatement(
  'lock-prerequisites',
  (s) => `select id, seq, state from ${s.quoted}.work where id = any($1::text[]) order by seq for share`,
);

/*
 * Purpose: find which ids of a refused batch already exist, to name one in the error.
 * Parameters: the batch's ids (text[]).
 */
const EXISTING_IDS = defineStatement('existing-ids', (s) => `select id from ${s.quoted}.work where id = any($1::text[])`);

/**
 * Inserts `specs` exactly as given (then resolved by the chain rule, each at its own `createdAt`).
 * Throws, inserting nothing, when an id repeats within the batch or already exists (PostgreSQL's
 * unique violation: pass it through {@link explainDuplicate} once the transaction is over), or when
 * a prerequisite is neither stored nor earlier in the batch.
 *
 * @example
 * await enqueueWork(db, [first, { ...second, state: 'blocked', prerequisites: [first.id] }]);
 */
export async function enqueueWork(db: Db, specs: readonly WorkSpec[]): Promise<void> {
  if (specs.length === 0) return;
  assertDistinctIds(specs);
  if (specs.every((spec) => spec.prerequisites.length === 0)) {
    // No chain to resolve: one statement, atomic on its own.
    await insertResolved(db, specs.map((spec) => ({ spec, waitingOn: 0 })), []);
  } else {
    await db.transaction((tx) => insertWork(tx, specs, null));
  }
}

/**
 * Inserts `specs` inside the caller's transaction, chain rule applied at `now` (null: each item's
 * `createdAt`).
 *
 * The race this closes: a new item D waits on a stored item A that a worker is settling right now.
 * Were A read without a lock, this transaction could see A `running` and store D blocked on it,
 * while the settle, whose snapshot predates D, finds no dependent to release: D would wait
 * forever. Locking A `for share` orders the two: either the settle committed first (the lock waits
 * for it, then reads A `succeeded`), or the settle's update of A waits until D is committed and
 * only then runs, on a snapshot that holds D.
 *
 * @example
 * await db.transaction((tx) => insertWork(tx, plan.insert, now));
 */
export async function insertWork(tx: Db, specs: readonly WorkSpec[], now: number | null): Promise<void> {
  if (specs.length === 0) return;
  assertDistinctIds(specs);
  const position = new Map(specs.map((spec, i) => [spec.id, i]));
  const outside = new Set<string>();
  specs.forEach((spec, i) => {
    for (const prerequisite of spec.prerequisites) {
      const at = position.get(prerequisite);
      if (at === undefined) outside.add(prerequisite);
      else if (at >= i) throw unknownPrerequisiteError(spec.id, prerequisite);
    }
  });
  const stored = new Map<string, LockedPrerequisite>();
  if (outside.size > 0) {
    const rows = await tx.query<{ id: string; seq: string; state: LockedPrerequisite['state'] }>(LOCK_PREREQUISITES(tx.names), [[...outside]]);
    for (const row of rows) stored.set(row.id, { seq: Number(row.seq), state: row.state });
    for (const spec of specs) {
      const missing = spec.prerequisites.find((p) => !position.has(p) && !stored.has(p));
      if (missing !== undefined) throw unknownPrerequisiteError(spec.id, missing);
    }
  }
  const edges = specs.flatMap((spec) =>
    spec.prerequisites.map((p) => ({ work_id: spec.id, prerequisite_id: p, prerequisite_seq: stored.get(p)?.seq ?? null })),
  );
  await insertResolved(tx, resolveBatch(specs, stored, now), edges);
}

async function insertResolved(
  db: Db,
  resolved: ReadonlyArray<{ spec: WorkSpec; waitingOn: number }>,
  edges: ReadonlyArray<{ work_id: string; prerequisite_id: string; prerequisite_seq: number | null }>,
): Promise<void> {
  const rows = resolved.map(({ spec, waitingOn }, i) => ({ i, ...packSpec(spec, { waiting_on: waitingOn }) }));
  await db.query(INSERT_BATCH(db.names), [JSON.stringify(rows), JSON.stringify(edges), db.names.channel]);
}

/**
 * Throws when an id repeats within `specs`, before anything is written, so the message can say
 * which kind of duplicate it is.
 *
 * @example
 * assertDistinctIds(plan.insert);
 */
export function assertDistinctIds(specs: readonly WorkSpec[]): void {
  const seen = new Set<string>();
  for (const { id } of specs) {
    if (seen.has(id)) throw new DuplicateWorkError(id, 'batch');
    seen.add(id);
  }
}

/**
 * Turns PostgreSQL's unique violation on `work.id` into offstage's DuplicateWorkError naming the
 * first id of the batch that exists (looked up after the failed transaction rolled back, or read
 * from the violation's detail when the lookup finds nothing); any other error is returned
 * unchanged.
 *
 * @example
 * catch (error) { throw await explainDuplicate(db, specs, error) }
 */
export async function explainDuplicate(db: Db, specs: readonly WorkSpec[], error: unknown): Promise<unknown> {
  const { code, constraint, detail } = (error ?? {}) as { code?: unknown; constraint?: unknown; detail?: unknown };
  if (code !== '23505' || constraint !== 'work_id_key') return error;
  const ids = specs.map((s) => s.id);
  const existing = new Set(
    await db.query<{ id: string }>(EXISTING_IDS(db.names), [ids]).then(
      (rows) => rows.map((r) => r.id),
      () => [],
    ),
  );
  // The stored row can be gone by the time we look (pruned, or the lookup itself failed); the
  // server's detail, "Key (id)=(…) already exists.", still names the id that clashed.
  const named = typeof detail === 'string' ? /^Key \(id\)=\((.*)\) already exists\.$/s.exec(detail)?.[1] : undefined;
  const id = ids.find((i) => existing.has(i)) ?? ids.find((i) => i === named) ?? (ids.length === 1 ? ids[0] : undefined);
  return id === undefined
    ? new Error('Cannot enqueue the batch: an item with one of its ids was stored at the same moment; nothing in the batch was enqueued. Use a unique id per item.', { cause: error })
    : new DuplicateWorkError(id, 'stored', { cause: error });
}

function unknownPrerequisiteError(id: string, prerequisite: string): InvalidChainError {
  const what = prerequisite === id ? 'itself' : `"${prerequisite}", which is neither stored nor earlier in the batch`;
  return new InvalidChainError(
    `Cannot enqueue work "${id}": it lists as a prerequisite ${what}; nothing in the batch was enqueued. List only stored work or work earlier in the same batch.`,
  );
}
