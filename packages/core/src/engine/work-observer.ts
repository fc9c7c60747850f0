/**
 * Live observation of work items and queries. Any lifecycle event (or an outside change the
 * engine is told about) schedules one coalesced re-read per subscription; listeners hear only
 * real changes. Reads go to the store, so what observers see is what is stored.
 */
import type { WorkInfo, WorkQuery } from '../model/work.js';

/** Reads WorkInfo for observers. */
export interface ObservationSource {
  getWorkInfo(id: string): Promise<WorkInfo | undefined>;
  query(query: WorkQuery): Promise<WorkInfo[]>;
  /** Reports a failed re-read without breaking anything. */
  reportError(error: unknown): void;
}

interface Subscription {
  read(): Promise<unknown>;
  deliver(value: unknown): void;
  last: string | undefined;
  pending: boolean;
  active: boolean;
}

/**
 * Keeps subscriptions and refreshes them on demand.
 *
 * @example
 * const observer = new WorkObserver(source)
 * const off = observer.subscribe(id, (info) => console.log(info.state))
 * observer.refresh()
 */
export class WorkObserver {
  private readonly subs = new Set<Subscription>();

  constructor(private readonly source: ObservationSource) {}

  /** Whether anything is subscribed (lets the engine skip work). */
  get active(): boolean {
    return this.subs.size > 0;
  }

  /** Calls `listener` with the item's WorkInfo now and on every change. Returns an unsubscribe function. */
  subscribe(id: string, listener: (info: WorkInfo) => void): () => void {
    return this.add(() => this.source.getWorkInfo(id), (v) => v !== undefined && listener(v as WorkInfo));
  }

  /** Calls `listener` with the query's results now and whenever they change. */
  subscribeQuery(query: WorkQuery, listener: (infos: WorkInfo[]) => void): () => void {
    return this.add(() => this.source.query(query), (v) => listener(v as WorkInfo[]));
  }

  /** Schedules a re-read of every subscription (coalesced: at most one in flight each). */
  refresh(): void {
    for (const sub of this.subs) this.schedule(sub);
  }

  private add(read: () => Promise<unknown>, deliver: (value: unknown) => void): () => void {
    const sub: Subscription = { read, deliver, last: undefined, pending: false, active: true };
    this.subs.add(sub);
    this.schedule(sub);
    return () => {
      sub.active = false;
      this.subs.delete(sub);
    };
  }

  private schedule(sub: Subscription): void {
    if (sub.pending) return;
    sub.pending = true;
    void Promise.resolve()
      .then(async () => {
        sub.pending = false;
        const value = await sub.read();
        const key = JSON.stringify(value);
        if (!sub.active || key === sub.last) return;
        sub.last = key;
        sub.deliver(value);
      })
      .catch((error: unknown) => {
        sub.pending = false;
        this.source.reportError(error);
      });
  }
}

/**
 * Turns a subscription into an async iterator that yields each change, ending when `done(value)`
 * says so or `signal` aborts.
 *
 * @example
 * for await (const info of iterate((l) => observer.subscribe(id, l), (i) => i.state === 'succeeded')) console.log(info)
 */
export function iterate<T>(subscribe: (listener: (value: T) => void) => () => void, done: (value: T) => boolean, signal?: AbortSignal): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  const unsubscribe = subscribe((value) => {
    if (finished) return;
    queue.push(value);
    if (done(value)) finished = true;
    wake?.();
  });
  const stop = (): void => {
    finished = true;
    unsubscribe();
    wake?.();
  };
  signal?.addEventListener('abort', stop, { once: true });
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        const value = queue.shift();
        if (value !== undefined) {
          if (finished && queue.length === 0) unsubscribe();
          return { value, done: false };
        }
        if (finished) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      stop();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
