/**
 * `offstage demo`: the guided tour (what `npm start` runs). It only parses options; the demo
 * itself lives in `src/demo/`. It must finish within its duration plus the shutdown grace.
 */
import type { Command } from 'commander';
import { InvalidOptionError, parseDuration } from '@offstage/core';
import { dbPath, withCommonOptions, type CliIo, type CommonOptions } from '../cli-io.js';
import { runDemo } from '../demo/run-demo.js';

interface DemoOptions extends CommonOptions {
  duration: string;
  fresh?: boolean;
  offlineFor?: string;
}

/**
 * Registers `offstage demo` on the program.
 *
 * @example
 * demoCommand(program, io)
 * // $ offstage demo --duration 20s --fresh
 * // $ offstage demo --offline-for 0   # the network never drops
 */
export function demoCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('demo').description('run a worker with example tasks for a while, with live progress and a summary'))
    .option('--duration <duration>', 'how long the worker runs (task timings scale with it)', '20s')
    .option('--fresh', 'delete the database first')
    .option('--offline-for <duration>', "how long the demo's network reports offline at the start, so a network-constrained sync waits (default 4s, scaled like the duration; 0 for never)")
    .action(async (options: DemoOptions) => {
      const durationMs = parseDuration(options.duration, '--duration');
      if (durationMs < 1000) throw new InvalidOptionError(`The --duration ${options.duration} is too short; use at least '1s'.`);
      const offlineForMs = options.offlineFor === undefined ? undefined : parseDuration(options.offlineFor, '--offline-for');
      if (offlineForMs !== undefined && offlineForMs >= durationMs) {
        throw new InvalidOptionError(`The --offline-for ${options.offlineFor} is not shorter than the --duration ${options.duration}; the network must come back for the sync to run.`);
      }
      await runDemo({ db: dbPath(io, options.db), durationMs, fresh: options.fresh, json: options.json, offlineForMs }, io);
    });
}
