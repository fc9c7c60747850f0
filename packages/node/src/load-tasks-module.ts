/**
 * Loads the tasks module `offstage worker <module>` runs: resolves it, imports it, and checks its
 * shape so a mistake is one clear error before any work is claimed. It must never run a handler
 * and never register anything itself; it only returns what the module declares.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidOptionError, validateTaskName, type Duration, type TaskEntry } from '@offstage/core';

/**
 * Worker options a tasks module may export as `options`; command-line flags override them.
 *
 * @example
 * export const options: TasksModuleOptions = { concurrency: 8, leaseTime: '1m', shutdownGrace: '30s' }
 */
export interface TasksModuleOptions {
  /** Attempts run at once. */
  concurrency?: number;
  /** How long a claim holds work without a heartbeat, such as `'30s'`. */
  leaseTime?: Duration;
  /** On shutdown, how long running handlers may finish before they are aborted, such as `'10s'`. */
  shutdownGrace?: Duration;
}

/**
 * What {@link loadTasksModule} found.
 *
 * @example
 * const { tasks, options }: LoadedTasksModule = await loadTasksModule('./tasks.mjs')
 */
export interface LoadedTasksModule {
  /** Absolute path of the module. */
  path: string;
  /** Task name → handler or `{ handler, maxAttempts?, backoff?, timeout?, concurrency?, classify? }`. */
  tasks: Record<string, TaskEntry>;
  /** The module's `options` export, or `{}`. */
  options: TasksModuleOptions;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(['concurrency', 'leaseTime', 'shutdownGrace']);
const ENTRY_KEYS: ReadonlySet<string> = new Set(['handler', 'maxAttempts', 'backoff', 'timeout', 'concurrency', 'classify']);

/**
 * Imports a tasks module and validates it.
 *
 * A tasks module is an ES module (`.js`, `.mjs`, or `.ts` when Node runs with a TypeScript loader
 * such as `node --import tsx`) that exports a record of task name → task, either as its `default`
 * export or as a named export `tasks` (the named export wins if both exist). A task is a handler
 * function, or an object `{ handler, maxAttempts?, backoff?, timeout?, concurrency?, classify? }`
 * (core's `TaskEntry`; `concurrency` limits the task across every worker; use `defineTask` for
 * typed input). It may also export `options`: `{ concurrency?, leaseTime?, shutdownGrace? }`. Throws
 * {@link InvalidOptionError} with a one-line message when the file is missing, fails to import,
 * exports no tasks, or a task has no handler function.
 *
 * @example
 * // tasks.mjs
 * export default {
 *   'send-email': async ({ input, signal }) => mailer.send(input, { signal }),
 *   resize: { maxAttempts: 3, timeout: '2m', handler: async ({ input, progress }) => resize(input, progress) },
 * }
 * export const options = { concurrency: 8, leaseTime: '1m' }
 *
 * // elsewhere
 * const { tasks, options } = await loadTasksModule('./tasks.mjs')
 */
export async function loadTasksModule(specifier: string, cwd: string = process.cwd()): Promise<LoadedTasksModule> {
  const path = resolve(cwd, specifier);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new InvalidOptionError(`The tasks module '${specifier}' was not found (looked at ${path}); pass the path of a .js, .mjs or .ts file.`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string })?.code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && ['.ts', '.mts', '.cts'].includes(extname(path))) {
      throw new InvalidOptionError(
        `The tasks module '${specifier}' is TypeScript and this Node cannot load it; run with a loader (node --import tsx ...) or compile it to .js.`,
      );
    }
    throw new InvalidOptionError(`The tasks module '${specifier}' failed to load: ${firstLine(error)}`);
  }

  const tasks = mod.tasks !== undefined ? mod.tasks : mod.default;
  const exportName = mod.tasks !== undefined ? 'tasks' : 'default';
  if (tasks === undefined) {
    throw new InvalidOptionError(
      `The tasks module '${specifier}' exports no tasks; add \`export default { name: handler }\` or \`export const tasks = { name: handler }\`.`,
    );
  }
  if (typeof tasks !== 'object' || tasks === null || Array.isArray(tasks)) {
    throw new InvalidOptionError(
      `The '${exportName}' export of the tasks module '${specifier}' is ${describe(tasks)}, not an object of task name → handler.`,
    );
  }
  const entries = Object.entries(tasks as Record<string, unknown>);
  if (entries.length === 0) {
    throw new InvalidOptionError(`The tasks module '${specifier}' exports an empty tasks object; add at least one task name → handler.`);
  }
  for (const [name, entry] of entries) {
    validateTaskName(name);
    if (typeof entry === 'function') continue;
    if (typeof entry !== 'object' || entry === null || typeof (entry as { handler?: unknown }).handler !== 'function') {
      throw new InvalidOptionError(
        `The task "${name}" in '${specifier}' is ${describe(entry)}; export a handler function or { handler, maxAttempts?, backoff?, timeout?, concurrency?, classify? }.`,
      );
    }
    const unknown = Object.keys(entry).filter((k) => !ENTRY_KEYS.has(k));
    if (unknown.length > 0) {
      throw new InvalidOptionError(`The task "${name}" in '${specifier}' has unknown field(s) ${unknown.join(', ')}; use handler, maxAttempts, backoff, timeout, concurrency, classify.`);
    }
  }

  const options = mod.options ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError(`The 'options' export of '${specifier}' is ${describe(options)}; export { concurrency?, leaseTime?, shutdownGrace? }.`);
  }
  const unknownOptions = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknownOptions.length > 0) {
    throw new InvalidOptionError(
      `The 'options' export of '${specifier}' has unknown field(s) ${unknownOptions.join(', ')}; use concurrency, leaseTime, shutdownGrace.`,
    );
  }
  return { path, tasks: tasks as Record<string, TaskEntry>, options: options as TasksModuleOptions };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return typeof value === 'object' ? 'an object without a handler function' : `a ${typeof value}`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
