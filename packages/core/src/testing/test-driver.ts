/**
 * The test driver: an engine on a virtual clock, so users unit-test their own tasks in
 * milliseconds. Time moves only when the test says so; while handlers wait, the driver lets
 * real promises settle before it moves the clock. It never reads the wall clock for scheduling.
 */
import { VirtualClock } from '../clock/virtual-clock.js';
import { parseDuration, type Duration } from '../model/duration.js';
import type { RunQuery, RunRecord, WorkInfo, WorkRequest, WorkState } from '../model/work.js';
import { MemoryStore } from '../store/memory-store.js';
import type { WorkStore } from '../store/work-store.js';
import { createWorkEngine, type WorkEngine, type WorkEngineOptions } from '../engine/work-engine.js';

/** Options for {@link createTestDriver}: engine options without the clock, all optional. */
export interface TestDriverOptions extends Partial<Omit<WorkEngineOptions, 'clock'>> {
  /** Virtual start time (epoch ms or Date). Default 2030-01-01T00:00:00Z. */
  startAt?: number | Date;
  /** Start the worker loop at once. Default true. */
  autoStart?: boolean;
}

/**
 * Creates a started engine on a {@link VirtualClock} and (by default) a fresh {@link MemoryStore}.
 *
 * @example
 * const driver = await createTestDriver({ tasks: { upload: async ({ input }) => ({ ok: input }) } })
 * const { id } = await driver.enqueue('upload', { input: 1, delay: '1m' })
 * await driver.advance('1m')
 * expect((await driver.info(id)).state).toBe('succeeded')
 */
export async function createTestDriver(options: TestDriverOptions = {}): Promise<TestDriver> {
  const start = options.startAt instanceof Date ? options.startAt.getTime() : options.startAt;
  const clock = new VirtualClock(start);
  const calls = trackCalls(options.store ?? new MemoryStore());
  const engine = createWorkEngine({ workerId: 'test-worker', ...options, store: calls.store, clock });
  const driver = new TestDriver(engine, clock, calls.inFlight);
  if (options.autoStart !== false) {
    await engine.start();
    await driver.settle();
  }
  return driver;
}

/** See {@link createTestDriver}. */
export class TestDriver {
  constructor(
    /** The engine under test. */
    readonly engine: WorkEngine,
    /** The virtual clock it runs on. */
    readonly clock: VirtualClock,
    /** Store calls still in flight (a store across a network answers later than a macrotask). */
    private readonly storeCallsInFlight: () => Promise<void> | null = () => null,
  ) {}

  /** The store under test. */
  get store(): WorkStore {
    return this.engine.store;
  }

  /** The virtual time, in epoch ms. */
  now(): number {
    return this.clock.now();
  }

  /** Enqueues work (see `WorkEngine.enqueue`) and lets due work start. */
  async enqueue<Input = unknown>(taskName: string, request?: WorkRequest<Input>): Promise<WorkInfo> {
    const info = await this.engine.enqueue(taskName, request);
    await this.settle();
    return info;
  }

  /**
   * Lets the engine finish what it can without moving time: pending passes, handlers that resolve
   * on their own, timers already due. Handlers still waiting (on virtual time) stay running.
   */
  async settle(): Promise<void> {
    let quiet = 0;
    let lastRunning = -1;
    while (quiet < 3) {
      await this.engine.flush();
      for (let calls = this.storeCallsInFlight(); calls !== null; calls = this.storeCallsInFlight()) {
        await calls;
        quiet = 0;
      }
      await macrotask();
      const fired = this.clock.fireDue();
      const { ticking, running } = this.engine.activity();
      if (fired === 0 && !ticking && running.length === lastRunning) quiet++;
      else quiet = 0;
      lastRunning = running.length;
    }
  }

  /** Moves virtual time forward by `duration`, running everything that falls due on the way. */
  async advance(duration: Duration): Promise<void> {
    await this.advanceTo(this.clock.now() + parseDuration(duration, 'advance'));
  }

