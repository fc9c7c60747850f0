/**
 * One database per test file, cloned from the migrated template the global setup built
 * (`create database … template …`, graphile-worker's way), dropped after the file. Test support
 * only: it must never touch a database it did not create.
 */
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../src/index.js';
import { withDatabase } from '@offstage/pg-cluster';

/** Logs nothing: tests that check logging pass their own logger. */
export const quietLogger = { warn: (): void => undefined, info: (): void => undefined };

/** What a test file gets from {@link useTestDatabase}. */
export interface TestDatabase {
  /** This file's database. */
  url(): string;
  /** A store on this file's database (closed by the caller). */
  open(options?: Partial<PostgresStoreOptions>): PostgresStore;
  /** Runs SQL on this file's database. */
  sql<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** Empties the offstage tables (between tests that need an empty store). */
  truncate(): Promise<void>;
}

let counter = 0;

/**
 * Registers beforeAll/afterAll hooks that create and drop this file's database.
 *
 * @example
 * const db = useTestDatabase();
 * it('…', async () => { const store = db.open(); … });
 */
export function useTestDatabase(): TestDatabase {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('pgTemplate');
  const name = `offstage_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const url = withDatabase(adminUrl, name);
  let pool: pg.Pool | undefined;

  beforeAll(async () => {
    // Several files clone the template at once; PostgreSQL refuses a clone while another session
    // is connected to the template, which the global setup never is, but retry a few times anyway.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin(adminUrl, `create database ${name} template ${template}`);
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    pool = new pg.Pool({ connectionString: url, max: 2 });
    // A server restart (the fleet test) kills its idle connections; the pool replaces them.
    pool.on('error', () => undefined);
  });

  afterAll(async () => {
    await pool?.end();
    await admin(adminUrl, `drop database if exists ${name} with (force)`);
  });

  const db: TestDatabase = {
    url: () => url,
    open: (options = {}) => createPostgresStore({ connectionString: url, logger: quietLogger, ...options }),
    sql: async (text, values) => {
      if (!pool) throw new Error('The test database is only there inside tests.');
      return (await pool.query(text, values)).rows;
    },
    truncate: async () => {
      await db.sql('truncate offstage.work, offstage.work_tags, offstage.work_deps, offstage.runs restart identity');
    },
  };
  return db;
}

async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
