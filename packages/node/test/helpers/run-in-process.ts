/**
 * Runs the CLI in this process with captured output: fast, for the many cases that need no real
 * process (signals and exit codes get a child process instead, see cli-process.ts).
 */
import { runCli } from '../../src/run-cli.js';

/** What one in-process CLI run produced. */
export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws if it is not one JSON document). */
  json<T = unknown>(): T;
}

/**
 * Runs `offstage <args>` in-process with `cwd` as its working directory.
 *
 * @example
 * const { code, json } = await runInProcess(['list', '--json'], dir)
 */
export async function runInProcess(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd,
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}
