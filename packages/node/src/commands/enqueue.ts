/**
 * `offstage enqueue <task>`: adds one work item from the shell: one-time or periodic (`--every`,
 * `--cron`), optionally unique (`--unique` with a policy), chained after other work (`--after`) or
 * waiting for constraints (`--network`, `--charging`, `--battery-not-low`, ...).
 * This process has no handlers, so it enqueues for a worker elsewhere (`allowUnregistered`). It
 * validates the whole request with core's own rules before opening the database, so a typo never
 * creates or touches a file; only what needs the stored work (prerequisites, the unique name's
 * current items) is checked inside the store's transaction, which stores nothing when it fails.
 */
import { Option, type Command } from 'commander';
import {
  DEFAULT_MAX_INPUT_BYTES,
  InvalidInputError,
  InvalidOptionError,
  planPeriodicWork,
  planWork,
  PRIORITY_RANK,
  validateName,
  type Constraints,
  type ExistingPeriodicWorkPolicy,
  type ExistingWorkPolicy,
  type InputMerger,
  type PeriodicWorkRequest,
  type Priority,
  type UniqueOutcome,
  type WorkEngine,
  type WorkInfo,
  type WorkRequest,
} from '@offstage/core';
import { cronerParser } from '@offstage/cron';
import { collect, parseInteger, printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';
import { formatConstraints, formatPriority, formatSchedule } from '../format/describe-work.js';
import { formatRelativeTime } from '../format/relative-time.js';

interface EnqueueOptions extends CommonOptions {
  input?: string;
  delay?: string;
  startAt?: string;
  tag?: string[];
  priority?: Priority;
  maxAttempts?: number;
  timeout?: string;
  expedited?: boolean;
  every?: string;
  flex?: string;
  cron?: string;
  timezone?: string;
  endOnFailure?: boolean;
  unique?: string;
  policy?: string;
  after?: string[];
  inputMerger?: InputMerger;
  network?: string;
  charging?: boolean;
  batteryNotLow?: boolean | string;
  storageNotLow?: boolean;
  deviceIdle?: boolean;
  memoryBelow?: string;
}

/** The kinds of network `--network` accepts (core's `Constraints['network']`). */
const NETWORK_KINDS: ReadonlyArray<NonNullable<Constraints['network']>> = ['connected', 'unmetered', 'not-roaming'];

/**
 * What `enqueue --json` prints: the item's WorkInfo plus what the enqueue did (`enqueued` for
 * plain work; for `--unique`, the policy's outcome, and the item kept, replaced in, appended or
 * updated).
 *
 * @example
 * const { id, outcome } = JSON.parse(stdout) as EnqueueResult
 */
export type EnqueueResult = WorkInfo & { outcome: UniqueOutcome };

/** Policies for unique one-time work; the first is the default. */
const WORK_POLICIES: readonly ExistingWorkPolicy[] = ['keep', 'replace', 'append', 'append-or-replace'];
/** Policies for unique periodic work; the first is the default. */
const PERIODIC_POLICIES: readonly ExistingPeriodicWorkPolicy[] = ['keep', 'update', 'cancel-and-reenqueue'];

/**
 * Registers `offstage enqueue` on the program.
 *
 * @example
 * enqueueCommand(program, io)
 * // $ offstage enqueue sync-data --input '{"account":"alice"}' --delay 5m --tag sync
 * // $ offstage enqueue refresh-feed --every 1h --flex 15m --unique feed --policy update
 * // $ offstage enqueue nightly-report --cron '0 3 * * *' --timezone Europe/Paris
 * // $ offstage enqueue upload --after 3f2a9c1e-0b7d-4d1e-9a51-2c3b4d5e6f70 --expedited
 * // $ offstage enqueue backup --network unmetered --charging --battery-not-low 0.3
 */
export function enqueueCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('enqueue').description('enqueue one work item for a task: one-time, periodic, unique or chained').argument('<task>', 'task name'))
    .option('--input <json>', 'input as JSON, e.g. \'{"id": 42}\'')
    .option('--delay <duration>', "wait before the first attempt (the first run, for periodic work), e.g. '30s', '5m'")
    .option('--start-at <time>', 'do not start before this ISO 8601 time')
    .option('--tag <tag>', 'a tag (repeatable, or comma-separated)', collect())
    .addOption(new Option('--priority <priority>', 'order among due work').choices(Object.keys(PRIORITY_RANK)))
    .option('--expedited', 'run ahead of all other due work, whatever its priority')
    .option('--max-attempts <n>', "attempts before it fails for good (default: the task's, else 5)", parseInteger('--max-attempts'))
    .option('--timeout <duration>', "abort an attempt that runs longer than this, e.g. '2m'")
    .option('--every <duration>', "periodic: run every this long, each period counted from the end of the previous run, e.g. '1h'")
    .option('--flex <duration>', "periodic with --every: run within the last this long of each period, e.g. '15m'")
    .option('--cron <expression>', "periodic: run on a cron schedule (5 or 6 fields), e.g. '0 3 * * *'")
    .option('--timezone <zone>', "IANA time zone for --cron, e.g. 'Europe/Paris' (default UTC)")
    .option('--end-on-failure', 'periodic: end the series when a run fails for good (default: the next period still runs)')
    .option('--unique <name>', 'enqueue under a unique name; --policy says what to do when the name already has unfinished work')
    .option(
      '--policy <policy>',
      `with --unique: one-time work ${WORK_POLICIES.join('|')} (default keep); periodic work ${PERIODIC_POLICIES.join('|')} (default keep)`,
    )
    .option('--after <id>', 'start only after this work succeeds (repeatable, or comma-separated); the item is blocked until then', collect())
    .addOption(new Option('--input-merger <merger>', "how prerequisites' outputs merge into the input (default overwrite)").choices(['overwrite', 'array']))
    .option('--network <kind>', `wait for a network: ${NETWORK_KINDS.join(', ')} (on Node, metered and roaming cannot be known and read as no)`)
    .option('--charging', 'wait until the machine is on mains power (no battery found counts as mains)')
    .option('--battery-not-low [fraction]', 'wait until the battery is above this fraction (default 0.15; no battery counts as full)')
    .option('--storage-not-low', 'wait until free storage is not low (under 10% and under 1 GiB free)')
    .option('--device-idle', 'wait until the machine is idle (1-minute load under 0.3 per core)')
    .option('--memory-below <fraction>', 'wait until the fraction of memory in use is below this, e.g. 0.8')
    .action(async (task: string, options: EnqueueOptions) => {
      const plan = planEnqueue(task, options);
      const result = await withEngine(io, options, async (engine) => {
        const enqueued = await plan.run(engine);
        // Read it back: in the same transaction the chain rule may already have failed or cancelled
        // it (appended after a failed or cancelled item), and the kept item may have moved on.
        const stored = await engine.getWorkInfo(enqueued.id);
        return stored ? { ...stored, outcome: enqueued.outcome } : enqueued;
      });
      if (options.json) printJson(io, result);
      else printLines(io, describeResult(result, options.unique));
    });
}

