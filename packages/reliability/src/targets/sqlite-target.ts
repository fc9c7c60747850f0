/**
 * The SQLite target: one database file per scenario, opened with `openSqliteStore`, and engines
 * made by the Node preset `createOffstage` (file watch included), exactly as an application would.
 */
import { join } from 'node:path';
import { createOffstage } from 'offstage';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import type { StoreTarget } from './store-target.js';

/**
 * Runs scenarios on a SQLite file (`<dir>/work.db`), removed with the scenario's directory.
 *
 * @example
 * const store = await sqliteTarget.openStore(await sqliteTarget.prepare(dir))
 */
export const sqliteTarget: StoreTarget = {
  name: 'sqlite',
  multiProcess: true,
  fileBased: true,
  storeErrorPattern: /database is locked|SQLITE_BUSY|SQLITE_LOCKED/i,
  prepare: async (dir) => join(dir, 'work.db'),
  cleanup: async () => undefined,
  openStore: async (location) => openSqliteStore(location),
  createEngine: async (location, options) => createOffstage({ db: location, ...options }),
};
