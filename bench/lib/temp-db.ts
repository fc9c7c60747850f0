/**
 * Fresh databases for every run: each run gets its own directory under `os.tmpdir()`, removed
 * (with the WAL and shared-memory files) when the run ends, pass or fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `fn` with the path of a database file that does not exist yet, in a new temp directory,
 * and deletes the directory afterwards.
 *
 * @example
 * await withTempDb(async (path) => { const db = new Database(path); ... db.close() })
 */
export async function withTempDb<T>(fn: (dbPath: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'offstage-bench-'));
  try {
    return await fn(join(dir, 'bench.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
