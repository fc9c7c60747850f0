/**
 * `offstage status`: counts by state, a per-task table with due counts, when work is next due,
 * and whether background work can run on this platform (`getStatus()`). The CLI registers no handlers, so it cannot know which tasks some worker runs; it flags
 * tasks with due work and nothing running, which is what unregistered work looks like. Read-only.
 */
import type { Command } from 'commander';
import { WORK_STATES, type PlatformStatus, type StateCounts, type WorkState } from '@offstage/core';
import { printJson, printLines, withCommonOptions, withEngine, type CliIo, type CommonOptions } from '../cli-io.js';
import { formatRelativeTime } from '../format/relative-time.js';
import { formatTable } from '../format/table.js';

/**
 * What `status --json` prints.
 *
 * @example
 * const report = JSON.parse(stdout) as StatusReport
 */
export interface StatusReport {
  /** The database file. */
  db: string;
  /** Work items by state. */
  counts: StateCounts;
  /** Per task: items by state, and how many enqueued items are due now. */
  tasks: Array<{ taskName: string; counts: Partial<StateCounts>; due: number; dueButNotRunning: boolean }>;
  /** When work is next due (or a lease next expires); null when nothing is pending. */
  nextWakeAt: Date | null;
  /** Whether background work can run here now, and on what platform (the engine's `getStatus()`). */
  platform: PlatformStatus & { platform: string };
}

/**
 * Registers `offstage status` on the program.
 *
 * @example
 * statusCommand(program, io)
 * // $ offstage status --db ./offstage.db
 */
export function statusCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('status').description('counts by state and task, and when work is next due'))
    .action(async (options: CommonOptions) => {
      const { status, platform } = await withEngine(io, options, async (engine) => ({ status: await engine.status(), platform: engine.getStatus() }));
      const report: StatusReport = {
        db: options.db,
        counts: status.counts,
        tasks: status.tasks.map((t) => ({
          taskName: t.taskName,
          counts: t.counts,
          due: t.due,
          dueButNotRunning: t.due > 0 && (t.counts.running ?? 0) === 0,
        })),
        nextWakeAt: status.nextWakeAt,
        platform,
      };
      if (options.json) printJson(io, report);
      else printLines(io, formatStatus(report));
    });
}

function formatStatus(report: StatusReport): string {
  const now = Date.now();
  const total = WORK_STATES.reduce((n, s) => n + report.counts[s], 0);
  const p = report.platform;
  const platformLine = `platform: ${p.platform}, background work ${p.status}${p.reason ? ` (${p.reason})` : ''}`;
  if (total === 0) return `No work in ${report.db}.\n${platformLine}`;
  const lines = [WORK_STATES.filter((s) => report.counts[s] > 0 || s === 'enqueued' || s === 'running').map((s) => `${s} ${report.counts[s]}`).join('   '), ''];
  const shown: WorkState[] = ['enqueued', 'running', 'succeeded', 'failed', 'cancelled', 'blocked'];
  lines.push(
    formatTable(report.tasks, [
      { header: 'TASK', value: (t) => t.taskName },
      ...shown
        .filter((s) => s !== 'blocked' || report.counts.blocked > 0)
        .map((s) => ({ header: s.toUpperCase(), value: (t: StatusReport['tasks'][number]) => t.counts[s] ?? 0, align: 'right' as const })),
      { header: 'DUE', value: (t) => t.due, align: 'right' },
      { header: 'NOTE', value: (t) => (t.dueButNotRunning ? 'due, none running' : '') },
    ]),
    '',
  );
  const next = report.nextWakeAt;
  lines.push(platformLine);
  lines.push(`next due: ${next === null ? 'nothing pending' : next.getTime() <= now ? 'now' : `${formatRelativeTime(next, now)} (${next.toISOString()})`}`);
  const stalled = report.tasks.filter((t) => t.dueButNotRunning);
  if (stalled.length > 0) {
    const due = stalled.reduce((n, t) => n + t.due, 0);
    lines.push(
      `${due} item${due === 1 ? ' is' : 's are'} due with none running (${stalled.map((t) => t.taskName).join(', ')}); ` +
        'is a worker running with these tasks registered? (offstage worker <module>)',
    );
  }
  return lines.join('\n');
}
