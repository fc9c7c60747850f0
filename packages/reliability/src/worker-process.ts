/**
 * Real worker processes for the process-level scenarios: spawns a fixture script from TypeScript
 * sources (`node --conditions=source --import tsx`), hands it its configuration as one JSON
 * argument, and collects what it prints: one JSON message per stdout line, and stderr verbatim.
 * Every process it starts is killed by {@link killAllWorkers}, so no test leaves one behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A message a worker fixture printed (one JSON object per stdout line). */
export interface WorkerMessage {
  type: string;
  [key: string]: unknown;
}

/** How a worker process ended. */
export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned worker process. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every JSON message printed so far. */
  messages(): WorkerMessage[];
  /** Raw stdout lines that were not JSON (should be none). */
  strayStdout(): string[];
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<WorkerExit>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /** Resolves with the first message matching `match` (also one printed earlier); rejects on exit or timeout. */
  waitFor(match: (m: WorkerMessage) => boolean, timeoutMs?: number): Promise<WorkerMessage>;
  /** Sends a signal (no-op once exited). */
  kill(signal: NodeJS.Signals): void;
}

const live = new Set<ChildProcess>();

/**
 * Starts `script` with `config` as its JSON argument.
 *
 * @example
 * const worker = spawnWorker(FIXTURE, { location, log })
 * await worker.waitFor((m) => m.type === 'ready')
 * worker.kill('SIGKILL')
 */
export function spawnWorker(script: string, config: unknown, options: { env?: Record<string, string>; uid?: number; gid?: number } = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', TSX_LOADER, script, JSON.stringify(config)], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  });
  live.add(child);
  const messages: WorkerMessage[] = [];
  const stray: string[] = [];
  let err = '';
  let partial = '';
  let done = false;
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        messages.push(JSON.parse(line) as WorkerMessage);
      } catch {
        stray.push(line);
      }
    }
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<WorkerExit>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      live.delete(child);
      for (const w of waiters) w();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    pid: child.pid ?? -1,
    messages: () => messages,
    strayStdout: () => stray,
    stderr: () => err,
    exited,
    hasExited: () => done,
    kill: (signal) => {
      if (!done) child.kill(signal);
    },
    waitFor: (match, timeoutMs = 30_000) =>
      new Promise<WorkerMessage>((resolve, reject) => {
        const check = (): void => {
          const found = messages.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (done) {
            cleanup();
            reject(new Error(`Worker ${child.pid} exited before the awaited message; stderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for a message from worker ${child.pid}; stderr:\n${err}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Kills every worker process still running (for `afterEach`/`afterAll`). */
export function killAllWorkers(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}
