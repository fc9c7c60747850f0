/**
 * `offstage show <id>`: one work item and its whole run journal (every attempt: start, end,
 * duration, outcome, error, stop reason, worker). Read-only: it must never change a row.
 */
import type { Command } from 'commander';
import { formatDuration, WorkNotFoundError, type RunRecord, type WorkInfo } from '@offstage/core';
import { printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';
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
 * Registers `offstage show` on the program.
 *
 * @example
 * showCommand(program, io)
 * // $ offstage show 3f2a9c1e-0b7d-4d1e-9a51-2c3b4d5e6f70 --json
 */
export function showCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('show').description('show one work item and its run journal').argument('<id>', 'work id'))
    .action(async (id: string, options: CommonOptions) => {
      const { work, runs } = await withEngine(io, options, async (engine) => {
        const work = await engine.getWorkInfo(id);
        if (!work) throw new WorkNotFoundError(id);
        const journal = await engine.journal({ workId: id, limit: 10_000 });
        return { work, runs: journal.reverse().map((r): ShownRun => ({ ...r, durationMs: r.endedAt === null ? null : r.endedAt - r.startedAt })) };
      });
      if (options.json) return printJson(io, { work, runs });
      printLines(io, formatWork(work), '');
      printLines(io, runs.length ? formatRuns(runs) : 'No attempts yet.');
    });
}

function formatWork(w: WorkInfo): string {
  const now = Date.now();
  const at = (d: Date | null): string => (d ? `${d.toISOString()} (${formatRelativeTime(d, now)})` : '-');
  const rows: Array<[string, string]> = [
    ['id', w.id],
    ['task', w.taskName],
    ['state', w.state],
    ['attempts', `${w.attempt} of ${w.maxAttempts}`],
    ['priority', w.priority],
    ['tags', w.tags.join(', ') || '-'],
    ['input', json(w.input)],
    ['output', json(w.output)],
    ['progress', json(w.progress)],
    ['last error', w.lastError ?? '-'],
    ['created', at(w.createdAt)],
    ['updated', at(w.updatedAt)],
    ['next run', at(w.nextRunAt)],
    ['finished', at(w.finishedAt)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(11)} ${v}`).join('\n');
}

function formatRuns(runs: readonly ShownRun[]): string {
  return formatTable(runs, [
    { header: 'ATTEMPT', value: (r) => r.attempt, align: 'right' },
    { header: 'STARTED', value: (r) => new Date(r.startedAt).toISOString() },
    { header: 'ENDED', value: (r) => (r.endedAt === null ? null : new Date(r.endedAt).toISOString()) },
    { header: 'DURATION', value: (r) => (r.durationMs === null ? 'running' : formatDuration(r.durationMs)), align: 'right' },
    { header: 'OUTCOME', value: (r) => r.outcome ?? 'running' },
    { header: 'STOP REASON', value: (r) => r.stopReason },
    { header: 'WORKER', value: (r) => r.workerId },
    { header: 'ERROR', value: (r) => r.error },
  ]);
}

function json(value: unknown): string {
  if (value === undefined) return '-';
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
