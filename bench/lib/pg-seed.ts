/**
 * Big PostgreSQL stores, fast: a template database seeded once per case (outside every
 * measurement) and copied for each run with `create database … template …`, and the seeding of
 * offstage's store with completed work. The seed runs one job to success through offstage itself,
 * then copies its work row and its journal row in one `insert ... select ... generate_series`
 * statement (every column as the store wrote it, only ids, inputs and times varied), so the rows
 * follow whatever the schema is today.
 */
import pg from 'pg';
import { createWorkEngine } from '@offstage/core';
import { createPostgresStore } from '@offstage/postgres';
import { stateCounts } from './offstage.js';
import { PG_TASK } from './pg-queue.js';
import { createDatabase, databaseName, dropDatabase } from './postgres.js';
import { check } from './verify.js';
import { Counter } from './wait.js';

/** A database seeded once and copied for each run; dropped by {@link dispose}. */
export class TemplateDatabase {
  private name: string | null = null;

  /**
   * @param label part of the database name
   * @param seed fills the new, empty database at `url` (and closes every connection it opened)
   */
  constructor(
    private readonly label: string,
    private readonly seed: (url: string) => Promise<void>,
  ) {}

  /** Creates and seeds the template unless it exists already. */
  async ensure(): Promise<void> {
    if (this.name !== null) return;
    const name = databaseName(`template_${this.label}`);
    const url = await createDatabase(name);
    try {
      await this.seed(url);
    } catch (error) {
      await dropDatabase(name);
      throw error;
    }
    this.name = name;
  }

  /** The template's name, for `withFreshDatabase(..., { template })`. */
  get templateName(): string {
    check(this.name !== null, `template ${this.label} was never seeded`);
    return this.name;
  }

  /** Drops the template. */
  async dispose(): Promise<void> {
    const name = this.name;
    this.name = null;
    if (name !== null) await dropDatabase(name);
  }
}

/** Columns of `schema.table` that an insert may set (identity and generated columns excluded). */
async function insertableColumns(client: pg.Client, schema: string, table: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select column_name as name from information_schema.columns
     where table_schema = $1 and table_name = $2 and is_identity = 'NO' and is_generated = 'NEVER'
     order by ordinal_position`,
    [schema, table],
  );
  return rows.map((r) => r.name);
}

/**
 * Fills offstage's store at `url` (an empty database) with `count` succeeded jobs: work rows and
 * their journal rows as a drain leaves them, finished one millisecond apart over the last
 * `count` ms (so the engine's default one-day retention keeps them all), then `vacuum analyze`.
 *
 * @example
 * await seedCompletedOffstage(url, 1_000_000)
 */
export async function seedCompletedOffstage(url: string, count: number): Promise<void> {
  const store = createPostgresStore({ connectionString: url, logger: { warn: () => undefined, info: () => undefined } });
  const engine = createWorkEngine({ store, tasks: { [PG_TASK]: () => undefined } });
  try {
    const done = new Counter();
    engine.on('work:succeeded', () => done.increment());
    await engine.enqueue(PG_TASK, { input: { i: 0 } });
    await engine.start();
    await done.until(1, 10_000, 'the seed job to succeed');
  } finally {
    await engine.close();
  }

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const work = await insertableColumns(client, 'offstage', 'work');
    const runs = await insertableColumns(client, 'offstage', 'runs');
    for (const [table, columns, required] of [
      ['work', work, ['id', 'input_json', 'created_at', 'updated_at', 'run_at', 'finished_at', 'state']],
      ['runs', runs, ['work_seq', 'work_id', 'started_at', 'ended_at']],
    ] as const) {
      for (const c of required) check(columns.includes(c), `offstage seed: the ${table} table has no column ${c} (columns: ${columns.join(', ')})`);
    }
    // Job k (1..count-1) finished count-k ms before the template job did; its times move with it.
    const shifted = new Set(['created_at', 'updated_at', 'run_at', 'finished_at']);
    const workValue = (c: string): string =>
      c === 'id' ? "'seed-' || lpad(k.k::text, 7, '0')" : c === 'input_json' ? "json_build_object('i', k.k)::text" : shifted.has(c) ? `t.${c} - ($1::int - k.k)` : `t.${c}`;
    const runValue = (c: string): string =>
      c === 'work_seq' ? 'w.seq' : c === 'work_id' ? 'w.id' : c === 'started_at' || c === 'ended_at' ? `r.${c} - (t.finished_at - w.finished_at)` : `r.${c}`;
    const result = await client.query(
      `with t as (select * from offstage.work where state = 'succeeded'),
       w as (
         insert into offstage.work (${work.join(', ')})
         select ${work.map(workValue).join(', ')} from t cross join generate_series(1, $1::int - 1) as k(k)
         returning seq, id, finished_at
       )
       insert into offstage.runs (${runs.join(', ')})
       select ${runs.map(runValue).join(', ')} from w cross join t join offstage.runs as r on r.work_seq = t.seq`,
      [count],
    );
    check(result.rowCount === count - 1, `offstage seed: wrote ${result.rowCount} journal rows, expected ${count - 1}`);
    await client.query('vacuum analyze offstage.work');
    await client.query('vacuum analyze offstage.runs');
  } finally {
    await client.end();
  }

  const reopened = createPostgresStore({ connectionString: url });
  try {
    const counts = await stateCounts(reopened);
    check(counts.succeeded === count && counts.total === count, `offstage seed: expected ${count} succeeded rows, store counts ${JSON.stringify(counts)}`);
  } finally {
    await reopened.close();
  }
}
