/**
 * The `offstage` CLI as a function: builds the commander program, runs one command, and turns
 * every error into one `offstage: ` line on stderr and an exit code. It must never print a stack
 * for an OffstageError (only with DEBUG=offstage) and never call `process.exit` itself.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { OffstageError } from '@offstage/core';
import { CliExit, processIo, type CliIo } from './cli-io.js';
import { cancelCommand } from './commands/cancel.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { enqueueCommand } from './commands/enqueue.js';
import { listCommand } from './commands/list.js';
import { pruneCommand } from './commands/prune.js';
import { retryCommand } from './commands/retry.js';
import { runDueCommand } from './commands/run-due.js';
import { showCommand } from './commands/show.js';
import { statusCommand } from './commands/status.js';
import { watchCommand } from './commands/watch.js';
import { workerCommand } from './commands/worker.js';

// src/run-cli.ts and the bundled dist/cli.js both sit one level below package.json.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * Runs the CLI with `argv` (without the node and script paths) and resolves with the exit code.
 *
 * @example
 * process.exitCode = await runCli(['list', '--state', 'failed', '--json'])
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command('offstage')
    .description('Durable background work: run a worker, enqueue and inspect work in an offstage SQLite database.')
    .version(version, '-v, --version')
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`offstage: ${text.replace(/^error: /, '')}`),
    });
  for (const add of [
    workerCommand,
    runDueCommand,
    enqueueCommand,
    statusCommand,
    listCommand,
    showCommand,
    watchCommand,
    cancelCommand,
    retryCommand,
    pruneCommand,
    doctorCommand,
    demoCommand,
  ]) {
    add(program, io);
  }

  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof CommanderError) {
      // Commander has already written its message (or the help) through outputError/writeErr.
      if (json && error.exitCode !== 0) printJsonError(io, error.code, error.message.replace(/^error: /, ''));
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    const debug = isDebug(io.env);
    // An OffstageError's message is the whole story; anything else may be a bug worth a stack.
    const hint = error instanceof OffstageError || debug ? '' : ' (set DEBUG=offstage for the stack trace)';
    io.stderr.write(`offstage: ${message}${hint}\n`);
    if (debug) io.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    if (json) printJsonError(io, error instanceof OffstageError ? error.code : 'UNEXPECTED', message);
    return 1;
  }
}

function printJsonError(io: CliIo, code: string, message: string): void {
  io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
}

function isDebug(env: CliIo['env']): boolean {
  return (env.DEBUG ?? '').split(/[\s,]+/).some((p) => p === '*' || p === 'offstage' || p === 'offstage:*' || p === 'offstage*');
}
