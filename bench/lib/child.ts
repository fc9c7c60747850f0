/**
 * Running one side's run in a child process of its own, for figures that belong to a whole
 * process: CPU time over an idle window, peak memory, the cost of a cold open. The child is this
 * Node with the same flags (`--conditions=source --import tsx --expose-gc`), gets its arguments
 * as JSON and answers with one IPC message; it exits as soon as it has answered, so whatever a
 * peer leaves behind (timers, connections) dies with it.
 */
import { fork } from 'node:child_process';
import { VerificationError } from './verify.js';

/** The one message a child sends back. */
type ChildReply<T> = { ok: true; result: T } | { ok: false; error: string; verification: boolean };

/**
 * Runs `script` (a module that calls {@link childMain}) in a child process with `args`, and
 * resolves with what it returned; rejects with its error, when it exits without answering, or
 * after `timeoutMs` (then it is killed).
 *
 * @example
 * const r = await runInChild<IdleResult>(new URL('./idle-child.ts', import.meta.url), { side: 'offstage', dbPath }, 120_000)
 */
export function runInChild<T>(script: URL, args: unknown, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(script, [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: ChildReply<T> | null = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script.pathname} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (message) => {
      reply = message as ChildReply<T>;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (reply === null) reject(new Error(`${script.pathname} exited (${signal ?? `code ${code}`}) without a result`));
      else if (reply.ok) resolve(reply.result);
      else reject(reply.verification ? new VerificationError(reply.error) : new Error(reply.error));
    });
  });
}

/**
 * The child's side of {@link runInChild}: parses the JSON argument, runs `fn`, sends the result (or
 * the error) to the parent and exits.
 *
 * @example
 * childMain(async (args: { dbPath: string }) => measure(args.dbPath))
 */
export function childMain<A, T>(fn: (args: A) => Promise<T>): void {
  const send = (reply: ChildReply<T>, code: number): void => {
    if (!process.send) {
      console.log(JSON.stringify(reply));
      process.exit(code);
    }
    process.send(reply, () => process.exit(code));
  };
  fn(JSON.parse(process.argv[2] ?? '{}') as A).then(
    (result) => send({ ok: true, result }, 0),
    (error: unknown) => {
      const message = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (cause: ${error.cause.message})` : ''}` : String(error);
      send({ ok: false, error: message, verification: error instanceof VerificationError }, 1);
    },
  );
}
