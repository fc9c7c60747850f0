/**
 * Opening a store that cannot work fails fast with one typed sentence (StoreOpenError) naming the
 * server and the fix, never the password: a string that is not a PostgreSQL URL (at once), nothing
 * listening, a host that does not resolve, a host that never answers (within connectTimeoutMs), a
 * database that does not exist, a wrong password.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, StoreOpenError } from '@offstage/core';
import { createPostgresStore, isPostgresConnectionString } from '../src/index.js';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();

/** Opens a store on `connectionString`, returns how it failed and how long that took. */
async function failure(connectionString: string, options: { connectTimeoutMs?: number } = {}): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  const store = createPostgresStore({ connectionString, logger: { warn: () => undefined, info: () => undefined }, ...options });
  const error = await store.ready().then(
    () => new Error('opened'),
    (e: unknown) => e as Error,
  );
  const ms = Date.now() - started;
  await store.close();
  return { error, ms };
}

function expectOneSentence(error: Error, pattern: RegExp): void {
  expect(error).toBeInstanceOf(StoreOpenError);
  expect((error as StoreOpenError).code).toBe('STORE_OPEN_FAILED');
  expect(error.message).toMatch(pattern);
  // One sentence: a single full stop, at the end, and no line breaks.
  expect(error.message.trim().endsWith('.')).toBe(true);
  expect(error.message).not.toMatch(/\n/);
  expect(error.message).not.toContain('s3cret');
}

/** A TCP server that accepts connections and never says a word: a server that hangs. */
let silent: Server;
let silentPort = 0;
const sockets = new Set<Socket>();
beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('opening errors', () => {
  it('refuses a string that is not a PostgreSQL URL at once, without connecting', () => {
    for (const bad of ['./offstage.db', 'localhost:5432', 'mysql://u:s3cret@h/db', 'not a url']) {
      let error: unknown;
      try {
        createPostgresStore({ connectionString: bad });
      } catch (e) {
        error = e;
      }
      expectOneSentence(error as Error, /is not a PostgreSQL URL; write it as postgres:\/\/user:password@host:5432\/database\./);
    }
    expect(() => createPostgresStore({} as never)).toThrow(InvalidOptionError);
    expect(isPostgresConnectionString('postgresql://h/db')).toBe(true);
    expect(isPostgresConnectionString('./offstage.db')).toBe(false);
  });

  it('says nothing listens when the port is closed, fast', async () => {
    const { error, ms } = await failure('postgres://app:s3cret@127.0.0.1:1/jobs');
    expectOneSentence(error, /^Could not connect to PostgreSQL at postgres:\/\/app@127\.0\.0\.1:1\/jobs: the connection was refused \(ECONNREFUSED\)/);
    expect(ms).toBeLessThan(2_000);
  });

  it('says the host does not resolve', async () => {
    const { error, ms } = await failure('postgres://app:s3cret@no-such-host.invalid/jobs');
    expectOneSentence(error, /the host name does not resolve \((ENOTFOUND|EAI_AGAIN)\); check the host/);
    expect(ms).toBeLessThan(5_000);
  });

  it('gives up on a server that never answers within connectTimeoutMs', async () => {
    const { error, ms } = await failure(`postgres://app:s3cret@127.0.0.1:${silentPort}/jobs`, { connectTimeoutMs: 500 });
    expectOneSentence(error, /no answer within 500 ms .*raise connectTimeoutMs\./);
    expect(ms).toBeLessThan(2_000);
  });

  it('waits at most 5 s by default', async () => {
    const { error, ms } = await failure(`postgres://app@127.0.0.1:${silentPort}/jobs`);
    expectOneSentence(error, /no answer within 5000 ms/);
    expect(ms).toBeLessThan(7_000);
  }, 10_000);

  it('says the database does not exist', async () => {
    const url = new URL(db.url());
    url.pathname = '/no_such_database';
    const { error } = await failure(url.toString());
    expectOneSentence(error, /database "no_such_database" does not exist \(3D000\); create the database or fix its name/);
  });

  it('says the login failed', async () => {
    const url = new URL(db.url());
    url.username = 'no_such_role';
    url.password = 's3cret';
    const { error } = await failure(url.toString());
    expectOneSentence(error, /^Could not log in to PostgreSQL at postgres:\/\/no_such_role@.*\((28000|28P01): .*\); check the user name and password\.$/);
  });
});
