/**
 * The shared WorkStore conformance suite (store cases, then engine cases on a virtual clock),
 * against PostgresStore on a real server. Each case gets an empty store: the file's database is
 * truncated and a new store (with its own pool) is opened on it.
 */
import { describeWorkStoreConformance } from '@offstage/store-conformance';
import { useTestDatabase } from './test-database.js';

const db = useTestDatabase();

describeWorkStoreConformance({
  name: 'PostgresStore',
  open: async () => {
    await db.truncate();
    return db.open();
  },
});
