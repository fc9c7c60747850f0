/**
 * The PostgreSQL server of the PostgreSQL cases, and a fresh database for every run. With
 * `DATABASE_URL` set, that server is used (the benchmark creates and drops its own databases on it
 * and touches nothing else); otherwise the benchmark starts a throwaway cluster of its own
 * (`@offstage/pg-cluster`, durable: fsync and synchronous_commit on, PostgreSQL's defaults) the
 * first time a PostgreSQL case runs, and stops it when the run ends, fails or is interrupted.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { PG_BIN, startCluster, stopCluster, withDatabase, type PgCluster } from '@offstage/pg-cluster';
import { filesystemOf } from './machine.js';

/** The server every PostgreSQL case runs on. */
export interface PostgresServer {
  /** A connection string with the right to create and drop databases. */
  adminUrl: string;
  /** The cluster the benchmark started, or null when it runs on `DATABASE_URL`. */
  cluster: PgCluster | null;
}

let server: Promise<PostgresServer> | null = null;
let started: PgCluster | null = null;
let databases = 0;

/**
 * Why the PostgreSQL cases cannot run here, or null. Without `DATABASE_URL` the server binaries
 * must be installed where `@offstage/pg-cluster` looks for them; then the server is started (or,
 * with `DATABASE_URL`, connected to) right here, so a server that will not start is a reason too,
 * not a failed run.
 *
 * @example
 * await postgresUnavailable() // null, or 'not available: PostgreSQL server binaries are not in /usr/lib/postgresql/15/bin ...'
 */