interface PlannedEnqueue {
  run(engine: WorkEngine): Promise<EnqueueResult>;
}

/** Validates everything that can be checked without the database and returns how to enqueue. */
function planEnqueue(task: string, options: EnqueueOptions): PlannedEnqueue {
  const request = buildRequest(options);
  const periodic = options.every !== undefined || options.cron !== undefined;
  if (!periodic) {
    const stray = [
      ['--flex', options.flex],
      ['--timezone', options.timezone],
      ['--end-on-failure', options.endOnFailure],
    ].find(([, value]) => value !== undefined);
    if (stray) throw new InvalidOptionError(`The ${String(stray[0])} option only applies to periodic work; add --every <duration> or --cron <expression>.`);
  }
  if (options.policy !== undefined && options.unique === undefined) {
    throw new InvalidOptionError(`The --policy option only applies to unique work; add --unique <name>.`);
  }
  if (options.unique !== undefined) validateName(options.unique, 'unique name');
  const validation = { id: 'validation', now: Date.now(), task: undefined, maxInputBytes: DEFAULT_MAX_INPUT_BYTES, cron: cronerParser, uniqueName: options.unique ?? null };

  if (periodic) {
    if (options.after !== undefined) {
      throw new InvalidOptionError(`Periodic work never finishes, so it cannot be chained with --after; chain one-time work, or drop --every/--cron.`);
    }
    if (options.inputMerger !== undefined) throw new InvalidOptionError(`The --input-merger option only applies to one-time work that runs --after other work.`);
    const { after: _after, inputMerger: _merger, ...rest } = request;
    const periodicRequest: PeriodicWorkRequest = { ...rest };
    if (options.every !== undefined) periodicRequest.every = options.every;
    if (options.flex !== undefined) periodicRequest.flex = options.flex;
    if (options.cron !== undefined) periodicRequest.cron = options.cron;
    if (options.timezone !== undefined) periodicRequest.timezone = options.timezone;
    if (options.endOnFailure) periodicRequest.endOnFailure = true;
    planPeriodicWork(task, periodicRequest, validation);
    if (options.unique === undefined) return { run: async (engine) => ({ ...(await engine.enqueuePeriodic(task, periodicRequest)), outcome: 'enqueued' }) };
    const name = options.unique;
    const policy = choosePolicy(options.policy, PERIODIC_POLICIES, 'periodic', WORK_POLICIES);
    return {
      run: async (engine) => {
        const { outcome, work } = await engine.enqueueUniquePeriodic(name, task, policy, periodicRequest);
        return { ...work, outcome };
      },
    };
  }

  planWork(task, request, validation);
  if (options.unique === undefined) return { run: async (engine) => ({ ...(await engine.enqueue(task, request)), outcome: 'enqueued' }) };
  const name = options.unique;
  const policy = choosePolicy(options.policy, WORK_POLICIES, 'one-time', PERIODIC_POLICIES);
  return {
    run: async (engine) => {
      const { outcome, work } = await engine.enqueueUnique(name, task, policy, request);
      return { ...work, outcome };
    },
  };
}

