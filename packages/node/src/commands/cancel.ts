/**
 * `offstage cancel <id> | --tag <t> | --all`: cancels unfinished work. Running work is cancelled
 * in the store at once; its worker sees it at its next heartbeat and aborts the handler. It must
 * never touch finished work.
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '@offstage/core';
import { printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';

interface CancelOptions extends CommonOptions {
  tag?: string;
  all?: boolean;
}

/**
 * Registers `offstage cancel` on the program.
 *
 * @example
 * cancelCommand(program, io)
 * // $ offstage cancel --tag media
 */
export function cancelCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('cancel').description('cancel one item, every item with a tag, or all unfinished work').argument('[id]', 'work id'))
    .option('--tag <tag>', 'cancel every unfinished item with this tag')
    .option('--all', 'cancel every unfinished item')
    .action(async (id: string | undefined, options: CancelOptions) => {
      const chosen = [id !== undefined, options.tag !== undefined, options.all === true].filter(Boolean).length;
      if (chosen !== 1) {
        throw new InvalidOptionError('Say what to cancel with exactly one of: a work id, --tag <tag>, or --all.');
      }
      const cancelled = await withEngine(io, options, async (engine) => {
        if (id !== undefined) return (await engine.cancel(id)) ? 1 : 0;
        if (options.tag !== undefined) return engine.cancelByTag(options.tag);
        return engine.cancelAll();
      });
      if (options.json) return printJson(io, { cancelled });
      if (id !== undefined) printLines(io, cancelled ? `cancelled ${id}` : `${id} had already finished; nothing to cancel`);
      else printLines(io, `cancelled ${cancelled} item${cancelled === 1 ? '' : 's'}`);
    });
}
