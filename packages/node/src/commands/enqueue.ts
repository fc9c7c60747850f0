/**
 * `offstage enqueue <task>`: adds one work item from the shell. This process has no handlers, so
 * it enqueues for a worker elsewhere (`allowUnregistered`). It validates the whole request before
 * opening the database, so a typo never creates or touches a file.
 */
import { Option, type Command } from 'commander';
import {
  DEFAULT_MAX_INPUT_BYTES,
  InvalidInputError,
  InvalidOptionError,
  planWork,
  PRIORITY_RANK,
  type Priority,
  type WorkInfo,
  type WorkRequest,
} from '@offstage/core';
import { collect, parseInteger, printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';
import { formatRelativeTime } from '../format/relative-time.js';

interface EnqueueOptions extends CommonOptions {
  input?: string;
  delay?: string;
  startAt?: string;
  tag?: string[];
  priority?: Priority;
  maxAttempts?: number;
  timeout?: string;
}

/**
 * Registers `offstage enqueue` on the program.
 *
 * @example
 * enqueueCommand(program, io)
 * // $ offstage enqueue sync-data --input '{"account":"alice"}' --delay 5m --tag sync
 */
export function enqueueCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('enqueue').description('enqueue one work item for a task').argument('<task>', 'task name'))
    .option('--input <json>', 'input as JSON, e.g. \'{"id": 42}\'')
    .option('--delay <duration>', "wait before the first attempt, e.g. '30s', '5m'")
    .option('--start-at <time>', 'do not start before this ISO 8601 time')
    .option('--tag <tag>', 'a tag (repeatable, or comma-separated)', collect())
    .addOption(new Option('--priority <priority>', 'order among due work').choices(Object.keys(PRIORITY_RANK)))
    .option('--max-attempts <n>', 'attempts before it fails for good', parseInteger('--max-attempts'))
    .option('--timeout <duration>', "abort an attempt that runs longer than this, e.g. '2m'")
    .action(async (task: string, options: EnqueueOptions) => {
      const request = buildRequest(options);
      // Validate with core's own rules before the database is opened (or created).
      planWork(task, request, { id: 'validation', now: Date.now(), task: undefined, maxInputBytes: DEFAULT_MAX_INPUT_BYTES });
      const info = await withEngine(io, options, (engine) => engine.enqueue(task, request));
      if (options.json) printJson(io, info);
      else printLines(io, describeEnqueued(info));
    });
}

function buildRequest(options: EnqueueOptions): WorkRequest {
  const request: WorkRequest = { allowUnregistered: true };
  if (options.input !== undefined) {
    try {
      request.input = JSON.parse(options.input);
    } catch (error) {
      throw new InvalidInputError(
        `The --input value is not valid JSON (${(error as Error).message}); pass JSON such as '{"id": 42}', quoted for your shell.`,
      );
    }
  }
  if (options.delay !== undefined) request.delay = options.delay;
  if (options.startAt !== undefined) {
    const at = new Date(options.startAt);
    if (Number.isNaN(at.getTime())) {
      throw new InvalidOptionError(`The --start-at value '${options.startAt}' is not a valid time; use ISO 8601, such as 2030-01-31T09:00:00Z.`);
    }
    request.startAt = at;
  }
  if (options.tag) request.tags = options.tag;
  if (options.priority) request.priority = options.priority;
  if (options.maxAttempts !== undefined) request.maxAttempts = options.maxAttempts;
  if (options.timeout !== undefined) request.timeout = options.timeout;
  return request;
}

function describeEnqueued(info: WorkInfo): string {
  const when = info.nextRunAt && info.nextRunAt.getTime() > Date.now() + 1000 ? `runs ${formatRelativeTime(info.nextRunAt)}` : 'due now';
  const tags = info.tags.length ? `, tags ${info.tags.join(', ')}` : '';
  return `enqueued ${info.id} (${info.taskName}, ${when}, priority ${info.priority}, up to ${info.maxAttempts} attempts${tags})`;
}
