/**
 * vitest globalSetup for @offstage/postgres: starts a throwaway PostgreSQL 15 cluster (or, when
 * DATABASE_URL is set, uses that server), creates a template database migrated once, and hands the
 * test files what they need to clone it (one database per file; see test-database.ts). Stops the
 * cluster, or drops the template from the shared server, after the run. The reliability suite's
 * PostgreSQL project uses it too.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createPostgresStore } from '../src/index.js';
import { startCluster, stopCluster, withDatabase, type PgCluster } from '@offstage/pg-cluster';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A connection string with the right to create databases. */
    pgAdminUrl: string;
    /** The migrated template each test file's database is created from. */
    pgTemplate: string;
    /** The throwaway cluster, or null when testing against DATABASE_URL (then nothing may restart it). */
    pgCluster: Pick<PgCluster, 'dataDir' | 'binDir' | 'root' | 'port' | 'durable'> | null;
  }
}

/**
 * Starts the server and builds the template; resolves with the teardown (stops the cluster, or
 * drops the template from the shared server). Everything lives in this call, not in the module:
 * vitest runs a global setup once per project that lists it (`postgres` and the reliability suite's
 * `reliability-postgres`), and each gets its own cluster, so the fleet test's server restart never
 * reaches the reliability scenarios.
 *
 * @example
 * // vitest.config.ts: globalSetup: ['packages/postgres/test/global-setup.ts']
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.DATABASE_URL;
  let cluster: PgCluster | undefined;
  let adminUrl: string;
  let template: string;
  if (external) {
    adminUrl = external;
    template = `offstage_template_${process.pid}_${Date.now().toString(36)}_${project.name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  } else {
    cluster = await startCluster();
    adminUrl = cluster.adminUrl;
    template = 'offstage_template';
  }
  try {
    await admin(adminUrl, `create database ${template}`);
    const store = createPostgresStore({ connectionString: withDatabase(adminUrl, template), logger: quiet });
    try {
      await store.ready();
    } finally {
      await store.close();
    }
  } catch (error) {
    if (cluster) await stopCluster(cluster);
    throw error;
  }
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  project.provide('pgCluster', cluster ? { dataDir: cluster.dataDir, binDir: cluster.binDir, root: cluster.root, port: cluster.port, durable: cluster.durable } : null);
  return async () => {
    if (cluster) await stopCluster(cluster);
    else await admin(adminUrl, `drop database if exists ${template} with (force)`);
  };
}

/** Runs one statement on the admin connection. */
async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const quiet = { warn: () => undefined, info: () => undefined };

