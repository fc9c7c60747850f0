/**
 * `offstage show <id>`: one work item, its schedule and next run (periodic work), its place in a
 * chain (prerequisites and dependents, with their states), its constraints and what it waits for
 * (as this process's trackers see the machine), and its whole run journal (every attempt: start,
 * end, duration, outcome, error, stop reason, retry rule, worker). Read-only: it must never change
 * a row.
 */
import type { Command } from 'commander';
import { formatDuration, WorkNotFoundError, type RunRecord, type WorkEngine, type WorkInfo, type WorkState } from '@offstage/core';
import { printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';
import { formatConstraints, formatPriority, formatSchedule, shortJson } from '../format/describe-work.js';
import { formatRelativeTime } from '../format/relative-time.js';
import { formatTable } from '../format/table.js';

/**
 * A journal row with its duration, as `show --json` prints it (oldest first).
 *
 * @example
 * const { runs } = JSON.parse(stdout) as { runs: ShownRun[] }
 */
export type ShownRun = RunRecord & { durationMs: number | null };

/**
 * Another item of the chain, as `show` names it.
 *
 * @example
 * const step: ChainNeighbour = { id: '0190…', taskName: 'download', state: 'succeeded' }
 */
export interface ChainNeighbour {
  id: string;
  /** `?` for a prerequisite that has been pruned. */
  taskName: string;
  /** `pruned` for a prerequisite that finished and has since been deleted. */
  state: WorkState | 'pruned';
}

/**
 * Where an item sits in its chain, as `show --json` prints it (`chain` is null for work that
 * neither waits for nor is waited on by other work).
 *
 * @example
 * const { chain } = JSON.parse(stdout) as { chain: ShownChain | null }
 * chain?.step // 2
 */
export interface ShownChain {
  /** 1 for a first step; otherwise one more than its furthest prerequisite. */
  step: number;
  /** Steps on the longest path through this item, first step to last. */
  steps: number;
  /** What this item waits for, in prerequisite order. */
  prerequisites: ChainNeighbour[];
  /** What waits for this item. */
  dependents: ChainNeighbour[];
}

/**
 * What `show --json` prints.
 *
 * @example
 * const { work, chain, runs } = JSON.parse(stdout) as ShownWork
 */
export interface ShownWork {
  work: WorkInfo;
  chain: ShownChain | null;
  runs: ShownRun[];
}

/** How far up and down a chain `show` walks, so a huge graph cannot make it slow. */
const MAX_CHAIN_ITEMS = 500;

/**
 * Registers `offstage show` on the program.
 *
 * @example
 * showCommand(program, io)
 * // $ offstage show 3f2a9c1e-0b7d-4d1e-9a51-2c3b4d5e6f70 --json
 */
export function showCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('show').description('show one work item, its schedule, its place in a chain and its run journal').argument('<id>', 'work id'))
    .action(async (id: string, options: CommonOptions) => {
      const shown = await withEngine(io, options, async (engine): Promise<ShownWork> => {
        const work = await engine.getWorkInfo(id);
        if (!work) throw new WorkNotFoundError(id);
        const journal = await engine.journal({ workId: id, limit: 10_000 });
        const runs = journal.reverse().map((r): ShownRun => ({ ...r, durationMs: r.endedAt === null ? null : r.endedAt - r.startedAt }));
        return { work, chain: await chainOf(engine, work), runs };
      });
      if (options.json) return printJson(io, shown);
      printLines(io, formatWork(shown.work, shown.chain), '');
      if (shown.chain) printLines(io, formatChain(shown.chain), '');
      printLines(io, shown.runs.length ? formatRuns(shown.runs) : 'No attempts yet.');
    });
}

/**
 * Finds an item's place in its chain: its prerequisites and dependents, and its step number,
 * walking up and down the chain a level (one query) at a time.
 *
 * @example
 * (await chainOf(engine, await engine.getWorkInfo(id)))?.step // 2
 */
export async function chainOf(engine: WorkEngine, work: WorkInfo): Promise<ShownChain | null> {
  const dependents = oldestFirst(await engine.query({ dependentsOf: work.id, limit: MAX_CHAIN_ITEMS }));
  if (work.prerequisites.length === 0 && dependents.length === 0) return null;
  const neighbour = (w: WorkInfo): ChainNeighbour => ({ id: w.id, taskName: w.taskName, state: w.state });

  // Up: every ancestor, so the step number is the longest path from a first step.
  const ancestors = new Map<string, WorkInfo>();
  for (let level = work.prerequisites; level.length > 0 && ancestors.size < MAX_CHAIN_ITEMS; ) {
    const found = await engine.query({ ids: level, limit: level.length });
    for (const w of found) ancestors.set(w.id, w);
    level = [...new Set(found.flatMap((w) => w.prerequisites))].filter((p) => !ancestors.has(p));
  }
  const depth = new Map<string, number>();
  const depthOf = (w: WorkInfo, seen: Set<string>): number => {
    const known = depth.get(w.id);
    if (known !== undefined) return known;
    seen.add(w.id);
    const parents = w.prerequisites.map((p) => ancestors.get(p)).filter((p): p is WorkInfo => p !== undefined && !seen.has(p.id));
    const d = 1 + Math.max(0, ...parents.map((p) => depthOf(p, seen)));
    depth.set(w.id, d);
    return d;
  };
  const step = depthOf(work, new Set());

  // Down: the longest path of dependents after this item.
  let below = 0;
  const visited = new Set<string>([work.id]);
  for (let level = dependents; level.length > 0 && visited.size < MAX_CHAIN_ITEMS; below++) {
    for (const w of level) visited.add(w.id);
    const next = new Map<string, WorkInfo>();
    for (const w of level) for (const d of await engine.query({ dependentsOf: w.id, limit: MAX_CHAIN_ITEMS })) if (!visited.has(d.id)) next.set(d.id, d);
    level = [...next.values()];
  }

  const byId = new Map(work.prerequisites.map((p) => [p, ancestors.get(p)]));
  const prerequisites = work.prerequisites.map((p): ChainNeighbour => {
    const found = byId.get(p);
    return found ? neighbour(found) : { id: p, taskName: '?', state: 'pruned' };
  });
  return { step, steps: step + below, prerequisites, dependents: dependents.map(neighbour) };
}

