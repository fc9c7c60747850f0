/**
 * `offstage retry <id>`: puts a failed or cancelled item back in the queue, due now, with its
 * attempts reset. Core refuses any other state; this command must never bypass that.
 */
import type { Command } from 'commander';
import { printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';

/**
 * Registers `offstage retry` on the program.
 *
 * @example
 * retryCommand(program, io)
 * // $ offstage retry 3f2a9c1e-0b7d-4d1e-9a51-2c3b4d5e6f70
 */
export function retryCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('retry').description('re-enqueue a failed or cancelled item').argument('<id>', 'work id'))
    .action(async (id: string, options: CommonOptions) => {
      const info = await withEngine(io, options, (engine) => engine.retry(id));
      if (options.json) printJson(io, info);
      else printLines(io, `re-enqueued ${info.id} (${info.taskName}), due now`);
    });
}
