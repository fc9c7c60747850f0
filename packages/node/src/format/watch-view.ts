/**
 * What `offstage watch` prints as one item changes: on a terminal, a live progress bar (cli-progress)
 * with state changes logged above it; otherwise one line per change (state, attempt outcome,
 * progress); with `--json`, one WorkInfo per line. It only renders what it is given; it must never
 * read or change work.
 */
import cliProgress from 'cli-progress';
import { FINISHED_STATES, type WorkInfo } from '@offstage/core';
import type { CliIo } from '../cli-io.js';
import { formatSchedule, shortJson } from './describe-work.js';
import { formatClockTime } from './log-work-events.js';
import { formatRelativeTime } from './relative-time.js';
import { ProgressReader } from './progress.js';

/**
 * A view of one watched item.
 *
 * @example
 * const view: WatchView = createWatchView(io, { json: false })
 * engine.subscribe(id, (info) => view.update(info))
 */
export interface WatchView {
  /** Renders a new WorkInfo of the item (repeats are ignored). */
  update(info: WorkInfo): void;
  /** Prints a note (a warning, why watching stopped). */
  note(line: string): void;
  /** Detaches from the terminal (stops the bar). Idempotent. */
  stop(): void;
}

/**
 * A view that draws a bar on a terminal, prints lines otherwise, or NDJSON with `json`.
 *
 * @example
 * const view = createWatchView(io, { json: false })
 * view.update(info)
 * view.stop()
 */
export function createWatchView(io: CliIo, options: { json?: boolean } = {}): WatchView {
  if (options.json) {
    let last = '';
    return {
      update: (info) => {
        const line = JSON.stringify(info);
        if (line === last) return;
        last = line;
        io.stdout.write(`${line}\n`);
      },
      note: () => undefined,
      stop: () => undefined,
    };
  }
  return new TextWatchView(io, io.stdout.isTTY === true);
}

/** Lines for state changes and settled attempts; progress as a bar (terminal) or as lines. */
class TextWatchView implements WatchView {
  private readonly reader = new ProgressReader();
  private previous: WorkInfo | null = null;
  private multibar: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly io: CliIo,
    private readonly tty: boolean,
  ) {}

  update(info: WorkInfo): void {
    const prev = this.previous;
    this.previous = info;
    // The bar lives while the item runs; take it down first so the next lines print below it.
    if (info.state !== 'running' && this.bar) this.removeBar();
    if (!prev) {
      this.print(`watching ${info.id} (${info.taskName}${info.schedule ? `, periodic ${formatSchedule(info.schedule)}` : ''}): ${info.state}${detail(info, null)}`);
      if (info.schedule && !FINISHED_STATES.includes(info.state)) this.print('periodic work runs until its series ends or is cancelled; Ctrl-C stops watching');
    } else if (info.state !== prev.state || runKey(info) !== runKey(prev)) {
      this.line(info.state, detail(info, prev));
    }
    const progress = JSON.stringify(info.progress);
    const progressChanged = info.progress !== undefined && progress !== (prev ? JSON.stringify(prev.progress) : undefined);
    if (progressChanged && (info.state === 'running' || !prev)) this.showProgress(info);
  }

  note(line: string): void {
    this.print(line);
  }

  stop(): void {
    this.removeBar();
  }

  private showProgress(info: WorkInfo): void {
    const { fraction, text } = this.reader.read(info.progress);
    if (fraction === null || !this.tty) {
      this.line('progress', fraction === null ? text : `${Math.round(fraction * 100)}%${text ? `  ${text}` : ''}`);
      return;
    }
    if (!this.bar) {
      this.multibar = new cliProgress.MultiBar(
        {
          stream: this.io.stdout as NodeJS.WritableStream,
          format: ' {label} {bar} {percentage}% | {detail}',
          barsize: 30,
          hideCursor: true,
          clearOnComplete: true,
          fps: 12,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.multibar.create(100, 0, { label: `${info.taskName} ${info.id.slice(0, 8)}`, detail: '' });
    }
    this.bar.update(Math.round(fraction * 100), { detail: text });
  }

  private removeBar(): void {
    // A redraw flushes lines logged since the last frame; stop() alone would drop them.
    this.multibar?.update();
    this.multibar?.stop();
    this.multibar = null;
    this.bar = null;
  }

  private line(word: string, text: string): void {
    this.print(`${formatClockTime()}  ${word.padEnd(9)}${text ? `  ${text.replace(/^, /, '')}` : ''}`);
  }

  private print(line: string): void {
    if (this.multibar) this.multibar.log(`${line}\n`);
    else this.io.stdout.write(`${line}\n`);
  }
}

/** What identifies the latest attempt's result: a change means an attempt started or settled. */
function runKey(info: WorkInfo): string {
  return `${info.lastRun?.id ?? ''}:${info.lastRun?.outcome ?? ''}`;
}

/** The text after the state: what just happened and what comes next. */
function detail(info: WorkInfo, prev: WorkInfo | null): string {
  const now = Date.now();
  const next = (): string => {
    if (!info.nextRunAt) return '';
    const ms = info.nextRunAt.getTime() - now;
    if (ms <= 0) return 'due now';
    return ms < 10_000 ? `in ${(ms / 1000).toFixed(1)}s` : formatRelativeTime(info.nextRunAt, now);
  };
  const attempts = (n: number): string => `${n} attempt${n === 1 ? '' : 's'}`;
  const run = info.lastRun;
  const settledNow = prev !== null && run !== null && run.outcome !== null && runKey(info) !== runKey(prev);
  switch (info.state) {
    case 'running':
      return `, attempt ${info.attempt}${info.maxAttempts === null ? '' : ` of ${info.maxAttempts}`}`;
    case 'blocked':
      return `, waiting for ${info.prerequisites.length} prerequisite${info.prerequisites.length === 1 ? '' : 's'} to succeed`;
    case 'succeeded':
      return `, after ${attempts(info.attempt)}, output ${shortJson(info.output)}`;
    case 'failed':
      return `, after ${attempts(info.attempt)}: ${info.lastError ?? 'no error recorded'}`;
    case 'cancelled':
      return '';
    case 'enqueued': {
      if (!settledNow) return `, ${info.schedule ? 'next run' : run ? 'next attempt' : 'first attempt'} ${next()}`;
      if (run.outcome === 'retrying') return `, attempt ${run.attempt} failed: ${run.error ?? ''}; next attempt ${next()}`;
      if (run.outcome === 'stopped') return `, attempt ${run.attempt} stopped (${run.stopReason ?? 'stopped'}); back in the queue, not charged`;
      if (info.schedule) return `, run ${run.outcome === 'succeeded' ? 'succeeded' : `failed: ${run.error ?? ''}`}; next run ${next()}`;
      return `, next attempt ${next()}`;
    }
  }
}
