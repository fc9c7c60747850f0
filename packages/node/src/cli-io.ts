/**
 * What every CLI command shares: where output goes, the `--db`/`--json` options, opening the
 * engine for one command and closing it after, and the option parsers. Commands must never write
 * to `process.stdout` directly (tests run them in-process), and never leave the store open.
 */
import { resolve } from 'node:path';
import { isPostgresConnectionString } from '@offstage/postgres';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { InvalidOptionError, type WorkEngine } from '@offstage/core';
import { createOffstage, DEFAULT_DB_PATH } from './create-offstage.js';

/**
 * Where a CLI run reads and writes. `runCli` uses the process's; tests pass their own.
 *
 * @example
 * const io: CliIo = { stdout: { write: (t) => (out += t) }, stderr: process.stderr, env: {}, cwd: '/tmp' }
 */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Relative `--db` paths and module paths resolve against this. */
  cwd: string;
}

/**
 * The options every command takes.
 *
 * @example
 * const common: CommonOptions = { db: './offstage.db', json: true }
 */
export interface CommonOptions {
  db: string;
  json?: boolean;
}

/**
 * The IO of the current process.
 *
 * @example
 * await runCli(process.argv.slice(2), processIo())
 */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Adds `--db <path|url>` and `--json` to a command.
 *
 * @example
 * withCommonOptions(program.command('list'))
 */
export function withCommonOptions(command: Command): Command {
  return command
    .addOption(new Option('--db <path>', 'SQLite database file, or a postgres:// URL for a fleet on PostgreSQL').default(DEFAULT_DB_PATH).env('OFFSTAGE_DB'))
    .option('--json', 'print one JSON document on stdout instead of text');
}

/**
 * Resolves `--db` against the CLI's working directory (`:memory:` and postgres:// URLs stay as they are).
 *
 * @example
 * dbPath(io, './offstage.db') // '/home/me/project/offstage.db'
 */
export function dbPath(io: CliIo, db: string): string {
  return db === ':memory:' || isPostgresConnectionString(db) ? db : resolve(io.cwd, db);
}

/**
 * Opens an engine on `--db` for one command (no worker loop, no file watch) and always closes it.
 *
 * @example
 * await withEngine(io, opts, async (engine) => engine.query({ limit: 10 }))
 */
export async function withEngine<T>(io: CliIo, options: CommonOptions, fn: (engine: WorkEngine) => Promise<T>): Promise<T> {
  const engine = createOffstage({ db: dbPath(io, options.db), watch: false });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/**
 * Thrown by a command that has said all it has to say and only needs a non-zero exit code (such
 * as `watch` when the item failed): `runCli` returns the code and prints nothing more.
 *
 * @example
 * if (info.state !== 'succeeded') throw new CliExit(1)
 */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit code ${exitCode}`);
    this.name = 'CliExit';
  }
}

/**
 * Writes one JSON document to stdout.
 *
 * @example
 * printJson(io, { cancelled: 3 })
 */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes text lines to stdout.
 *
 * @example
 * printLines(io, 'enqueued 3f2a…', 'runs in 5s')
 */
export function printLines(io: CliIo, ...lines: string[]): void {
  io.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * A commander parser for a whole number of at least `min`; validation of the meaning (such as
 * `maxAttempts >= 1`) stays in core, so this only rejects what is not an integer.
 *
 * @example
 * command.option('--limit <n>', 'rows', parseInteger('limit', 0))
 */
export function parseInteger(name: string, min = Number.MIN_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be a whole number${min > Number.MIN_SAFE_INTEGER ? ` of at least ${min}` : ''}, not '${value}'.`);
    }
    return n;
  };
}

/**
 * A commander parser for a repeatable option (`--tag a --tag b`, or `--tag a,b`), optionally
 * limited to `choices`.
 *
 * @example
 * command.option('--state <state>', 'filter', collect(['enqueued', 'running']), [])
 */
export function collect(choices?: readonly string[]): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => {
    const items = value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
    if (items.length === 0) throw new InvalidArgumentError(`'${value}' is empty.`);
    for (const item of items) {
      if (choices && !choices.includes(item)) throw new InvalidArgumentError(`'${item}' is not one of ${choices.join(', ')}.`);
    }
    return [...(previous ?? []), ...items];
  };
}

/**
 * Checks a `--probe` URL (http or https) before anything is opened.
 *
 * @example
 * if (options.probe !== undefined) checkProbeUrl(options.probe)
 */
export function checkProbeUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionError(`The --probe value '${url}' is not a URL; pass one such as https://example.com/health.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidOptionError(`The --probe URL '${url}' is not http or https; pass one such as https://example.com/health.`);
  }
}
