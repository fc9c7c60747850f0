/**
 * Transactional enqueue: work enqueued through `store.withClient(client)` inside the caller's
 * transaction exists if and only if that transaction commits, and listeners hear of it only then.
 * A refused batch rolls back only itself, so the caller's transaction goes on.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createWorkEngine, DuplicateWorkError, InvalidOptionError } from '@offstage/core';
import { makeSpec } from '@offstage/store-conformance';
import { createClientDb } from '../src/db.js';
import type { PostgresStore } from '../src/index.js';
import { explainDuplicate } from '../src/queries/enqueue-work.js';
import { schemaNames } from '../src/schema-name.js';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();
let store: PostgresStore;
let pool: pg.Pool;

beforeAll(async () => {
  store = db.open();
  await store.ready();
  pool = new pg.Pool({ connectionString: db.url(), max: 3 });
  await pool.query('create table if not exists orders (id text primary key)');
});

afterAll(async () => {
  await store.close();
  await pool.end();
});

/** Runs `work` in a transaction on a client of the caller's own pool; commits unless told to roll back. */
async function inTransaction(work: (client: pg.PoolClient) => Promise<void>, end: 'commit' | 'rollback'): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await work(client);
    await client.query(end);
  } finally {
    client.release();
  }
}

describe('transactional enqueue (withClient)', () => {
  it('stores the work when the caller commits, and notifies only then', async () => {
    const heard: Array<string | undefined> = [];
    const stop = await store.listen((t) => heard.push(t));
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('insert into orders (id) values ($1)', ['o-1']);
      await store.withClient(client).enqueue([makeSpec({ id: 'email-o-1', taskName: 'email' })]);
      // Not visible outside the transaction yet, and nobody has been woken.
      expect(await store.get('email-o-1')).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).toEqual([]);
      // Inside it, the view reads its own write.
      expect(await store.withClient(client).get('email-o-1')).toMatchObject({ state: 'enqueued' });
      await client.query('commit');
    } finally {
      client.release();
    }
    expect(await store.get('email-o-1')).toMatchObject({ state: 'enqueued', taskName: 'email' });
    for (let waited = 0; heard.length === 0 && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(heard).toEqual(['email']);
    await stop();
  });

  it('stores nothing when the caller rolls back, chains included', async () => {
    await inTransaction(async (client) => {
      await client.query('insert into orders (id) values ($1)', ['o-2']);
      const tx = store.withClient(client);
      await tx.enqueue([makeSpec({ id: 'charge-o-2', taskName: 'charge' }), makeSpec({ id: 'ship-o-2', taskName: 'ship', prerequisites: ['charge-o-2'] })]);
      expect(await tx.get('ship-o-2')).toMatchObject({ state: 'blocked' });
    }, 'rollback');
    expect(await store.get('charge-o-2')).toBeUndefined();
    expect(await store.get('ship-o-2')).toBeUndefined();
    expect((await db.sql('select * from orders where id = $1', ['o-2'])).length).toBe(0);
  });

  it('rolls back only a refused batch: the caller’s transaction goes on and commits the rest', async () => {
    await store.enqueue([makeSpec({ id: 'taken' })]);
    await inTransaction(async (client) => {
      const tx = store.withClient(client);
      await tx.enqueue([makeSpec({ id: 'first-o-3' })]);
      await expect(tx.enqueue([makeSpec({ id: 'second-o-3' }), makeSpec({ id: 'taken' })])).rejects.toThrow(DuplicateWorkError);
      await client.query('insert into orders (id) values ($1)', ['o-3']);
    }, 'commit');
    expect(await store.get('first-o-3')).toBeDefined();
    expect(await store.get('second-o-3')).toBeUndefined();
    expect((await db.sql('select * from orders where id = $1', ['o-3'])).length).toBe(1);
  });

  it('runs unique enqueues and cancels inside the caller’s transaction too', async () => {
    await inTransaction(async (client) => {
      const tx = store.withClient(client);
      await tx.enqueueUnique('nightly', 0, () => ({ insert: [makeSpec({ id: 'n-1', uniqueName: 'nightly' })], cancel: [], update: [] }));
      expect(await tx.cancel({ ids: ['taken'], now: 1 })).toEqual(['taken']);
    }, 'rollback');
    expect(await store.query({ uniqueNames: ['nightly'] })).toEqual([]);
    expect(await store.get('taken')).toMatchObject({ state: 'enqueued' });
  });

  it('refuses to write on a client that is not in a transaction, saying to begin first', async () => {
    const client = await pool.connect();
    try {
      const error = await store.withClient(client).enqueue([makeSpec({ id: 'loose' })]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toMatch(/call begin on the client first/);
    } finally {
      client.release();
    }
    expect(await store.get('loose')).toBeUndefined();
  });

  it('works with an engine over the view, as the README shows', async () => {
    await inTransaction(async (client) => {
      const tx = createWorkEngine({ store: store.withClient(client) });
      const info = await tx.enqueue('send-receipt', { id: 'receipt-o-4', input: { orderId: 'o-4' }, allowUnregistered: true });
      expect(info.state).toBe('enqueued');
    }, 'commit');
    expect(await store.get('receipt-o-4')).toMatchObject({ state: 'enqueued', taskName: 'send-receipt', inputJson: '{"orderId":"o-4"}' });
  });

  it('retires only the view on close', async () => {
    const client = await pool.connect();
    try {
      const view = store.withClient(client);
      await view.close();
      await expect(view.get('taken')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      expect(await store.get('taken')).toBeDefined();
    } finally {
      client.release();
    }
  });

  it('a batch racing a caller’s open transaction for one of its ids waits, then fails with DuplicateWorkError naming it', async () => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await store.withClient(client).enqueue([makeSpec({ id: 'race-1' })]);
      // Blocks on the uncommitted row's unique key until the caller's transaction ends.
      const racing = store.enqueue([makeSpec({ id: 'race-0' }), makeSpec({ id: 'race-1' })]).then(
        () => undefined,
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await client.query('commit');
      const error = await racing;
      expect(error).toBeInstanceOf(DuplicateWorkError);
      expect(error).toMatchObject({ id: 'race-1' });
    } finally {
      client.release();
    }
    expect(await store.get('race-0')).toBeUndefined();
  });

  it('names the clashing id from the server’s detail when the stored row is already gone', async () => {
    const client = await pool.connect();
    const dbView = createClientDb(client, { names: schemaNames(), prepare: false }, 0);
    onTestFinished(() => client.release());
    const violation = Object.assign(new Error('duplicate key value violates unique constraint "work_id_key"'), {
      code: '23505',
      constraint: 'work_id_key',
      detail: 'Key (id)=(gone-1) already exists.',
    });
    const error = await explainDuplicate(dbView, [makeSpec({ id: 'gone-0' }), makeSpec({ id: 'gone-1' })], violation);
    expect(error).toBeInstanceOf(DuplicateWorkError);
    expect(error).toMatchObject({ id: 'gone-1', cause: violation });
    // Anything else passes through unchanged.
    const other = Object.assign(new Error('x'), { code: '40001' });
    expect(await explainDuplicate(dbView, [makeSpec({ id: 'gone-2' })], other)).toBe(other);
  });
});
