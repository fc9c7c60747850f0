/**
 * `offstage run-due --budget <dur> <module>`: drains due work inside a time limit and exits, for a
 * cron job or a serverless function that is granted a fixed slice of time. It opens the engine
 * without starting its worker loop (no timer, no file watch), calls `runDue({ budget })` and
 * prints the report. It must always close the database, and exits 0 whatever the work's outcome:
 * failures are in the report and the journal, not in the exit code.
 */
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { formatDuration, InvalidOptionError, parseDuration, type RunDueReport } from '@offstage/core';
import { checkProbeUrl, dbPath, parseInteger, printJson, printLines, withCommonOptions, type CliIo, type CommonOptions } from '../cli-io.js';
import { createOffstage } from '../create-offstage.js';
import { formatRelativeTime } from '../format/relative-time.js';
import { formatTable } from '../format/table.js';
import { loadTasksModule } from '../load-tasks-module.js';
import { startProbedTrackers } from '../trackers/node-trackers.js';

interface RunDueOptions extends CommonOptions {
  probe?: string;
  budget: string;
  concurrency?: number;
}

/**
 * What `run-due --json` prints: the engine's report, with the database and the budget.
 *
 * @example
 * const { ran, skipped, stillDue } = JSON.parse(stdout) as RunDueResult
 */
export type RunDueResult = RunDueReport & { db: string; budgetMs: number };

/**
 * Registers `offstage run-due` on the program.
 *
 * @example
 * runDueCommand(program, io)
 * // $ offstage run-due --budget 25s ./tasks.mjs
 * // from a crontab line that fires every 5 minutes, drain for at most 4 of them:
 * // $ cd /srv/app && npx offstage run-due --budget 4m ./tasks.mjs >> run-due.log
 */
export function runDueCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(
    program
      .command('run-due')
      .description('run the work that is due within a time budget, then exit (for cron jobs and serverless functions)')
      .argument('<module>', 'tasks module (.js, .mjs; .ts under a TypeScript loader)'),
  )
    .requiredOption('--budget <duration>', "how long this run may take, e.g. '25s'; work still running then is stopped and re-queued uncharged")
    .option('--concurrency <n>', "attempts run at once (default: the module's, else 4)", parseInteger('--concurrency', 1))
    .option('--probe <url>', 'network constraints also need this URL to answer (HEAD, below HTTP 500), not just an interface up')
    .action(async (modulePath: string, options: RunDueOptions) => {
      // Check everything that can be wrong before the module is imported and the database opened.
      const budgetMs = parseDuration(options.budget, '--budget');
      if (budgetMs <= 0) throw new InvalidOptionError(`The --budget ${options.budget} leaves no time to run anything; pass a duration above zero, such as '25s'.`);
      if (options.probe !== undefined) checkProbeUrl(options.probe);
      const loaded = await loadTasksModule(modulePath, io.cwd);
      const db = dbPath(io, options.db);
      // Nothing watches the trackers during the window, so a probe must have answered before it opens.
      const probed = options.probe ? await startProbedTrackers({ storagePath: db === ':memory:' ? undefined : dirname(db), probeUrl: options.probe }) : null;
      const engine = createOffstage({
        db,
        watch: false,
        tasks: loaded.tasks,
        concurrency: options.concurrency ?? loaded.options.concurrency,
        leaseTime: loaded.options.leaseTime,
        ...(probed ? { trackers: probed.trackers } : {}),
      });
      // Ctrl-C or a platform's SIGTERM ends the window early, the same way the deadline does.
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let report: RunDueReport;
      try {
        report = await engine.runDue({ budget: budgetMs, signal: abort.signal });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        probed?.stop();
        await engine.close({ grace: 0 });
      }
      const result: RunDueResult = { db, budgetMs, ...report };
      if (options.json) printJson(io, result);
      else printLines(io, formatRunDue(result, Date.now()));
    });
}

/**
 * The report for people: what ran (one row per attempt), what was stopped or skipped, what is
 * still due and when work is next due.
 *
 * @example
 * printLines(io, formatRunDue(result, Date.now()))
 */
export function formatRunDue(r: RunDueResult, now: number): string {
  const attempts = `${r.ran.length} attempt${r.ran.length === 1 ? '' : 's'}`;
  const lines = [`run-due on ${r.db}: ${attempts} ran in ${formatDuration(r.elapsedMs)} of a ${formatDuration(r.budgetMs)} budget`];
  if (r.ran.length > 0) {
    lines.push(
      '',
      formatTable(r.ran, [
        { header: 'OUTCOME', value: (x) => x.outcome },
        { header: 'TASK', value: (x) => x.taskName },
        { header: 'ID', value: (x) => x.id },
      ]),
      '',
    );
  }
  lines.push(
    r.stopped.length === 0
      ? 'stopped at the deadline: none'
      : `stopped at the deadline: ${r.stopped.length} (back in the queue, attempt not charged): ${r.stopped.join(', ')}`,
  );
  lines.push(
    r.skipped.length === 0
      ? 'skipped: none'
      : `skipped: ${r.skipped.map((s) => `${s.taskName} (typically takes ${formatDuration(s.typicalMs)}, more than the budget had left)`).join(', ')}`,
  );
  lines.push(`still due: ${r.stillDue}`);
  const next = r.nextWakeAt;
  lines.push(`next wake: ${next === null ? 'nothing pending' : next.getTime() <= now ? `now (${next.toISOString()}): due work is waiting (for a run, or for its constraints)` : `${formatRelativeTime(next, now)} (${next.toISOString()})`}`);
  return lines.join('\n');
}
