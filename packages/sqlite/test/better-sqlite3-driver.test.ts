/**
 * BetterSqlite3Driver on its own: transactions commit, roll back and refuse to nest; cached
 * statements are reused and the cache stays bounded; errors keep SQLite's code.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BetterSqlite3Driver, type BetterSqlite3Database } from '@offstage/sqlite';

const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BetterSqlite3Database;

function open(statementCacheSize?: number): BetterSqlite3Driver {
  const driver = new BetterSqlite3Driver(new Database(':memory:'), { statementCacheSize });
  driver.exec('create table t (k text primary key, v integer)');
  return driver;
}

describe('BetterSqlite3Driver', () => {
  it('runs, gets and lists with positional parameters', () => {
    const db = open();
    expect(db.run('insert into t values (?, ?)', ['a', 1])).toEqual({ changes: 1, lastInsertRowid: 1 });
    db.run('insert into t values (?, ?)', ['b', 2]);
    expect(db.get<{ v: number }>('select v from t where k = ?', ['b'])).toEqual({ v: 2 });
    expect(db.get('select v from t where k = ?', ['zz'])).toBeUndefined();
    expect(db.all<{ k: string }>('select k from t order by k')).toEqual([{ k: 'a' }, { k: 'b' }]);
    expect(db.all('update t set v = v + 1 returning k, v')).toHaveLength(2);
    db.close();
  });

  it('commits a transaction and returns its value', () => {
    const db = open();
    expect(db.transaction(() => db.run('insert into t values (?, ?)', ['a', 1]).changes)).toBe(1);
    expect(db.all('select * from t')).toHaveLength(1);
    db.close();
  });

  it('rolls back everything when the function throws, and rethrows the same error', () => {
    const db = open();
    const boom = new Error('boom');
    expect(() =>
      db.transaction(() => {
        db.run('insert into t values (?, ?)', ['a', 1]);
        throw boom;
      }),
    ).toThrow(boom);
    expect(db.all('select * from t')).toEqual([]);
    // The connection is usable afterwards: no transaction was left open.
    db.transaction(() => db.run('insert into t values (?, ?)', ['b', 2]));
    expect(db.all('select k from t')).toEqual([{ k: 'b' }]);
    db.close();
  });

  it('refuses to nest transactions', () => {
    const db = open();
    expect(() => db.transaction(() => db.transaction(() => 1))).toThrow(/do not nest/);
    db.close();
  });

  it("keeps SQLite's error code on errors", () => {
    const db = open();
    db.run('insert into t values (?, ?)', ['a', 1]);
    let error: unknown;
    try {
      db.run('insert into t values (?, ?)', ['a', 2]);
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).toMatch(/^SQLITE_CONSTRAINT/);
    db.close();
  });

  it('keeps working when more distinct statements run than the cache holds', () => {
    const db = open(4);
    for (let i = 0; i < 20; i++) db.run(`insert into t values (?, ${i})`, [`k${i}`]);
    for (let i = 0; i < 20; i++) expect(db.get<{ v: number }>(`select v from t where k = ? and ${i} = ${i}`, [`k${i}`])).toEqual({ v: i });
    db.close();
  });
});
