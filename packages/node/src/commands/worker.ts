/**
 * `offstage worker <module>`: runs the tasks a module exports until SIGINT/SIGTERM, logging one
 * line per lifecycle event. On a signal it stops claiming, lets running handlers finish within
 * the grace, aborts the rest (they return to the queue uncharged), closes the store and exits 0.
 * It must never exit with work half-settled while the store is still open.
 */
import type { Command } from 'commander';
import { parseDuration } from '@offstage/core';
import { checkProbeUrl, dbPath, parseInteger, withCommonOptions, type CliIo, type CommonOptions } from '../cli-io.js';
import { createOffstage } from '../create-offstage.js';
import { logWorkEvents } from '../format/log-work-events.js';
import { loadTasksModule } from '../load-tasks-module.js';

interface WorkerOptions extends CommonOptions {
  probe?: string;
  concurrency?: number;
  leaseTime?: string;
  grace?: string;
}

/**
 * Registers `offstage worker` on the program.
 *
 * @example
 * workerCommand(program, io)
 * // $ offstage worker ./tasks.mjs --concurrency 8 --lease-time 1m --grace 30s
 * // $ offstage worker ./tasks.mjs --probe https://api.example.com/health
 */
export function workerCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(
    program
      .command('worker')
      .description('run the tasks a module exports until SIGINT/SIGTERM (--json: one JSON event per line)')
      .argument('<module>', 'tasks module (.js, .mjs; .ts under a TypeScript loader)'),
  )
    .option('--concurrency <n>', 'attempts run at once (default 4)', parseInteger('--concurrency', 1))
    .option('--lease-time <duration>', "how long a claim holds work without a heartbeat (default '30s')")
    .option('--grace <duration>', "on shutdown, how long running handlers may finish (default '10s')")
    .option('--probe <url>', "network constraints also need this URL to answer (HEAD, below HTTP 500), not just an interface up")
    .action(async (modulePath: string, options: WorkerOptions) => {
      // Check everything that can be wrong before the database is opened.
      if (options.leaseTime !== undefined) parseDuration(options.leaseTime, '--lease-time');
      if (options.grace !== undefined) parseDuration(options.grace, '--grace');
      if (options.probe !== undefined) checkProbeUrl(options.probe);
      const loaded = await loadTasksModule(modulePath, io.cwd);
      const db = dbPath(io, options.db);
      const engine = createOffstage({
        db,
        tasks: loaded.tasks,
        concurrency: options.concurrency ?? loaded.options.concurrency,
        leaseTime: options.leaseTime ?? loaded.options.leaseTime,
        shutdownGrace: options.grace ?? loaded.options.shutdownGrace,
        trackerOptions: { probeUrl: options.probe },
      });
      const say = (line: string): void => {
        if (!options.json) io.stdout.write(`${line}\n`);
      };
      const unsubscribe = logWorkEvents(engine, {
        json: options.json,
        write: (line) => io.stdout.write(line),
        writeError: (line) => io.stderr.write(line),
      });
      // Nothing may be pending (and :memory: has no file watch): keep the process alive until a signal.
      const keepAlive = setInterval(() => undefined, 2 ** 30);
      let closed = false;
      try {
        const status = await engine.status();
        for (const u of status.unhandled) {
          io.stderr.write(
            `offstage: warning: ${u.enqueued} enqueued item${u.enqueued === 1 ? '' : 's'} for task "${u.taskName}", which ${loaded.path} does not register; ` +
              'they stay enqueued for a worker that does.\n',
          );
        }
        const names = engine.taskNames();
        const due = status.tasks.reduce((n, t) => n + (t.registered ? t.due : 0), 0);
        say(
          `worker ${engine.workerId} on ${db}: ${names.length} task${names.length === 1 ? '' : 's'} (${names.join(', ')}), ` +
            `concurrency ${engine.concurrency}, ${due} item${due === 1 ? '' : 's'} due now`,
        );
        const signal = waitForSignal(() => {
          say('second signal: exiting now; unfinished work returns to the queue when its lease expires');
          process.exit(1);
        });
        await engine.start();
        say('ready: waiting for work (Ctrl-C to stop)');
        const received = await signal;
        say(`${received}: stopping; running work has ${options.grace ?? loaded.options.shutdownGrace ?? '10s'} to finish`);
        await engine.close();
        closed = true;
        say('stopped');
      } finally {
        clearInterval(keepAlive);
        unsubscribe();
        if (!closed) await engine.close({ grace: 0 }).catch(() => undefined);
      }
    });
}

/** Resolves with the first SIGINT/SIGTERM's name; a second signal calls `onSecond`. */
function waitForSignal(onSecond: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals): void => {
      if (received) return onSecond();
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
