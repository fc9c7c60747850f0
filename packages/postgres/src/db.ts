/**
 * Db: how every query module reaches PostgreSQL. One interface over three places a statement can
 * run: the store's pool (each statement on whatever connection is free), one checked-out connection
 * inside a transaction the store opened, and a caller's client inside the caller's own transaction
 * (transactional enqueue), where the store only ever uses savepoints. It must never leave a
 * connection checked out, never return a dead connection to the pool, and never let a dropped
 * connection crash the process through an unhandled 'error' event.
 */
import type { PgPool, PgPoolClient, PgQueryable } from './pg-client.js';
import type { SchemaNames } from './schema-name.js';

/**
 * A SQL statement: its text and, for hot fixed statements, a name to prepare it under.
 *
 * @example
 * const statement: Statement = { text: 'select 1', name: 'offstage:offstage:ping' };
 */
export interface Statement {
  text: string;
  /** Set for fixed statements run often: prepared once per connection (unless disabled). */
  name?: string;
}

/**
 * Runs statements for one store.
 *
 * @example
 * const rows = await db.query<{ id: string }>({ text: `select id from ${db.names.quoted}.work limit 1` });
 * await db.transaction(async (tx) => tx.query({ text: 'select 1' }));
 */
export interface Db {
  /** The store's schema, quoted name and notification channel. */
  readonly names: SchemaNames;
  /** Runs one statement and returns its rows. */
  query<R>(statement: Statement, values?: readonly unknown[]): Promise<R[]>;
  /**
   * Runs `work` inside one transaction: `begin`/`commit` on a checked-out connection, or a
   * savepoint when this Db already runs inside a transaction (the store's or a caller's). Any
   * error rolls back everything `work` did and is rethrown.
   */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
}

/**
 * Builds a fixed statement once per schema, named so it is prepared once per connection.
 *
 * @example
 * const GET = defineStatement('get-work', (s) => `select 1 from ${s.quoted}.work where id = $1`);
 * await db.query(GET(db.names), [id]);
 */
export function defineStatement(key: string, build: (names: SchemaNames) => string): (names: SchemaNames) => Statement {
  const bySchema = new Map<string, Statement>();
  return (names) => {
    let statement = bySchema.get(names.name);
    if (statement === undefined) {
      statement = { text: build(names), name: `offstage:${names.name}:${key}` };
      bySchema.set(names.name, statement);
    }
    return statement;
  };
}

/** Options shared by the Db implementations. */
interface DbOptions {
  names: SchemaNames;
  /** Prepare named statements (off behind transaction-mode poolers that cannot keep them). */
  prepare: boolean;
}

/**
 * A Db over a pool: each statement runs on a free connection; transactions check one out.
 *
 * @example
 * const db = createPoolDb(pool, { names: schemaNames('offstage'), prepare: true });
 */
export function createPoolDb(pool: PgPool, options: DbOptions): Db {
  const db: Db = {
    names: options.names,
    query: (statement, values) => withConnection(pool, (client) => run(client, statement, values, options.prepare)),
    transaction: (work) =>
      withConnection(pool, async (client) => {
        await client.query({ text: 'begin' });
        const tx = createClientDb(client, options, 0);
        try {
          const result = await work(tx);
          await client.query({ text: 'commit' });
          return result;
        } catch (error) {
          // A rollback on a dead connection fails too; the original error is the one to report.
          await client.query({ text: 'rollback' }).catch(() => undefined);
          throw error;
        }
      }),
  };
  return db;
}

/**
 * A Db on one connection already inside a transaction (the store's, or the caller's for
 * `withClient`): statements run on it directly, and a nested transaction is a savepoint.
 *
 * @param depth how many savepoints are open around this Db (names them uniquely).
 * @example
 * const tx = createClientDb(client, { names, prepare: true }, 0);
 */
export function createClientDb(client: PgQueryable, options: DbOptions, depth: number): Db {
  return {
    names: options.names,
    query: (statement, values) => run(client, statement, values, options.prepare),
    transaction: async (work) => {
      const savepoint = `offstage_${depth}`;
      await client.query({ text: `savepoint ${savepoint}` });
      try {
        const result = await work(createClientDb(client, options, depth + 1));
        await client.query({ text: `release savepoint ${savepoint}` });
        return result;
      } catch (error) {
        await client.query({ text: `rollback to savepoint ${savepoint}` }).catch(() => undefined);
        throw error;
      }
    },
  };
}

async function run<R>(client: PgQueryable, statement: Statement, values: readonly unknown[] | undefined, prepare: boolean): Promise<R[]> {
  const config = prepare && statement.name !== undefined ? { name: statement.name, text: statement.text, values: values as unknown[] } : { text: statement.text, values: values as unknown[] };
  const result = await client.query<R>(config);
  return result.rows;
}

/**
 * Checks a connection out, runs `use`, and always gives it back: destroyed when the connection
 * itself failed (so the pool never hands out a dead one), returned when only a statement did.
 *
 * While checked out, a connection has no pool listener for 'error'; one that drops between two
 * statements would emit an unhandled 'error' and crash the process, so one is attached here.
 *
 * @example
 * await withConnection(pool, (client) => client.query({ text: 'select 1' }));
 */
export async function withConnection<T>(pool: PgPool, use: (client: PgPoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error): void => {
    lost = error;
  };
  client.on('error', onError);
  try {
    return await use(client);
  } catch (error) {
    if (isConnectionError(error)) lost ??= error as Error;
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(lost);
  }
}

/**
 * Whether an error means the connection is unusable (as opposed to a statement the server refused):
 * a socket error, an unexpected end, or a server error of class 08 (connection exception) or 57P
 * (operator intervention: shutdown, restart, terminated backend).
 *
 * @example
 * if (isConnectionError(error)) client.release(error as Error)
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || code.startsWith('57P')) return true;
    // Node's socket errors: ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT...
    if (/^E[A-Z]+$/.test(code)) return true;
    return false;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message);
}