export async function postgresUnavailable(): Promise<string | null> {
  if (!process.env.DATABASE_URL && !existsSync(join(PG_BIN, 'initdb'))) {
    return `not available: PostgreSQL server binaries are not in ${PG_BIN} (install postgresql-15, set OFFSTAGE_PG_BIN to their directory, or set DATABASE_URL to a server the benchmark may create databases on)`;
  }
  try {
    const { adminUrl } = await postgresServer();
    await admin(adminUrl, 'select 1');
    return null;
  } catch (error) {
    return `not available: ${process.env.DATABASE_URL ? 'connecting to DATABASE_URL' : 'starting a PostgreSQL cluster'} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}

/**
 * How the PostgreSQL cases' durability reads in reports: PostgreSQL's defaults on the benchmark's
 * own cluster, or whatever the `DATABASE_URL` server runs with (read back under "Machine").
 *
 * @example
 * postgresDurability() // 'PostgreSQL defaults: fsync=on, synchronous_commit=on, full_page_writes=on; ...'
 */
export function postgresDurability(): string {
  if (process.env.DATABASE_URL) return 'PostgreSQL at DATABASE_URL, with its own settings (read back under Machine)';
  const fs = filesystemOf(tmpdir());
  return `PostgreSQL defaults: fsync=on, synchronous_commit=on, full_page_writes=on; cluster in ${tmpdir()} (${fs}${fs.startsWith('tmpfs') ? '' : ', not tmpfs'})`;
}

/**
 * The server, started on first use (a throwaway cluster) unless `DATABASE_URL` names one.
 *
 * @example
 * const { adminUrl } = await postgresServer()
 */
export function postgresServer(): Promise<PostgresServer> {
  server ??= openServer().catch((error: unknown) => {
    server = null;
    throw error;
  });
  return server;
}

async function openServer(): Promise<PostgresServer> {
  const url = process.env.DATABASE_URL;
  if (url) return { adminUrl: url, cluster: null };
  const cluster = await startCluster({ durable: true });
  started = cluster;
  process.on('exit', stopNow);
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  return { adminUrl: cluster.adminUrl, cluster };
}

/**
 * Stops the cluster the benchmark started, if any (a `DATABASE_URL` server is left alone).
 * Idempotent; run.ts calls it when the run ends, passes or fails.
 *
 * @example
 * try { await runCases() } finally { await stopPostgresServer() }
 */
export async function stopPostgresServer(): Promise<void> {
  const cluster = started;
  started = null;
  server = null;
  process.off('exit', stopNow);
  process.off('SIGINT', stopOnSignal);
  process.off('SIGTERM', stopOnSignal);
  if (cluster) await stopCluster(cluster);
}

/**
 * Ctrl-C (or SIGTERM) during a run: stop the cluster synchronously, then exit as interrupted.
 * Synchronously, so the connections the shutdown breaks cannot raise their errors (some peers
 * leave a client without an error listener) before the process is gone.
 */
function stopOnSignal(signal: NodeJS.Signals): void {
  console.error(`\n${signal}: stopping the benchmark's PostgreSQL cluster`);
  stopNow();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/**
 * Stops the cluster without the event loop: SIGQUIT to the postmaster (PostgreSQL's immediate
 * shutdown, as `pg_ctl stop -m immediate` sends), a wait of up to 10 s for it to be gone, then the
 * directory removed. For signals and `exit`, where nothing asynchronous may run; the normal end of
 * a run uses {@link stopPostgresServer}.
 */
function stopNow(): void {
  const cluster = started;
  if (!cluster) return;
  started = null;
  server = null;
  let pid = 0;
  try {
    pid = Number(readFileSync(join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGQUIT');
  } catch {
    pid = 0; // Not running.
  }
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; pid > 0 && isAlive(pid) && waited < 10_000; waited += 20) Atomics.wait(sleeper, 0, 0, 20);
  rmSync(cluster.root, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` on a new database of the server (`create database`: empty, or a copy of `template`),
 * and drops it afterwards (`with (force)`, so a connection a peer left open cannot keep it), pass
 * or fail.
 *
 * @example
 * await withFreshDatabase('graphile', async (url) => { ... })
 */
export async function withFreshDatabase<T>(label: string, fn: (url: string) => Promise<T>, options: { template?: string } = {}): Promise<T> {
  const { adminUrl } = await postgresServer();
  const name = databaseName(label);
  await createDatabase(name, options.template);
  try {
    return await fn(withDatabase(adminUrl, name));
  } finally {
    await dropDatabase(name);
  }
}

/**
 * A database name of the benchmark's own (it never touches others): `offstage_bench_<label>_<pid>_<n>`.
 *
 * @example
 * databaseName('offstage') // 'offstage_bench_offstage_4242_0'
 */
export function databaseName(label: string): string {
  return `offstage_bench_${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${process.pid}_${databases++}`;
}

/**
 * Creates database `name`, empty or as a copy of `template` (which nobody may be connected to);
 * resolves with its connection string. A copy is made with `strategy file_copy` where the server
 * has it (15 and later): a checkpoint, the files copied, a checkpoint. The default strategy writes
 * the whole template through the WAL, and for a big template the checkpoints that forces would
 * still be flushing it while the run measures.
 *
 * @example
 * const url = await createDatabase(databaseName('template'))
 */
export async function createDatabase(name: string, template?: string): Promise<string> {
  const { adminUrl } = await postgresServer();
  let sql = `create database ${name}`;
  if (template) {
    const [row] = await admin<{ version: number }>(adminUrl, "select current_setting('server_version_num')::int as version");
    sql += ` template ${template}${(row?.version ?? 0) >= 150000 ? ' strategy file_copy' : ''}`;
  }
  await admin(adminUrl, sql);
  return withDatabase(adminUrl, name);
}

/**
 * Drops database `name` if it exists, closing any connection still open to it.
 *
 * @example
 * await dropDatabase(name)
 */
export async function dropDatabase(name: string): Promise<void> {
  const { adminUrl } = await postgresServer();
  await admin(adminUrl, `drop database if exists ${name} with (force)`);
}

/**
 * Runs one statement on a short-lived connection.
 *
 * @example
 * await admin(adminUrl, 'select 1')
 */
async function admin<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** What the server runs with, as RESULTS.md states it. */
export interface PostgresSettings {
  /** `server_version`, e.g. `15.18 (Debian 15.18-0+deb12u1)`. */
  version: string;
  /** `name=value` for each durability setting, e.g. `fsync=on`. */
  durability: string[];
  /** Where the data directory lives and on what file system, or that it is a DATABASE_URL server. */
  location: string;
}

/** The durability settings read back from the server. */
const DURABILITY_SETTINGS = ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'commit_delay', 'shared_buffers'] as const;

/**
 * Reads the server's version and durability settings (starting the server if needed).
 *
 * @example
 * const { version, durability } = await postgresSettings()
 */
export async function postgresSettings(): Promise<PostgresSettings> {
  const { adminUrl, cluster } = await postgresServer();
  const rows = await admin<{ name: string; setting: string; unit: string | null }>(
    adminUrl,
    `select name, setting, unit from pg_settings where name in (${DURABILITY_SETTINGS.map((s) => `'${s}'`).join(', ')}, 'server_version') order by name`,
  );
  const get = (name: string): string => {
    const row = rows.find((r) => r.name === name);
    if (!row) return '?';
    return name === 'shared_buffers' && row.unit === '8kB' ? `${(Number(row.setting) * 8) / 1024}MB` : row.setting;
  };
  return {
    version: get('server_version'),
    durability: DURABILITY_SETTINGS.map((s) => `${s}=${get(s)}`),
    location: cluster
      ? `a cluster the benchmark starts with initdb in a new directory under \`${dirname(cluster.root)}\` (${filesystemOf(cluster.root)}), on 127.0.0.1 over TCP, removed after the run`
      : 'the server at DATABASE_URL (its settings as read back above)',
  };
}
