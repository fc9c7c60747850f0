/**
 * The few things offstage needs from a PostgreSQL client, declared structurally (Kysely's way): a
 * `pg` Pool satisfies them, and so does any client with the same shape. This module must never
 * import `pg` itself: the client is the caller's (a peer dependency), loaded only when the store is
 * given a connection string instead of a pool.
 */

/**
 * What a query resolves to: its rows (and how many rows a write touched).
 *
 * @example
 * const { rows }: PgQueryResult<{ n: string }> = await pool.query({ text: 'select count(*) as n from offstage.work' });
 */
export interface PgQueryResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number | null;
}

/**
 * A query as `pg` accepts it: text and values, plus a name to prepare it once per connection.
 *
 * @example
 * const config: PgQueryConfig = { name: 'get', text: 'select 1 where $1::text is not null', values: ['a'] };
 */
export interface PgQueryConfig {
  text: string;
  values?: unknown[];
  /** Prepares the statement under this name on first use on each connection. */
  name?: string;
}

/**
 * Anything that runs a query: a pool, a client checked out of it, or a caller's client.
 *
 * @example
 * const client: PgQueryable = await pool.connect();
 */
export interface PgQueryable {
  query<R = Record<string, unknown>>(config: PgQueryConfig): Promise<PgQueryResult<R>>;
}

/**
 * One `NOTIFY` as `pg` delivers it.
 *
 * @example
 * client.on('notification', (message: PgNotification) => console.log(message.channel, message.payload));
 */
export interface PgNotification {
  channel: string;
  payload?: string;
}

/**
 * A connection checked out of a pool: released (or destroyed, given an error) when done.
 *
 * @example
 * const client: PgPoolClient = await pool.connect();
 * try { await client.query({ text: 'select 1' }); } finally { client.release(); }
 */
export interface PgPoolClient extends PgQueryable {
  release(error?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'notification', listener: (message: PgNotification) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'error' | 'notification' | 'end', listener: (...args: never[]) => void): unknown;
}

/**
 * A connection pool: what {@link createPostgresStore} accepts as `pool` (a `pg.Pool` fits). The
 * store checks connections out for transactions and for its LISTEN connection, and never ends a
 * pool it was given.
 *
 * @example
 * import pg from 'pg';
 * const pool: PgPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * The `pg` module's shape, as far as `createPostgresStore` uses it to build a pool.
 *
 * @example
 * import pg from 'pg';
 * createPostgresStore({ connectionString, pg: pg as PgModule });
 */
export interface PgModule {
  Pool: new (config: Record<string, unknown>) => PgPool;
}