/** The policy (default keep), or an error that says which kind of work takes which policies. */
function choosePolicy<P extends string>(given: string | undefined, policies: readonly P[], kind: string, otherPolicies: readonly string[]): P {
  if (given === undefined) return policies[0]!;
  if ((policies as readonly string[]).includes(given)) return given as P;
  if (!otherPolicies.includes(given)) throw new InvalidOptionError(`The --policy '${given}' is unknown; for ${kind} work use one of ${policies.join(', ')}.`);
  const other = kind === 'periodic' ? 'one-time' : 'periodic';
  throw new InvalidOptionError(`The --policy '${given}' is for ${other} work, not ${kind} work; use one of ${policies.join(', ')}.`);
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
  if (options.expedited) request.expedited = true;
  if (options.maxAttempts !== undefined) request.maxAttempts = options.maxAttempts;
  if (options.timeout !== undefined) request.timeout = options.timeout;
  if (options.after) request.after = options.after;
  if (options.inputMerger) request.inputMerger = options.inputMerger;
  const constraints = buildConstraints(options);
  if (constraints) request.constraints = constraints;
  return request;
}

/** The constraint flags as core's Constraints, or undefined; bad values name their flag. */
function buildConstraints(options: EnqueueOptions): Constraints | undefined {
  const constraints: Constraints = {};
  if (options.network !== undefined) {
    if (!(NETWORK_KINDS as readonly string[]).includes(options.network)) {
      throw new InvalidOptionError(`The --network kind '${options.network}' is unknown; use one of ${NETWORK_KINDS.join(', ')}.`);
    }
    constraints.network = options.network as Constraints['network'];
  }
  if (options.charging) constraints.charging = true;
  if (options.batteryNotLow !== undefined) {
    constraints.batteryNotLow = options.batteryNotLow === true ? true : parseFraction('--battery-not-low', options.batteryNotLow as string);
  }
  if (options.storageNotLow) constraints.storageNotLow = true;
  if (options.deviceIdle) constraints.deviceIdle = true;
  if (options.memoryBelow !== undefined) constraints.memoryBelow = parseFraction('--memory-below', options.memoryBelow);
  return Object.keys(constraints).length > 0 ? constraints : undefined;
}

function parseFraction(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new InvalidOptionError(`The ${flag} value '${value}' is not a number; pass a fraction from 0 to 1, such as 0.2.`);
  }
  if (n < 0 || n > 1) throw new InvalidOptionError(`The ${flag} threshold ${value} is outside 0..1; pass a fraction such as 0.2 (20%).`);
  return n;
}

function describeResult(result: EnqueueResult, uniqueName: string | undefined): string {
  const name = JSON.stringify(uniqueName);
  switch (result.outcome) {
    case 'kept':
      return `kept ${result.id}: the unique name ${name} already has unfinished work (${result.taskName}, ${result.state}); nothing enqueued`;
    case 'replaced':
      return `replaced: cancelled the unfinished work under ${name} and enqueued ${result.id} (${describeWork(result)})`;
    case 'appended':
      if (result.state === 'cancelled' || result.state === 'failed') {
        return (
          `appended ${result.id} to the work under ${name}, but it is already ${result.state}: work it was appended after ` +
          `was ${result.state === 'failed' ? 'failed' : 'cancelled'}; use --policy append-or-replace to start afresh instead`
        );
      }
      return `appended ${result.id} to the work under ${name} (${describeWork(result)})`;
    case 'updated':
      return `updated ${result.id} in place under ${name}, keeping its id and history (${describeWork(result)})`;
    default:
      return `enqueued ${result.id} (${describeWork(result)}${uniqueName === undefined ? '' : `, unique name ${name}`})`;
  }
}

function describeWork(info: WorkInfo): string {
  const now = Date.now();
  const due = info.nextRunAt && info.nextRunAt.getTime() > now + 1000 ? formatRelativeTime(info.nextRunAt, now) : 'now';
  const when =
    info.state === 'blocked'
      ? `blocked until ${info.prerequisites.length} prerequisite${info.prerequisites.length === 1 ? '' : 's'} succeed${info.prerequisites.length === 1 ? 's' : ''}`
      : info.schedule
        ? `${formatSchedule(info.schedule)}, ${due === 'now' ? 'next run due now' : `next run ${due}`}`
        : due === 'now'
          ? 'due now'
          : `runs ${due}`;
  const priority = info.expedited ? 'expedited' : `priority ${formatPriority(info)}`;
  const attempts = info.maxAttempts === null ? "the task's default attempts" : `up to ${info.maxAttempts} attempt${info.maxAttempts === 1 ? '' : 's'}`;
  const tags = info.tags.length ? `, tags ${info.tags.join(', ')}` : '';
  const waiting = info.waitingFor.length ? `; not met here now: ${info.waitingFor.join(', ')}` : '';
  const constraints = info.constraints ? `, constraints ${formatConstraints(info.constraints)}${waiting}` : '';
  return `${info.taskName}, ${when}, ${priority}, ${attempts}${tags}${constraints}`;
}
