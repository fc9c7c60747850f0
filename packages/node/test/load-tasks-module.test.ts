import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '@offstage/core';
import { loadTasksModule } from '../src/load-tasks-module.js';

let dir: string;
let n = 0;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'offstage-load-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a module with `source` and returns its file name (unique, so the import cache never interferes). */
function moduleWith(source: string, ext = 'mjs'): string {
  const name = `tasks-${++n}.${ext}`;
  writeFileSync(join(dir, name), source);
  return name;
}

async function loadError(source: string): Promise<string> {
  const error = await loadTasksModule(moduleWith(source), dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidOptionError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

describe('loadTasksModule', () => {
  it('loads a default export of handlers and definitions', async () => {
    const loaded = await loadTasksModule(moduleWith(`export default { a: () => 1, b: { maxAttempts: 2, handler: async () => 2 } }`), dir);
    expect(Object.keys(loaded.tasks)).toEqual(['a', 'b']);
    expect(loaded.options).toEqual({});
    expect(loaded.path).toBe(join(dir, `tasks-${n}.mjs`));
  });

  it('prefers the named `tasks` export and reads `options`', async () => {
    const loaded = await loadTasksModule(
      moduleWith(`export default { ignored: () => 0 }; export const tasks = { used: () => 1 }; export const options = { concurrency: 2, leaseTime: '5s' }`),
      dir,
    );
    expect(Object.keys(loaded.tasks)).toEqual(['used']);
    expect(loaded.options).toEqual({ concurrency: 2, leaseTime: '5s' });
  });

  it('accepts every task option core knows, including a per-task concurrency limit', async () => {
    const loaded = await loadTasksModule(moduleWith(`export default { sync: { handler() {}, maxAttempts: 2, backoff: {}, timeout: '1m', concurrency: 1 } }`), dir);
    expect(loaded.tasks.sync).toMatchObject({ concurrency: 1, maxAttempts: 2 });
  });

  it('loads the TypeScript fixture (under a TypeScript loader)', async () => {
    const loaded = await loadTasksModule(fileURLToPath(new URL('./fixtures/tasks.ts', import.meta.url)));
    expect(Object.keys(loaded.tasks).sort()).toEqual(['quick', 'slow', 'steps', 'work']);
    expect(loaded.options).toEqual({ concurrency: 2 });
  });

  it('explains each way a module can be wrong, in one line', async () => {
    await expect(loadTasksModule('missing.mjs', dir)).rejects.toThrow(/The tasks module 'missing.mjs' was not found/);
    await expect(loadTasksModule('.', dir)).rejects.toThrow(/was not found/);
    expect(await loadError(`export const something = 1`)).toMatch(/exports no tasks; add `export default \{ name: handler \}`/);
    expect(await loadError(`export default [() => 1]`)).toMatch(/'default' export .* is an array, not an object of task name → handler/);
    expect(await loadError(`export const tasks = {}`)).toMatch(/exports an empty tasks object/);
    expect(await loadError(`export default { upload: 'upload.js' }`)).toMatch(/The task "upload" .* is the string "upload.js"; export a handler function/);
    expect(await loadError(`export default { upload: { maxAttempts: 3 } }`)).toMatch(/The task "upload" .* is an object without a handler function/);
    expect(await loadError(`export default { upload: { handler() {}, retries: 3 } }`)).toMatch(/unknown field\(s\) retries; use handler, maxAttempts, backoff, timeout, concurrency, classify/);
    expect(await loadError(`export default { a() {} }; export const options = { concurency: 2 }`)).toMatch(/unknown field\(s\) concurency/);
    expect(await loadError(`throw new Error('boom at import')`)).toMatch(/failed to load: boom at import/);
    expect(await loadError(`export default {`)).toMatch(/failed to load: /);
  });
});
