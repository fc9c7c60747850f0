/**
 * GroupCommit: write operations that arrive in the same tick share one `begin immediate`
 * transaction. A commit costs the same whether it holds one settle or eight (with WAL most of it
 * is writing the dirty pages, and neighbouring rows share pages; with synchronous=FULL it is one
 * fsync), so eight attempts that finish together pay for one commit instead of eight. It must
 * never resolve an operation's promise before the commit that holds it has returned, never let one
 * operation's failure undo or fail another's, and never apply operations out of call order.
 *
 * Each operation still is all or nothing: if one throws, the shared transaction is rolled back and
 * every operation of the batch is applied again on its own, in order, each in its own transaction,
 * so each promise settles exactly as it would have without grouping.
 */
import type { SqliteDriver } from './driver/sqlite-driver.js';

const RESOLVED = Promise.resolve();

/** One queued write. */
interface Pending {
  /** The operation's statements, run inside a transaction its caller opened. */
  body: (db: SqliteDriver) => unknown;
  /** The operation on its own, when it is not just `body` in its own transaction (a single autocommit statement). */
  alone: ((db: SqliteDriver) => unknown) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Queues writes and applies everything queued so far in one transaction, either in a microtask
 * (so calls made in the same synchronous stretch, such as attempts finishing together, group up
 * without waiting for a timer) or at once when {@link flush} is called (before any other store
 * operation, so operations always apply in the order they were called).
 *
 * @example
 * const group = new GroupCommit(driver, (e) => toStoreError(e, path));
 * const [a, b] = await Promise.all([group.add((db) => applySettlement(db, s1)), group.add((db) => applySettlement(db, s2))]);
 */
export class GroupCommit {
  readonly #db: SqliteDriver;
  readonly #mapError: (error: unknown) => unknown;
  readonly #onFlush: () => void;
  #queue: Pending[] = [];
  #scheduled = false;

  /** `onFlush` runs before each batch is applied (the store counts its calls with it). */
  constructor(db: SqliteDriver, mapError: (error: unknown) => unknown, onFlush: () => void = () => {}) {
    this.#db = db;
    this.#mapError = mapError;
    this.#onFlush = onFlush;
  }

  /** Whether writes are waiting for their commit. */
  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /**
   * Queues a write. `body` runs inside a shared transaction; `alone` (default: `body` in its own
   * transaction) runs when the write is the only one queued, or when the shared transaction failed.
   * Resolves with what the write returned, after its commit; rejects with `mapError` of what it threw.
   */
  add<T>(body: (db: SqliteDriver) => T, alone?: (db: SqliteDriver) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ body, alone, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // A resolved promise's reaction rather than queueMicrotask: the same microtask, without
        // the async-context wrapper Node puts around every queueMicrotask callback.
        void RESOLVED.then(this.#onMicrotask);
      }
    });
  }

  /** Applies every queued write now (one transaction), settling their promises. Never throws. */
  flush(): void {
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    this.#onFlush();
    if (batch.length === 1) return this.#applyAlone(batch[0]!);
    const results: unknown[] = [];
    let began = false;
    try {
      this.#db.transaction(() => {
        began = true;
        for (const p of batch) results.push(p.body(this.#db));
      });
    } catch (error) {
      if (!began) {
        // `begin immediate` itself failed (busy past the timeout, read-only, I/O): nothing ran, and
        // each write on its own would wait for the same lock again, so all fail with this error.
        const mapped = this.#mapError(error);
        for (const p of batch) p.reject(mapped);
        return;
      }
      // One write threw, or the commit failed: the driver rolled everything back. Apply each on
      // its own, in order, so the one that throws fails alone and the others still commit.
      for (const p of batch) this.#applyAlone(p);
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]);
  }

  readonly #onMicrotask = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  #applyAlone(p: Pending): void {
    let result: unknown;
    try {
      result = p.alone === undefined ? this.#db.transaction(() => p.body(this.#db)) : p.alone(this.#db);
    } catch (error) {
      p.reject(this.#mapError(error));
      return;
    }
    p.resolve(result);
  }
}
