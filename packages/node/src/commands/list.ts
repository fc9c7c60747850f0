/**
 * `offstage list`: work items matching filters, newest first, as a table or JSON. The table names
 * each item's unique name and its schedule (periodic) or how many prerequisites it still waits
 * for (chains), and, when some listed work waits for constraints, what each waits for (as this
 * process's trackers see the machine). Read-only: it must never change a row.
 */
import type { Command } from 'commander';
import { WORK_STATES, type WorkEngine, type WorkInfo, type WorkQuery, type WorkState } from '@offstage/core';
import { collect, parseInteger, printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';
import { formatAttempts, formatPriority, formatScheduleCell } from '../format/describe-work.js';
import { formatRelativeTime } from '../format/relative-time.js';
import { formatTable } from '../format/table.js';

interface ListOptions extends CommonOptions {
  state?: WorkState[];
  task?: string[];
  tag?: string[];
  unique?: string[];
  limit: number;
  offset: number;
}

/**
 * Registers `offstage list` on the program.
 *
 * @example
 * listCommand(program, io)
 * // $ offstage list --state failed --tag media --limit 20
 * // $ offstage list --unique nightly-report,feed
 */
export function listCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('list').description('list work items, newest first'))
    .option('--state <state>', `filter by state: ${WORK_STATES.join(', ')} (repeatable)`, collect(WORK_STATES))
    .option('--task <name>', 'filter by task name (repeatable)', collect())
    .option('--tag <tag>', 'filter by tag (repeatable)', collect())
    .option('--unique <name>', 'filter by unique name (repeatable)', collect())
    .option('--limit <n>', 'at most this many items', parseInteger('--limit', 1), 50)
    .option('--offset <n>', 'skip this many items (paging)', parseInteger('--offset', 0), 0)
    .action(async (options: ListOptions) => {
      const query: WorkQuery = { limit: options.limit, offset: options.offset };
      if (options.state) query.states = options.state;
      if (options.task) query.taskNames = options.task;
      if (options.tag) query.tags = options.tag;
      if (options.unique) query.uniqueNames = options.unique;
      const { items, pending } = await withEngine(io, options, async (engine) => {
        const items = await engine.query(query);
        return { items, pending: options.json ? new Map<string, number>() : await pendingPrerequisites(engine, items) };
      });
      if (options.json) return printJson(io, items);
      if (items.length === 0) return printLines(io, 'No work matches.');
      printLines(io, formatWorkTable(items, Date.now(), pending));
      if (items.length === options.limit) printLines(io, `(first ${options.limit}; use --offset ${options.offset + options.limit} for more)`);
    });
}

/**
 * Renders work items as the `list` table. `pending` maps a blocked item's id to how many of its
 * prerequisites have not succeeded yet (default: all of them). A WAITING FOR column (the unmet
 * constraints of enqueued work) appears only when some item waits.
 *
 * @example
 * const items = await engine.query()
 * printLines(io, formatWorkTable(items, Date.now(), await pendingPrerequisites(engine, items)))
 */
export function formatWorkTable(items: readonly WorkInfo[], now: number = Date.now(), pending: ReadonlyMap<string, number> = new Map()): string {
  const waiting = items.some((w) => w.waitingFor.length > 0);
  return formatTable(items, [
    { header: 'ID', value: (w) => w.id },
    { header: 'TASK', value: (w) => w.taskName },
    { header: 'STATE', value: (w) => w.state },
    { header: 'ATTEMPTS', value: (w) => formatAttempts(w), align: 'right' },
    { header: 'PRIORITY', value: (w) => formatPriority(w) },
    { header: 'UNIQUE', value: (w) => w.uniqueName },
    { header: 'SCHEDULE', value: (w) => formatScheduleCell(w, pending.get(w.id) ?? w.prerequisites.length) },
    { header: 'TAGS', value: (w) => w.tags.join(',') },
    ...(waiting ? [{ header: 'WAITING FOR', value: (w: WorkInfo) => w.waitingFor.join(',') }] : []),
    { header: 'WHEN', value: (w) => describeWhen(w, now) },
  ]);
}

/**
 * For each blocked item, how many of its prerequisites have not succeeded yet (one query for the
 * whole page).
 *
 * @example
 * (await pendingPrerequisites(engine, items)).get(id) // 2
 */
export async function pendingPrerequisites(engine: WorkEngine, items: readonly WorkInfo[]): Promise<Map<string, number>> {
  const blocked = items.filter((w) => w.state === 'blocked' && w.prerequisites.length > 0);
  const ids = [...new Set(blocked.flatMap((w) => w.prerequisites))];
  if (ids.length === 0) return new Map();
  const succeeded = new Set((await engine.query({ ids, states: ['succeeded'], limit: ids.length })).map((w) => w.id));
  return new Map(blocked.map((w) => [w.id, w.prerequisites.filter((p) => !succeeded.has(p)).length]));
}

function describeWhen(w: WorkInfo, now: number): string {
  if (w.nextRunAt) {
    if (w.nextRunAt.getTime() > now) return `runs ${formatRelativeTime(w.nextRunAt, now)}`;
    return w.waitingFor.length ? 'due, waiting' : 'due now';
  }
  if (w.finishedAt) return `finished ${formatRelativeTime(w.finishedAt, now)}`;
  if (w.state === 'running' && w.lastRun) return `started ${formatRelativeTime(w.lastRun.startedAt, now)}`;
  if (w.state === 'blocked') return `waiting since ${formatRelativeTime(w.createdAt, now)}`;
  return `updated ${formatRelativeTime(w.updatedAt, now)}`;
}
