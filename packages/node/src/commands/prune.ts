/**
 * `offstage prune --older-than <duration>`: deletes finished work (and its journal) that finished
 * longer ago than the duration. It must never delete unfinished work.
 */
import type { Command } from 'commander';
import { parseDuration } from '@offstage/core';
import { printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';

interface PruneOptions extends CommonOptions {
  olderThan: string;
}

/**
 * Registers `offstage prune` on the program.
 *
 * @example
 * pruneCommand(program, io)
 * // $ offstage prune --older-than 7d
 */
export function pruneCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('prune').description('delete finished work older than a duration'))
    .requiredOption('--older-than <duration>', "finished more than this long ago, e.g. '7d'")
    .action(async (options: PruneOptions) => {
      parseDuration(options.olderThan, '--older-than'); // fail before opening the database
      const deleted = await withEngine(io, options, (engine) => engine.prune({ olderThan: options.olderThan }));
      if (options.json) printJson(io, deleted);
      else printLines(io, `deleted ${deleted.work} finished item${deleted.work === 1 ? '' : 's'} and ${deleted.runs} journal row${deleted.runs === 1 ? '' : 's'}`);
    });
}
