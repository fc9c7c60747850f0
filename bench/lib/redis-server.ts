/**
 * A throwaway Redis for the BullMQ reference sides: `redis-server` from PATH, started by the
 * benchmark on a free port on 127.0.0.1 with its own temp directory and no persistence at all
 * (`--save '' --appendonly no`: nothing reaches the disk, unlike every SQLite side), and stopped
 * (SIGTERM to the process we started) when the case ends.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The arguments every benchmark Redis gets besides `--port` and `--dir`. */
export const REDIS_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'] as const;

/** A running Redis. */
export interface RedisServer {
  host: '127.0.0.1';
  port: number;
  /** `redis-server --version`, e.g. `Redis server v=7.0.15 ...`. */
  version: string;
  stop(): Promise<void>;
}

/**
 * The `redis-server --version` line, or null with why when there is no usable redis-server.
 *
 * @example
 * redisServerVersion() // { version: 'Redis server v=7.0.15 ...' } or { missing: 'redis-server not found on PATH ...' }
 */
export function redisServerVersion(): { version: string } | { missing: string } {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return { missing: code === 'ENOENT' ? 'redis-server not found on PATH (install it with `apt-get install -y redis-server`)' : `redis-server --version failed: ${r.error.message}` };
  }
  if (r.status !== 0) return { missing: `redis-server --version exited ${r.status}: ${r.stderr.trim()}` };
  return { version: r.stdout.trim() };
}

/**
 * Starts redis-server on a free port; resolves once it answers PING.
 *
 * @example
 * const redis = await startRedisServer(); ...; await redis.stop()
 */
export async function startRedisServer(): Promise<RedisServer> {
  const found = redisServerVersion();
  if ('missing' in found) throw new Error(found.missing);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'offstage-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--dir', dir, ...REDIS_ARGS], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPong(port, child, () => stderr, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: '127.0.0.1', port, version: found.version, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPong(port: number, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}: ${stderr().trim()}`);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms: ${stderr().trim()}`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