/** Queries return newest first (by time, then insertion); a chain reads better in the order its steps were enqueued. */
function oldestFirst(items: WorkInfo[]): WorkInfo[] {
  return items.reverse();
}

/**
 * The chain in one line: `step 2 of 3: after download (succeeded); next: resize (blocked), thumbnail (blocked)`.
 *
 * @example
 * printLines(io, describeChain(chain))
 */
export function describeChain(chain: ShownChain): string {
  const list = (items: readonly ChainNeighbour[]): string => items.map((w) => `${w.taskName} (${w.state})`).join(', ');
  const links = [];
  if (chain.prerequisites.length) links.push(`after ${list(chain.prerequisites)}`);
  links.push(chain.dependents.length ? `next: ${list(chain.dependents)}` : 'last step');
  return `step ${chain.step} of ${chain.steps}: ${links.join('; ')}`;
}

function formatWork(w: WorkInfo, chain: ShownChain | null): string {
  const now = Date.now();
  const at = (d: Date | null): string => (d ? `${d.toISOString()} (${formatRelativeTime(d, now)})` : '-');
  const rows: Array<[string, string]> = [
    ['id', w.id],
    ['task', w.taskName],
    ['state', w.state],
    ['attempts', w.maxAttempts === null ? `${w.attempt} of the task's default (5 unless the task sets maxAttempts)` : `${w.attempt} of ${w.maxAttempts}`],
    ['priority', w.expedited ? 'expedited (runs ahead of every priority)' : formatPriority(w)],
    ['unique name', w.uniqueName ?? '-'],
  ];
  if (w.schedule) rows.push(['schedule', `periodic, ${formatSchedule(w.schedule, { long: true })}`]);
  if (chain) rows.push(['chain', describeChain(chain)]);
  if (w.constraints) {
    rows.push(['constraints', formatConstraints(w.constraints)]);
    // waitingFor is computed from this process's trackers: the worker's machine may differ.
    if (w.state === 'enqueued') {
      rows.push(['waiting for', w.waitingFor.length ? `${w.waitingFor.join(', ')} (as this process's trackers see this machine)` : "nothing: its constraints are met now (as this process's trackers see this machine)"]);
    }
  }
  rows.push(
    ['tags', w.tags.join(', ') || '-'],
    ['input', shortJson(w.input)],
    ['output', shortJson(w.output)],
    ['progress', shortJson(w.progress)],
    ['last error', w.lastError ?? '-'],
    ['created', at(w.createdAt)],
    ['updated', at(w.updatedAt)],
    ['next run', w.schedule && w.state === 'running' ? 'after this run completes' : at(w.nextRunAt)],
    ['finished', at(w.finishedAt)],
  );
  return rows.map(([k, v]) => `${k.padEnd(11)} ${v}`).join('\n');
}

function formatChain(chain: ShownChain): string {
  const rows = [...chain.prerequisites.map((w) => ({ ...w, role: 'after' })), ...chain.dependents.map((w) => ({ ...w, role: 'next' }))];
  return formatTable(rows, [
    { header: 'CHAIN', value: (r) => r.role },
    { header: 'ID', value: (r) => r.id },
    { header: 'TASK', value: (r) => r.taskName },
    { header: 'STATE', value: (r) => r.state },
  ]);
}

function formatRuns(runs: readonly ShownRun[]): string {
  return formatTable(runs, [
    { header: 'ATTEMPT', value: (r) => r.attempt, align: 'right' },
    { header: 'STARTED', value: (r) => new Date(r.startedAt).toISOString() },
    { header: 'ENDED', value: (r) => (r.endedAt === null ? null : new Date(r.endedAt).toISOString()) },
    { header: 'DURATION', value: (r) => (r.durationMs === null ? 'running' : formatDuration(r.durationMs)), align: 'right' },
    { header: 'OUTCOME', value: (r) => r.outcome ?? 'running' },
    { header: 'STOP REASON', value: (r) => r.stopReason },
    // The retry rule a classifier chose; the column appears only when one did.
    ...(runs.some((r) => r.rule !== null) ? [{ header: 'RULE', value: (r: ShownRun) => r.rule }] : []),
    { header: 'WORKER', value: (r) => r.workerId },
    { header: 'ERROR', value: (r) => r.error },
  ]);
}
