/**
 * vitest globalSetup for @offstage/postgres: starts a throwaway PostgreSQL 15 cluster (or, when
 * DATABASE_URL is set, uses that server), creates a template database migrated once, and hands the
 * test files what they need to clone it (one database per file; see test-database.ts). Stops the
 * cluster, or drops the template from the shared server, after the run.
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

let cluster: PgCluster | undefined;
let adminUrl = '';
let template = '';

/**
 * Starts the server and builds the template.
 *
 * @example
 * // vitest.config.ts: globalSetup: ['packages/postgres/test/global-setup.ts']
 */
export async function setup(project: TestProject): Promise<void> {
  const external = process.env.DATABASE_URL;
  if (external) {
    adminUrl = external;
    template = `offstage_template_${process.pid}_${Date.now().toString(36)}`;
  } else {
    cluster = await startCluster();
    adminUrl = cluster.adminUrl;
    template = 'offstage_template';
  }
  await admin(`create database ${template}`);
  const store = createPostgresStore({ connectionString: withDatabase(adminUrl, template), logger: quiet });
  try {
    await store.ready();
  } finally {
    await store.close();
  }
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  project.provide('pgCluster', cluster ? { dataDir: cluster.dataDir, binDir: cluster.binDir, root: cluster.root, port: cluster.port, durable: cluster.durable } : null);
}

/** Stops the cluster (or drops the template from the shared server). */
export async function teardown(): Promise<void> {
  if (cluster) {
    await stopCluster(cluster);
    cluster = undefined;
  } else if (template) {
    await admin(`drop database if exists ${template} with (force)`);
  }
}

/** Runs one statement on the admin connection. */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const quiet = { warn: () => undefined, info: () => undefined };

