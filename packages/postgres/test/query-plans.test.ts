/**
 * The hot statements use the indexes they were written for, with no sort and no sequential scan of
 * work, on a table with many due, future and running items, in the generic plan a prepared
 * statement settles on: claims read work_claim_idx in claim order, wake-ups read work_wake_idx and
 * work_lease_idx, settles find their row by id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { schemaNames } from '../src/schema-name.js';
import { CLAIM } from '../src/queries/claim-work.js';
import { NEXT_WAKE_AT } from '../src/queries/next-wake-at.js';
import { SETTLE } from '../src/queries/settle-work.js';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();
const names = schemaNames('offstage');
let client: pg.Client;

beforeAll(async () => {
  await db.truncate();
  // 30,000 items: a third due now, a third far in the future at the highest priority, a third running.
  await db.sql(`
insert into offstage.work (id, task_name, state, input_json, priority, run_at, attempt, input_merger, created_at, updated_at, lease_owner, lease_expires_at)
select 'w' || g, 't' || (g % 7), case when g % 3 = 2 then 'running' else 'enqueued' end, '{}',
       case when g % 3 = 1 then 40 else (g % 4) * 10 end,
       case when g % 3 = 1 then 10000000 else g end, 0, 'overwrite', 0, 0,
       case when g % 3 = 2 then 'other' end, case when g % 3 = 2 then 5000000 + g end
from generate_series(1, 30000) as g`);
  await db.sql('analyze offstage.work');
  client = new pg.Client({ connectionString: db.url() });
  await client.connect();
  // The plan a prepared statement uses once it stops re-planning per call.
  await client.query('set plan_cache_mode = force_generic_plan');
});

afterAll(async () => {
  await client.end();
});

let prepared = 0;

/** The generic plan of `text`: prepared (parameter types come from its casts), then explained. */
async function plan(text: string, values: unknown[]): Promise<string> {
  const name = `plan_${prepared++}`;
  await client.query(`prepare ${name} as ${text}`);
  // EXPLAIN EXECUTE takes no bind parameters: the values go in as literals (the plan is generic anyway).
  const literal = (v: unknown): string =>
    v === null ? 'null' : Array.isArray(v) ? client.escapeLiteral(`{${v.map((x) => JSON.stringify(String(x))).join(',')}}`) : typeof v === 'string' ? client.escapeLiteral(v) : String(v);
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) execute ${name}(${values.map(literal).join(', ')})`);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('query plans', () => {
  it('claims from work_claim_idx in claim order: no sort, no scan of work', async () => {
    const text = await plan(CLAIM(names).text, [50_000, 'w', 80_000, 8, ['t1', 't2', 't3'], null, null, null, names.channel]);
    expect(text).toContain('Index Cond: ((priority = r_1.p) AND (run_at <= $1))');
    expect(text).toMatch(/Index (Only )?Scan (Backward )?using work_claim_idx/);
    expect(text).not.toMatch(/Seq Scan on work|Sort\b/);
  });

  it('finds the next wake-up with index seeks only', async () => {
    const text = await plan(NEXT_WAKE_AT(names).text, [['t1', 't2', 't3'], 4, 0.5, 0.5, 'me']);
    expect(text).toContain('work_wake_idx');
    expect(text).toContain('work_lease_idx');
    expect(text).not.toMatch(/Seq Scan on work|Sort\b/);
  });

  it('settles by the id index', async () => {
    const settlement = { id: 'w5', token: 1, state: 'succeeded', attempt: 1, run_at: null, set_output: true, output_json: '{}', set_error: false, last_error: null, now: 10, run_id: 1, outcome: 'succeeded', error: null, stop_reason: null, rule: null, cascade: false };
    const text = await plan(SETTLE(names).text, [JSON.stringify([settlement]), names.channel]);
    expect(text).toContain('work_id_key');
    expect(text).not.toMatch(/Seq Scan on work\b/);
  });

  // Last: it replaces the table the tests above share.
  it('claims by seq even when the statistics say nothing is enqueued (a table of finished work, analyzed before a backlog arrived)', async () => {
    await db.truncate();
    await db.sql(`
insert into offstage.work (id, task_name, state, input_json, priority, run_at, attempt, input_merger, created_at, updated_at, finished_at)
select 'done' || g, 't1', 'succeeded', '{}', 0, g, 1, 'overwrite', 0, 0, g from generate_series(1, 30000) as g`);
    await db.sql('vacuum analyze offstage.work');
    await db.sql(`
insert into offstage.work (id, task_name, state, input_json, priority, run_at, attempt, input_merger, created_at, updated_at)
select 'due' || g, 't1', 'enqueued', '{}', 0, g, 0, 'overwrite', 0, 0 from generate_series(1, 10000) as g`);
    const text = await plan(CLAIM(names).text, [50_000, 'w', 80_000, 8, ['t1'], null, null, null, names.channel]);
    // The update joins the picked rows through work_pkey; through work_wake_idx it would read all 10,000.
    expect(text).toMatch(/Index (Only )?Scan using work_pkey on work w_1/);
    expect(text).not.toContain('work_wake_idx');
  });
});
