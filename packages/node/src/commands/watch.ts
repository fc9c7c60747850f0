/**
 * `offstage watch <id>`: follows one work item run by a worker in another process, with a live
 * progress bar on a terminal (one line per change otherwise), and exits when it finishes: 0 when
 * it succeeded, 1 when it failed or was cancelled. Read-only: it must never change a row, and it
 * must never poll the database in a tight loop.
 *
 * How it learns of changes: SQLite has no notifications across processes, but every change a
 * worker makes (claim, progress, settle, heartbeat) is a write to the database file or its `-wal`.
 * So `watch` opens the engine without starting it, subscribes to the item (`engine.subscribe`),
 * and runs the preset's {@link FileWatchScheduler} on the file: each write (debounced) calls
 * `engine.wake()`, which re-reads the item once; the subscription reports only real changes. An
 * idle item costs nothing. On top of that, a slow safety re-read every {@link SAFETY_REREAD_MS}:
 * `fs.watch` is best effort (network and some container filesystems deliver no events, a watch
 * can fail on inotify limits, and a commit that lands just after a debounced read is seen only at
 * the next write), so without it a missed final write could leave `watch` waiting forever. One
 * cheap query every 2 s bounds that delay without turning into a poll loop.
 */
import type { Command } from 'commander';
import { FINISHED_STATES, WorkNotFoundError, type WorkInfo } from '@offstage/core';
import { CliExit, dbPath, withCommonOptions, type CliIo, type CommonOptions } from '../cli-io.js';
import { createOffstage } from '../create-offstage.js';
import { createWatchView } from '../format/watch-view.js';
import { FileWatchScheduler } from '../schedulers/file-watch-scheduler.js';

/**
 * How often `watch` re-reads the item even when the file watch reports nothing (see the module).
 *
 * @example
 * setInterval(() => engine.wake(), SAFETY_REREAD_MS)
 */
export const SAFETY_REREAD_MS = 2000;

/**
 * How a watch ended: the item's final WorkInfo, or null when stopped by a signal.
 *
 * @example
 * const { last, exitCode }: WatchOutcome = await watchWork({ db, id }, io)
 */
export interface WatchOutcome {
  last: WorkInfo | null;
  /** 0 succeeded, 1 failed or cancelled, 130 interrupted. */
  exitCode: number;
}

/**
 * Registers `offstage watch` on the program.
 *
 * @example
 * watchCommand(program, io)
 * // $ offstage watch 3f2a9c1e-0b7d-4d1e-9a51-2c3b4d5e6f70 && echo done
 */
export function watchCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(
    program
      .command('watch')
      .description('follow one item with live progress until it finishes; exit 0 if it succeeded, 1 if it failed or was cancelled (--json: one WorkInfo per line)')
      .argument('<id>', 'work id'),
  ).action(async (id: string, options: CommonOptions) => {
    const { exitCode } = await watchWork({ db: dbPath(io, options.db), id, json: options.json }, io);
    if (exitCode !== 0) throw new CliExit(exitCode);
  });
}

/**
 * Follows one item until it finishes (or SIGINT/SIGTERM), rendering each change; always closes
 * the database and the watch.
 *
 * @example
 * const { exitCode } = await watchWork({ db: './offstage.db', id }, processIo())
 */
export async function watchWork(options: { db: string; id: string; json?: boolean }, io: CliIo): Promise<WatchOutcome> {
  const engine = createOffstage({ db: options.db, watch: false });
  const view = createWatchView(io, { json: options.json });
  let scheduler: FileWatchScheduler | null = null;
  let safety: ReturnType<typeof setInterval> | null = null;
  let unsubscribe = (): void => undefined;
  let finish!: (last: WorkInfo | null) => void;
  const finished = new Promise<WorkInfo | null>((resolve) => (finish = resolve));
  const onSignal = (): void => finish(null);
  try {
    if (!(await engine.getWorkInfo(options.id))) throw new WorkNotFoundError(options.id);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    unsubscribe = engine.subscribe(options.id, (info) => {
      view.update(info);
      if (FINISHED_STATES.includes(info.state)) finish(info);
    });
    if (options.db !== ':memory:') {
      scheduler = new FileWatchScheduler({
        path: options.db,
        onChange: () => engine.wake(),
        onError: (error) => view.note(`offstage: the file watch failed (${(error as Error)?.message ?? String(error)}); re-reading every ${SAFETY_REREAD_MS / 1000}s instead`),
      });
      try {
        scheduler.start();
      } catch (error) {
        view.note(`offstage: cannot watch the database file (${(error as Error).message}); re-reading every ${SAFETY_REREAD_MS / 1000}s instead`);
      }
    }
    safety = setInterval(() => engine.wake(), SAFETY_REREAD_MS);
    const last = await finished;
    if (last === null) view.note('stopped watching; the work goes on');
    return { last, exitCode: last === null ? 130 : last.state === 'succeeded' ? 0 : 1 };
  } finally {
    unsubscribe();
    if (safety !== null) clearInterval(safety);
    scheduler?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    view.stop();
    await engine.close();
  }
}