  /** Moves virtual time to `at` (epoch ms), running everything that falls due on the way. */
  async advanceTo(at: number): Promise<void> {
    await this.settle();
    for (let next = this.clock.nextTimerAt(); next !== null && next <= at; next = this.clock.nextTimerAt()) {
      this.clock.advanceTo(Math.max(next, this.clock.now()));
      await this.settle();
    }
    if (at > this.clock.now()) this.clock.advanceTo(at);
    await this.settle();
  }

  /**
   * Runs until nothing is running and nothing is pending, moving virtual time to each next due
   * moment (retries, delays). Stops early once `within` of virtual time has passed.
   */
  async runUntilIdle(options: { within?: Duration; maxSteps?: number } = {}): Promise<void> {
    const limit = options.within === undefined ? Infinity : this.clock.now() + parseDuration(options.within, 'within');
    const maxSteps = options.maxSteps ?? 100_000;
    await this.settle();
    for (let step = 0; step < maxSteps; step++) {
      const next = this.clock.nextTimerAt();
      if (next === null || next > limit) return;
      this.clock.advanceTo(Math.max(next, this.clock.now()));
      await this.settle();
    }
  }

  /**
   * A sleep on the virtual clock, for handlers under test that take time: it resolves when the
   * driver moves time past it, and rejects with the signal's reason if the signal aborts first.
   *
   * @example
   * tasks: { upload: async ({ signal }) => { await driver.sleep('2s', signal); return 'done' } }
   */
  sleep(duration: Duration, signal?: AbortSignal): Promise<void> {
    const ms = parseDuration(duration, 'sleep');
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = this.clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        this.clock.clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Runs `engine.runDue()` with virtual time moving from timer to timer until the window closes,
   * the way a platform wake-up would play out in real time. Stop the worker loop first
   * (`createTestDriver({ autoStart: false })`).
   */
  async runDue(options: Parameters<WorkEngine['runDue']>[0]): Promise<Awaited<ReturnType<WorkEngine['runDue']>>> {
    let done = false;
    const window = this.engine.runDue(options).finally(() => (done = true));
    await this.settle();
    while (!done) {
      const next = this.clock.nextTimerAt();
      if (next === null) break;
      this.clock.advanceTo(Math.max(next, this.clock.now()));
      await this.settle();
    }
    return window;
  }

  /** The WorkInfo of one item; throws if it does not exist. */
  async info(id: string): Promise<WorkInfo> {
    const info = await this.engine.getWorkInfo(id);
    if (!info) throw new Error(`No work item has the id "${id}".`);
    return info;
  }

  /** The state of one item. */
  async state(id: string): Promise<WorkState> {
    return (await this.info(id)).state;
  }

  /** The journal, newest first. */
  journal(query: RunQuery = {}): Promise<RunRecord[]> {
    return this.engine.journal(query);
  }

  /** Stops the engine and closes the store. */
  async dispose(): Promise<void> {
    const stopping = this.engine.close({ grace: 0 });
    await this.settle();
    await stopping;
  }
}

/**
 * Wraps a store so the driver can wait for its calls: every call that returns a promise is
 * counted until it settles. A synchronous store's calls settle at once; a network store's do not.
 */
function trackCalls(store: WorkStore): { store: WorkStore; inFlight: () => Promise<void> | null } {
  const pending = new Set<Promise<unknown>>();
  const tracked = new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) {
          const done: Promise<unknown> = result.then(
            () => pending.delete(done),
            () => pending.delete(done),
          );
          pending.add(done);
        }
        return result;
      };
    },
  });
  return { store: tracked, inFlight: () => (pending.size === 0 ? null : Promise.allSettled([...pending]).then(() => undefined)) };
}

/** One turn of the host's event loop, so I/O callbacks and promise chains get to run. */
function macrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown; setTimeout: (fn: () => void, ms: number) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : g.setTimeout(resolve, 0)));
}
