/**
 * A throwaway PostgreSQL cluster for tests, the reliability suite and the benchmark: initdb into a
 * temporary directory owned by the `postgres` user (the server refuses to run as root), start it
 * on a free port of 127.0.0.1 (fsync off unless `durable`), and remove it all afterwards. Support
 * code only: it must never touch a cluster it did not create.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the PostgreSQL 15 server binaries are. */
export const PG_BIN = process.env.OFFSTAGE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A running throwaway cluster. */
export interface PgCluster {
  /** Connection string of the `postgres` database as the `postgres` superuser. */
  adminUrl: string;
  /** The cluster's data directory. */
  dataDir: string;
  /** Directory of pg_ctl, pg_dump, etc. */
  binDir: string;
  port: number;
  /** The directory holding everything (data, socket, log). */
  root: string;
  /** Whether the server runs with fsync and synchronous_commit on (PostgreSQL's defaults). */
  durable: boolean;
}

/** How {@link startCluster} sets the server up. */
export interface StartClusterOptions {
  /**
   * Keep PostgreSQL's durable defaults (fsync on, synchronous_commit on), as a benchmark that
   * states its durability needs. Default false: tests run with fsync off, which is faster and
   * loses nothing unless the machine itself crashes.
   */
  durable?: boolean;
}

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs a server binary as the `postgres` user when we are root (the server refuses root). */
async function asPostgres(binary: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const path = join(PG_BIN, binary);
  if (userInfo().uid === 0) return run('runuser', ['-u', 'postgres', '--', path, ...args], { timeout: 120_000 });
  return run(path, args, { timeout: 120_000 });
}

/**
 * Creates and starts a cluster; resolves once it accepts connections.
 *
 * @example
 * const cluster = await startCluster();
 * // ... cluster.adminUrl
 * await stopCluster(cluster);
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<PgCluster> {
  if (!existsSync(join(PG_BIN, 'initdb'))) {
    throw new Error(`PostgreSQL server binaries are not in ${PG_BIN}; install postgresql-15 (bash .ci/run does) or set DATABASE_URL to a server to test against.`);
  }
  const root = mkdtempSync(join(tmpdir(), 'offstage-pg-'));
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(root, Number(stdout.trim()), Number(gid.trim()));
  }
  const dataDir = join(root, 'data');
  await asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '-N']);
  const port = await freePort();
  const cluster: PgCluster = { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, dataDir, binDir: PG_BIN, port, root, durable: options.durable ?? false };
  await asPostgres('pg_ctl', ['-D', dataDir, '-l', join(root, 'server.log'), '-w', '-t', '60', '-o', serverOptions(cluster), 'start']);
  return cluster;
}

/** The server's command-line options: socket in our directory, TCP on 127.0.0.1 only, fsync off unless durable. */
function serverOptions(cluster: Pick<PgCluster, 'root' | 'port' | 'durable'>): string {
  return `-k ${cluster.root} -h 127.0.0.1 -p ${cluster.port}${cluster.durable ? '' : ' -F'} -c max_connections=200`;
}

/**
 * Restarts the cluster the way an operator would (`pg_ctl restart -m fast`): every connection is
 * terminated, the server shuts down cleanly and comes back on the same port.
 *
 * @example
 * await restartCluster(cluster);
 */
export async function restartCluster(cluster: Pick<PgCluster, 'dataDir' | 'root' | 'port' | 'durable'>): Promise<void> {
  await asPostgres('pg_ctl', ['-D', cluster.dataDir, '-l', join(cluster.root, 'server.log'), '-w', '-t', '60', '-m', 'fast', '-o', serverOptions(cluster), 'restart']);
}

/**
 * Stops the cluster at once and deletes its directory.
 *
 * @example
 * await stopCluster(cluster);
 */
export async function stopCluster(cluster: PgCluster): Promise<void> {
  try {
    await asPostgres('pg_ctl', ['-D', cluster.dataDir, '-w', '-t', '60', '-m', 'immediate', 'stop']);
  } finally {
    rmSync(cluster.root, { recursive: true, force: true });
  }
}

/**
 * The same server, another database.
 *
 * @example
 * withDatabase('postgres://u@h:5432/postgres', 'x') // 'postgres://u@h:5432/x'
 */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
