/**
 * The pool the store builds from a connection string: its sessions run with generic plans for the
 * prepared hot statements, the `synchronous_commit` asked for, any `options` the connection string
 * carries, and name themselves `offstage` in pg_stat_activity.
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { createPostgresStore, type PgModule } from '../src/index.js';
import { quietLogger, useTestDatabase } from './test-database.js';

const db = useTestDatabase();

it('sets the session: generic plans, synchronous_commit, the URL’s own options, application_name', async () => {
  const pools: pg.Pool[] = [];
  const spy = {
    Pool: class extends pg.Pool {
      constructor(config: pg.PoolConfig) {
        super(config);
        pools.push(this);
      }
    },
  } as unknown as PgModule;
  const url = new URL(db.url());
  url.searchParams.set('options', '-c work_mem=8MB');
  const store = createPostgresStore({ connectionString: url.toString(), synchronousCommit: 'off', pg: spy, logger: quietLogger });
  try {
    await store.ready();
    expect(pools).toHaveLength(1);
    const { rows } = await pools[0]!.query<Record<string, string>>(
      "select current_setting('plan_cache_mode') as plan, current_setting('synchronous_commit') as sync, current_setting('work_mem') as mem, current_setting('application_name') as app, current_setting('jit') as jit",
    );
    expect(rows[0]).toEqual({ plan: 'force_generic_plan', sync: 'off', mem: '8MB', app: 'offstage', jit: 'off' });
  } finally {
    await store.close();
  }
});
