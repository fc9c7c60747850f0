/**
 * The shared WorkStore conformance suite, run against SqliteStore on better-sqlite3: in memory and
 * on a file in a fresh temporary directory (WAL, real fsync settings).
 */
import { join } from 'node:path';
import { describeWorkStoreConformance } from '@offstage/store-conformance';
import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
import { useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();

describeWorkStoreConformance({
  name: 'SqliteStore (better-sqlite3, :memory:)',
  open: async () => openSqliteStore(':memory:'),
});

describeWorkStoreConformance({
  name: 'SqliteStore (better-sqlite3, file)',
  open: async () => openSqliteStore(join(tempDir(), 'work.db')),
});
