/**
 * Fresh temporary directories for store tests, removed when the test file ends. Test helper only;
 * it must never touch a path it did not create.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Returns a function that makes a new empty directory per call; all are deleted after the file's tests.
 *
 * @example
 * const tempDir = useTempDirs();
 * const path = join(tempDir(), 'work.db');
 */
export function useTempDirs(): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'offstage-sqlite-'));
    made.push(dir);
    return dir;
  };
}
