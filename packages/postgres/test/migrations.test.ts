/**
 * Migrations: ten stores opening a new schema at the same moment migrate it exactly once (the
 * advisory lock), a schema written by a newer offstage is refused untouched, `migrate: false`
 * refuses a schema that is not current, and schema names are checked before anything connects.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, StoreOpenError } from '@offstage/core';
import { createPostgresStore, MIGRATIONS, SCHEMA_VERSION } from '../src/index.js';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();

describe('migrations', () => {
  it('numbers migrations 1, 2, 3... with no gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('migrates a new schema once when 10 stores open it at the same moment', async () => {
    const stores = Array.from({ length: 10 }, () => db.open({ schema: 'crowd' }));
    try {
      const results = await Promise.all(stores.map((s) => s.ready()));
      const applied = results.filter((r) => r.applied.length > 0);
      expect(applied).toEqual([{ previousVersion: 0, applied: MIGRATIONS.map((m) => m.version) }]);
      expect(results.filter((r) => r.applied.length === 0)).toHaveLength(9);
      expect(await db.sql('select version from crowd.migrations order by version')).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
      // And every store works on it.
      await Promise.all(stores.map((s, i) => s.enqueue([{ ...minimalSpec(`w${i}`) }])));
      expect(await stores[3]!.counts(0)).toEqual([{ taskName: 'noop', state: 'enqueued', count: 10, due: 10 }]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps schemas apart: two stores in two schemas of one database see only their own work', async () => {
    const a = db.open({ schema: 'tenant_a' });
    const b = db.open({ schema: 'tenant_b' });
    try {
      await a.enqueue([minimalSpec('only-a')]);
      expect(await b.get('only-a')).toBeUndefined();
      expect((await a.get('only-a'))?.id).toBe('only-a');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses a schema written by a newer offstage, changing nothing', async () => {
    const store = db.open({ schema: 'future' });
    await store.ready();
    await store.close();
    await db.sql(`insert into future.migrations (version, name) values (${SCHEMA_VERSION + 1}, 'from the future')`);
    const later = db.open({ schema: 'future' });
    const error = await later.ready().catch((e: unknown) => e);
    await later.close();
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as Error).message).toMatch(/has version 2, but this offstage knows only up to version 1; upgrade offstage/);
  });

  it('with migrate: false, refuses a schema that is not there yet', async () => {
    const store = db.open({ schema: 'absent', migrate: false });
    const error = await store.ready().catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as Error).message).toMatch(/is at version 0, not 1, and migrate is false/);
    expect(await db.sql("select 1 from pg_namespace where nspname = 'absent'")).toEqual([]);
  });

  it('checks the schema name before connecting', () => {
    for (const schema of ['Offstage', '1jobs', 'a-b', 'x"; drop table y; --', '', 'a'.repeat(59)]) {
      expect(() => createPostgresStore({ connectionString: db.url(), schema })).toThrow(InvalidOptionError);
    }
    expect(createPostgresStore({ connectionString: db.url(), schema: 'user' }).schema).toBe('user');
  });
});

function minimalSpec(id: string) {
  return {
    id, taskName: 'noop', state: 'enqueued' as const, inputJson: '{}', outputJson: null, progressJson: null, tags: [], priority: 10, runAt: 0,
    attempt: 0, maxAttempts: null, backoff: null, timeoutMs: null, uniqueName: null, schedule: null, prerequisites: [], inputMerger: 'overwrite' as const,
    constraints: null, constraintMask: 0, minBattery: null, maxMemory: null, lastError: null, createdAt: 0, updatedAt: 0, finishedAt: null,
    leaseOwner: null, leaseExpiresAt: null, leaseToken: 0,
  };
}
