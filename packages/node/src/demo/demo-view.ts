/**
 * What the demo shows while it runs: on a terminal, live progress bars (one per running item and
 * one overall) drawn with cli-progress, chain steps labelled by their photo; otherwise plain log
 * lines, one per lifecycle event. The demo adds its own lines (chain progression, periodic runs)
 * through `log`. It only listens to the engine; it must never change work.
 */
import cliProgress from 'cli-progress';
import type { WorkEngine } from '@offstage/core';
import type { CliIo } from '../cli-io.js';
import { formatWorkEvent, logWorkEvents } from '../format/log-work-events.js';

/**
 * A running view; `stop()` detaches it and restores the terminal.
 *
 * @example
 * const view: DemoView = createDemoView(engine, io, 12)
 */
export interface DemoView {
  /** Prints a line (above the bars on a terminal). */
  log(line: string): void;
  /** Sets the overall bar: items finished of total. */
  setOverall(finished: number, total: number): void;
  stop(): void;
}

/**
 * Options for {@link createDemoView}.
 *
 * @example
 * const options: DemoViewOptions = { label: (id) => chains.label(id) }
 */
export interface DemoViewOptions {
  /** A progress bar's label for an item (default: task name and short id); undefined for the default. */
  label?: (id: string, taskName: string) => string | undefined;
}

/**
 * Attaches a view to an engine: bars when stdout is a terminal, plain lines otherwise.
 *
 * @example
 * const view = createDemoView(engine, io, 12)
 * view.setOverall(3, 12)
 * view.stop()
 */
export function createDemoView(engine: WorkEngine, io: CliIo, total: number, options: DemoViewOptions = {}): DemoView {
  return io.stdout.isTTY ? barsView(engine, io, total, options) : plainView(engine, io);
}

function plainView(engine: WorkEngine, io: CliIo): DemoView {
  const off = logWorkEvents(engine, { write: (line) => io.stdout.write(line), writeError: (line) => io.stderr.write(line) });
  let lastOverall = '';
  return {
    log: (line) => io.stdout.write(`${line}\n`),
    setOverall: (finished, total) => {
      const text = `${finished}/${total}`;
      if (text === lastOverall) return;
      lastOverall = text;
      io.stdout.write(`overall: ${finished}/${total} items finished\n`);
    },
    stop: off,
  };
}

function barsView(engine: WorkEngine, io: CliIo, total: number, options: DemoViewOptions): DemoView {
  const multibar = new cliProgress.MultiBar(
    {
      stream: io.stdout as NodeJS.WritableStream,
      format: ' {label} {bar} {percentage}% | {detail}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      fps: 12,
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = multibar.create(total, 0, { label: 'overall'.padEnd(24), detail: `0/${total} items finished` });
  const bars = new Map<string, cliProgress.SingleBar>();
  const done = (id: string): void => {
    const bar = bars.get(id);
    if (bar) multibar.remove(bar);
    bars.delete(id);
  };
  const offs = [
    engine.on('work:started', ({ id, taskName, attempt }) => {
      done(id);
      const label = (options.label?.(id, taskName) ?? `${taskName} ${id.slice(0, 8)}`).slice(0, 24).padEnd(24);
      bars.set(id, multibar.create(100, 0, { label, detail: `attempt ${attempt}: starting` }));
    }),
    engine.on('work:progress', ({ id, progress }) => {
      const p = progress as { percent?: unknown; step?: unknown } | null;
      const percent = typeof p?.percent === 'number' ? Math.round(p.percent) : 0;
      bars.get(id)?.update(percent, { detail: typeof p?.step === 'string' ? p.step : '' });
    }),
    ...(['work:succeeded', 'work:retrying', 'work:failed', 'work:stopped'] as const).map((event) =>
      engine.on(event, (payload) => {
        done(payload.id);
        // Successes show in the overall bar; what went wrong (or will be retried) gets a line of its own.
        if (event !== 'work:succeeded') multibar.log(`${formatWorkEvent(event, payload)}\n`);
      }),
    ),
    engine.on('work:cancelled', ({ id }) => done(id)),
    engine.on('worker:error', (payload) => multibar.log(`${formatWorkEvent('worker:error', payload)}\n`)),
  ];
  return {
    log: (line) => multibar.log(`${line}\n`),
    setOverall: (finished, all) => {
      overall.setTotal(all);
      overall.update(finished, { detail: `${finished}/${all} items finished, ${bars.size} running` });
    },
    stop: () => {
      offs.forEach((off) => off());
      // A redraw flushes lines logged since the last frame; stop() alone would drop them.
      multibar.update();
      multibar.stop();
    },
  };
}
