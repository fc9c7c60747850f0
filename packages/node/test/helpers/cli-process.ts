/**
 * Runs the offstage CLI (or a fixture script) from its TypeScript sources in a child process
 * (node --conditions=source --import tsx), for tests that need a real process: signals, exit
 * codes, several processes on one database. It must never leave a child running after its test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The CLI's entry point in the sources. */
export const CLI_PATH = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A CLI child process with its output collected as it arrives. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name when killed). */
  exited: Promise<number | NodeJS.Signals>;
  /** Resolves when stdout matches `pattern`; rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

const children = new Set<ChildProcess>();

/**
 * Starts `offstage <args>` in `cwd`.
 *
 * @example
 * const worker = startCli(['worker', 'tasks.ts'], { cwd: dir })
 * await worker.waitForOutput(/waiting for work/)
 */
export function startCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): CliProcess {
  return startScript(CLI_PATH, args, options);
}

/**
 * Starts a TypeScript script (such as a fixture) the way the CLI runs: sources, under tsx. With
 * `stdin: true` the test can write to the child's stdin (a start barrier, say).
 *
 * @example
 * const racer = startScript(RACE_FIXTURE, [db, 'race', '100'], { cwd: dir, stdin: true })
 * await racer.waitForOutput(/ready/)
 * racer.child.stdin!.end('go\n')
 */
export function startScript(path: string, args: readonly string[], options: { cwd: string; env?: Record<string, string>; stdin?: boolean }): CliProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', TSX_LOADER, path, ...args], {
    cwd: options.cwd,
    env: { ...process.env, DEBUG: '', OFFSTAGE_DB: '', ...options.env },
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal ?? -1);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (pattern, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(out)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`Timed out waiting for ${pattern} in stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          cleanup();
          reject(new Error(`The CLI exited before printing ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
        });
        check();
      }),
  };
}

/**
 * Runs `offstage <args>` to completion.
 *
 * @example
 * const { code, stdout } = await runCliProcess(['status', '--json'], { cwd: dir })
 */
export async function runCliProcess(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ code: number | NodeJS.Signals; stdout: string; stderr: string }> {
  const p = startCli(args, options);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/**
 * Kills every child still running (for `afterEach`).
 *
 * @example
 * afterEach(killAll)
 */
export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}
