/**
 * NotifyListener: holds one connection that LISTENs on the store's channel and calls back on every
 * NOTIFY (enqueue, retry, released chains, re-queued leases), so idle workers wake at once instead
 * of polling. An empty payload is the claims' "a lease has lapsed" nudge, repeated by every claim
 * until someone reconciles: it is passed on at most once per `nudgeIntervalMs`. When the connection drops it logs the outage once, reconnects with capped exponential
 * backoff, logs the recovery, and calls back once more (notifications sent while it was away are
 * lost, so the worker must look for itself). It must never throw from an event handler, never keep
 * a dead connection, and never retry after stop().
 */
import type { PgNotification, PgPoolClient } from './pg-client.js';

/**
 * Where the store reports connection trouble.
 *
 * @example
 * const logger: StoreLogger = { warn: (m) => log.warn(m), info: (m) => log.info(m) };
 */
export interface StoreLogger {
  /** An outage or a failure the store recovers from by itself. */
  warn(message: string): void;
  /** A recovery. */
  info(message: string): void;
}

/**
 * Options for {@link NotifyListener}.
 *
 * @example
 * const options: NotifyListenerOptions = { connect: () => pool.connect(), channel: 'offstage_work', onNotify, logger, server };
 */
export interface NotifyListenerOptions {
  /** Checks out a connection to listen on (kept until stop() or until it fails). */
  connect: () => Promise<PgPoolClient>;
  /** The channel: `<schema>_work`. */
  channel: string;
  /** Called with the task name of each notification; with no argument after a reconnect. */
  onNotify: (taskName?: string) => void;
  logger: StoreLogger;
  /** The server, as messages name it. */
  server: string;
  /** First reconnect delay. Default 100 ms; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  /** Longest reconnect delay. Default 10 s. */
  maxBackoffMs?: number;
  /** At most one lapsed-lease nudge (empty payload) per this long. Default 1 s. */
  nudgeIntervalMs?: number;
}

/**
 * A LISTEN connection that survives server restarts.
 *
 * @example
 * const listener = new NotifyListener({ connect: () => pool.connect(), channel: 'offstage_work',
 *   onNotify: () => engine.wake(), logger: console, server: 'postgres://localhost/jobs' });
 * await listener.start();
 * // ... later
 * await listener.stop();
 */
export class NotifyListener {
  readonly #options: NotifyListenerOptions;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  #client: PgPoolClient | null = null;
  #detach: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #backoffMs: number;
  #outageSince: number | null = null;
  #lastNudge = -Infinity;
  #stopped = false;

  constructor(options: NotifyListenerOptions) {
    this.#options = options;
    this.#minBackoffMs = options.minBackoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.#backoffMs = this.#minBackoffMs;
  }

  /** Connects and listens; rejects (and leaves nothing open) when the first attempt fails. */
  async start(): Promise<void> {
    await this.#listen();
  }

  /** Stops listening and gives the connection back. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const client = this.#client;
    this.#client = null;
    this.#detach?.();
    this.#detach = null;
    if (client === null) return;
    let failure: Error | undefined;
    await client.query({ text: `unlisten "${this.#options.channel}"` }).catch((error: unknown) => {
      failure = error instanceof Error ? error : new Error(String(error));
    });
    client.release(failure);
  }

  async #listen(): Promise<void> {
    const client = await this.#options.connect();
    const onNotification = (message: PgNotification): void => {
      if (message.channel !== this.#options.channel) return;
      if (message.payload) return this.#notify(message.payload);
      const now = Date.now();
      if (now - this.#lastNudge < (this.#options.nudgeIntervalMs ?? 1_000)) return;
      this.#lastNudge = now;
      this.#notify();
    };
    const onError = (error: Error): void => this.#lost(client, error);
    const onEnd = (): void => this.#lost(client, new Error('the connection ended'));
    client.on('notification', onNotification);
    client.on('error', onError);
    client.on('end', onEnd);
    const detach = (): void => {
      client.removeListener('notification', onNotification);
      client.removeListener('error', onError);
      client.removeListener('end', onEnd);
    };
    try {
      await client.query({ text: `listen "${this.#options.channel}"` });
    } catch (error) {
      detach();
      discard(client, error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    if (this.#stopped) {
      detach();
      client.release();
      return;
    }
    this.#client = client;
    this.#detach = detach;
  }

  #notify(taskName?: string): void {
    try {
      this.#options.onNotify(taskName);
    } catch (error) {
      this.#options.logger.warn(`offstage: a notification listener threw: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  #lost(client: PgPoolClient, error: Error): void {
    if (this.#stopped || client !== this.#client) return;
    this.#client = null;
    this.#detach?.();
    this.#detach = null;
    discard(client, error);
    if (this.#outageSince === null) {
      this.#outageSince = Date.now();
      this.#options.logger.warn(
        `offstage: lost the LISTEN connection to PostgreSQL at ${this.#options.server} (${error.message}); reconnecting with backoff, and workers fall back on their timers meanwhile.`,
      );
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#maxBackoffMs, this.#backoffMs * 2);
    this.#timer = setTimeout(() => void this.#reconnect(), delay);
    // A reconnect alone must not keep a process alive that has nothing else to do.
    this.#timer.unref?.();
  }

  async #reconnect(): Promise<void> {
    this.#timer = null;
    if (this.#stopped) return;
    try {
      await this.#listen();
    } catch {
      this.#schedule();
      return;
    }
    if (this.#stopped) return;
    const downMs = this.#outageSince === null ? 0 : Date.now() - this.#outageSince;
    this.#outageSince = null;
    this.#backoffMs = this.#minBackoffMs;
    this.#options.logger.info(`offstage: listening on PostgreSQL at ${this.#options.server} again after ${downMs} ms.`);
    // Whatever was announced while we were away is lost: look for due work now.
    this.#notify();
  }
}

/** Destroys a failed connection; one that is dead may still emit 'error', which must not crash. */
function discard(client: PgPoolClient, error: Error): void {
  client.on('error', () => undefined);
  client.release(error);
}
