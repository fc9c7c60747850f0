/**
 * Polls until a probe gives a value (not undefined or false), for tests that wait on another
 * process: a worker reaching a state, a log line appearing.
 */

/**
 * Resolves with the probe's first value; throws `Timed out waiting for <what>` after `timeoutMs`.
 *
 * @example
 * await waitFor('all succeeded', async () => (await observer.status()).counts.succeeded === 30);
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}
