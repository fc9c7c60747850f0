/**
 * What the CLI test files share: a fresh working directory with a database path per test (removed,
 * with any process the test started, afterwards), and the check for a one-line error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { killAll } from './cli-process.js';

/**
 * Registers hooks that give each test a new directory (`prefix` names it) and `work.db` inside it.
 *
 * @example
 * let dir: string, db: string;
 * useCliWorkspace('offstage-cli-', (d, file) => { dir = d; db = file; });
 */
export function useCliWorkspace(prefix: string, onCreate: (dir: string, db: string) => void): void {
  let dir: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    onCreate(dir, join(dir, 'work.db'));
  });
  afterEach(() => {
    killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * Exit code non-zero, nothing on stdout, exactly one `offstage: ` line on stderr matching `pattern`.
 *
 * @example
 * expectOneLineError(await cli('enqueue', 'x', '--delay', '5 parsecs'), /not a valid duration/)
 */
export function expectOneLineError(result: { code: number | string; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^offstage: /);
  expect(lines[0]).toMatch(pattern);
}
