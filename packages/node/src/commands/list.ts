/**
 * `offstage list`: work items matching filters, newest first, as a table or JSON. Read-only: it
 * must never change a row.
 */
import type { Command } from 'commander';
import { WORK_STATES, type WorkInfo, type WorkQuery, type WorkState } from '@offstage/core';
import { collect, parseInteger, printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';
import { formatRelativeTime } from '../format/relative-time.js';
import { formatTable } from '../format/table.js';

interface ListOptions extends CommonOptions {
  state?: WorkState[];
  task?: string[];
  tag?: string[];
  limit: number;
  offset: number;
}

/**
 * Registers `offstage list` on the program.
 *
 * @example
 * listCommand(program, io)
 * // $ offstage list --state failed --tag media --limit 20
 */
export function listCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('list').description('list work items, newest first'))
    .option('--state <state>', `filter by state: ${WORK_STATES.join(', ')} (repeatable)`, collect(WORK_STATES))
    .option('--task <name>', 'filter by task name (repeatable)', collect())
    .option('--tag <tag>', 'filter by tag (repeatable)', collect())
    .option('--limit <n>', 'at most this many items', parseInteger('--limit', 1), 50)
    .option('--offset <n>', 'skip this many items (paging)', parseInteger('--offset', 0), 0)
    .action(async (options: ListOptions) => {
      const query: WorkQuery = { limit: options.limit, offset: options.offset };
      if (options.state) query.states = options.state;
      if (options.task) query.taskNames = options.task;
      if (options.tag) query.tags = options.tag;
      const items = await withEngine(io, options, (engine) => engine.query(query));
      if (options.json) return printJson(io, items);
      if (items.length === 0) return printLines(io, 'No work matches.');
      printLines(io, formatWorkTable(items));
      if (items.length === options.limit) printLines(io, `(first ${options.limit}; use --offset ${options.offset + options.limit} for more)`);
    });
}

/**
 * Renders work items as the `list` table.
 *
 * @example
 * printLines(io, formatWorkTable(await engine.query()))
 */
export function formatWorkTable(items: readonly WorkInfo[], now: number = Date.now()): string {
  return formatTable(items, [
    { header: 'ID', value: (w) => w.id },
    { header: 'TASK', value: (w) => w.taskName },
    { header: 'STATE', value: (w) => w.state },
    { header: 'ATTEMPTS', value: (w) => `${w.attempt}/${w.maxAttempts}`, align: 'right' },
    { header: 'PRIORITY', value: (w) => w.priority },
    { header: 'TAGS', value: (w) => w.tags.join(',') },
    { header: 'WHEN', value: (w) => describeWhen(w, now) },
  ]);
}

function describeWhen(w: WorkInfo, now: number): string {
  if (w.nextRunAt) return w.nextRunAt.getTime() <= now ? 'due now' : `runs ${formatRelativeTime(w.nextRunAt, now)}`;
  if (w.finishedAt) return `finished ${formatRelativeTime(w.finishedAt, now)}`;
  if (w.state === 'running' && w.lastRun) return `started ${formatRelativeTime(w.lastRun.startedAt, now)}`;
  return `updated ${formatRelativeTime(w.updatedAt, now)}`;
}
