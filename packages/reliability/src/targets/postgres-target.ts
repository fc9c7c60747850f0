/**
 * The PostgreSQL target: one database per scenario on the server this run provides, cloned from
 * a migrated template when there is one (`create database … template …`); stores opened with
 * `createPostgresStore`, engines made by the Node preset `createOffstage({ db: 'postgres://…' })`
 * (LISTEN/NOTIFY wake-ups included), exactly as an application would.
 *
 * The server: `OFFSTAGE_RELIABILITY_PG_URL`, a connection string allowed to create databases (the
 * vitest project `reliability-postgres` sets it from @offstage/postgres's global setup, which starts
 * a throwaway cluster or uses DATABASE_URL), else `DATABASE_URL`. `OFFSTAGE_RELIABILITY_PG_TEMPLATE`
 * names the migrated template to clone; without it each database starts empty and the store
 * migrates it on open. Only databases this process created are ever dropped.
 */
import { createOffstage } from 'offstage';
import { createPostgresStore } from '@offstage/postgres';
import { withDatabase } from '@offstage/pg-cluster';
import type { StoreTarget } from './store-target.js';

/** Databases {@link postgresTarget} made in this process, by connection string. */
const made = new Map<string, string>();
let counter = 0;

/** The server's connection string (one allowed to create databases), from the environment. */
function adminUrl(): string {
  const url = process.env.OFFSTAGE_RELIABILITY_PG_URL ?? process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      'The postgres reliability target needs a server: run it as the vitest project reliability-postgres, or set OFFSTAGE_RELIABILITY_PG_URL (or DATABASE_URL) to a connection string allowed to create databases.',
    );
  }
  return url;
}

/** Runs one statement on a fresh connection to the server. */
async function admin(sql: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Logs nothing: an outage in a scenario's own store shows up as the error it causes. */
const quiet = { warn: (): void => undefined, info: (): void => undefined };

/**
 * Runs scenarios on a fresh PostgreSQL database each.
 *
 * @example
 * const location = await postgresTarget.prepare(dir) // 'postgres://postgres@127.0.0.1:5433/offstage_rel_…'
 * const engine = await postgresTarget.createEngine(location, { tasks })
 */
export const postgresTarget: StoreTarget = {
  name: 'postgres',
  multiProcess: true,
  fileBased: false,
  // Deadlocks, serialization failures, dropped or refused connections, an exhausted server or pool.
  storeErrorPattern:
    /deadlock detected|could not serialize|could not obtain lock|canceling statement|Connection terminated|ECONNRESET|ECONNREFUSED|too many clients|remaining connection slots|timeout exceeded when trying to connect|\b(40P01|40001|55P03|57014|53300)\b/i,
  prepare: async () => {
    const name = `offstage_rel_${process.pid}_${Date.now().toString(36)}_${counter++}`;
    const template = process.env.OFFSTAGE_RELIABILITY_PG_TEMPLATE;
    // Several test files clone the template at once; PostgreSQL refuses a clone while another
    // session is connected to the template (none should be), so retry a few times anyway.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin(`create database ${name}${template ? ` template ${template}` : ''}`);
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    const location = withDatabase(adminUrl(), name);
    made.set(location, name);
    return location;
  },
  cleanup: async () => {
    const names = [...made.values()];
    made.clear();
    for (const name of names) await admin(`drop database if exists ${name} with (force)`);
  },
  openStore: async (location) => {
    const store = createPostgresStore({ connectionString: location, logger: quiet });
    try {
      await store.ready();
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return store;
  },
  createEngine: async (location, options) => createOffstage({ db: location, ...options }),
};
