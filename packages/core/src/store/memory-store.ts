/**
 * MemoryStore: the reference WorkStore, held in plain maps. The test driver runs it under a virtual
 * clock and the conformance suite holds every other store to the same behaviour, so it follows the
 * contract to the letter. It must never read a clock or a platform global, never hand out an object
 * it stores (callers get copies), and never await in the middle of a mutation (that is what makes
 * each method atomic in a single thread).
 */
import { StoreClosedError } from '../errors.js';
import { FINISHED_STATES, WORK_STATES } from '../model/work.js';
import type { RunOutcome, RunQuery, RunRecord, StopReason, WorkQuery, WorkSpec, WorkState } from '../model/work.js';
import type {
  CancelOptions,
  ClaimedWork,
  ClaimOptions,
  CountRow,
  HeartbeatOptions,
  NextWakeOptions,
  PruneOptions,
  Settlement,
  StoreCapabilities,
  WorkStore,
} from './work-store.js';

/** One stored item: the row, its insertion number, and its journal row ids (ascending). */
interface Entry {
  spec: WorkSpec;
  /** Insertion order; the tie-break for claims and queries (SQLite's rowid). */
  seq: number;
  runIds: number[];
}

const DEFAULT_PAGE = 100;

/** States `cancel` applies to; finished items are never touched. */
const CANCELLABLE: ReadonlySet<WorkState> = new Set<WorkState>(['enqueued', 'blocked', 'running']);
const FINISHED: ReadonlySet<WorkState> = new Set<WorkState>(FINISHED_STATES);

/**
 * A {@link WorkStore} that keeps everything in memory: for tests, the test driver, and short-lived
 * processes that accept losing their queue on exit. Single process only, no notifications.
 *
 * @example
 * const store = new MemoryStore();
 * await store.enqueue([spec]);
 * for (const { spec: item, run } of await store.claim({ now: 0, workerId: 'w1', leaseMs: 30_000, limit: 8, taskNames: ['email'] })) {
 *   await store.settle({ id: item.id, leaseToken: item.leaseToken, runId: run.id, now: 10, state: 'succeeded',
 *     attempt: item.attempt, outputJson: '{}', outcome: 'succeeded', error: null, stopReason: null });
 * }
 */
export class MemoryStore implements WorkStore {
  readonly capabilities: StoreCapabilities = Object.freeze({ multiProcess: false, notifications: false });

  /** Items by id; Map iteration order is insertion order. */
  readonly #items = new Map<string, Entry>();
  /** Journal rows by id; ids only grow, so iteration order is id order. */
  readonly #runs = new Map<number, RunRecord>();
  #nextSeq = 1;
  #nextRunId = 1;
  #closed = false;

  async enqueue(specs: readonly WorkSpec[]): Promise<void> {
    this.#assertOpen();
    // Check and copy the whole batch before inserting anything, so a bad spec leaves no partial batch.
    const seen = new Set<string>();
    const copies: WorkSpec[] = [];
    for (const spec of specs) {
      if (this.#items.has(spec.id) || seen.has(spec.id)) {
        const where = seen.has(spec.id) ? 'the batch contains it twice' : 'an item with that id already exists';
        throw new Error(`Cannot enqueue work "${spec.id}": ${where}; nothing in the batch was enqueued. Use a unique id per item.`);
      }
      seen.add(spec.id);
      copies.push(copySpec(spec));
    }
    for (const spec of copies) {
      this.#items.set(spec.id, { spec, seq: this.#nextSeq++, runIds: [] });
    }
  }

  async claim(options: ClaimOptions): Promise<ClaimedWork[]> {
    this.#assertOpen();
    const { now, workerId, leaseMs, limit, taskNames } = options;
    if (limit <= 0 || taskNames.length === 0) return [];
    const names = new Set(taskNames);
    const due: Entry[] = [];
    for (const entry of this.#items.values()) {
      const { spec } = entry;
      if (spec.state === 'enqueued' && spec.runAt <= now && names.has(spec.taskName)) due.push(entry);
    }
    return takeFirst(due, limit, claimOrder).map((entry) => {
      const { spec } = entry;
      spec.state = 'running';
      spec.attempt += 1;
      spec.leaseToken += 1;
      spec.leaseOwner = workerId;
      spec.leaseExpiresAt = now + leaseMs;
      spec.updatedAt = now;
      const run: RunRecord = {
        id: this.#nextRunId++,
        workId: spec.id,
        taskName: spec.taskName,
        attempt: spec.attempt,
        workerId,
        startedAt: now,
        endedAt: null,
        outcome: null,
        error: null,
        stopReason: null,
      };
      this.#runs.set(run.id, run);
      entry.runIds.push(run.id);
      return { spec: copySpec(spec), run: { ...run } };
    });
  }

  async heartbeat(options: HeartbeatOptions): Promise<boolean> {
    this.#assertOpen();
    // A lease that ran out but was not reconciled yet can still be renewed: the token is what
    // fences, and a reconcile that ran first has already bumped it.
    const entry = this.#owned(options.id, options.leaseToken);
    if (!entry) return false;
    entry.spec.leaseExpiresAt = options.now + options.leaseMs;
    return true;
  }

  async setProgress(id: string, leaseToken: number, progressJson: string, now: number): Promise<boolean> {
    this.#assertOpen();
    const entry = this.#owned(id, leaseToken);
    if (!entry) return false;
    entry.spec.progressJson = progressJson;
    entry.spec.updatedAt = now;
    return true;
  }

  async settle(settlement: Settlement): Promise<boolean> {
    this.#assertOpen();
    const { id, now, state } = settlement;
    const entry = this.#owned(id, settlement.leaseToken);
    if (!entry) return false;
    const { spec } = entry;
    spec.state = state;
    spec.attempt = settlement.attempt;
    if (state === 'enqueued' && settlement.runAt !== undefined) spec.runAt = settlement.runAt;
    if (settlement.outputJson !== undefined) spec.outputJson = settlement.outputJson;
    if (settlement.lastError !== undefined) spec.lastError = settlement.lastError;
    spec.leaseOwner = null;
    spec.leaseExpiresAt = null;
    if (FINISHED.has(state)) spec.finishedAt = now;
    spec.updatedAt = now;
    const run = this.#runs.get(settlement.runId);
    // Only the item's own open row: a wrong runId must not close another item's attempt.
    if (run && run.workId === id && run.endedAt === null) {
      run.endedAt = now;
      run.outcome = settlement.outcome;
      run.error = settlement.error;
      run.stopReason = settlement.stopReason;
    }
    return true;
  }

  async cancel(options: CancelOptions): Promise<string[]> {
    this.#assertOpen();
    const { now } = options;
    const all = options.all === true;
    const tags = new Set(options.tags ?? []);
    const targets: Entry[] = [];
    if (!all && tags.size === 0) {
      // Ids only: look them up instead of scanning the whole store.
      for (const id of new Set(options.ids ?? [])) {
        const entry = this.#items.get(id);
        if (entry) targets.push(entry);
      }
    } else {
      const ids = new Set(options.ids ?? []);
      for (const entry of this.#items.values()) {
        if (all || ids.has(entry.spec.id) || entry.spec.tags.some((tag) => tags.has(tag))) targets.push(entry);
      }
    }
    const cancelled: string[] = [];
    for (const entry of targets) {
      const { spec } = entry;
      if (!CANCELLABLE.has(spec.state)) continue;
      spec.state = 'cancelled';
      spec.finishedAt = now;
      spec.updatedAt = now;
      // Bumping the token is what makes a running owner's heartbeat and settle fail from now on.
      spec.leaseToken += 1;
      spec.leaseOwner = null;
      spec.leaseExpiresAt = null;
      this.#closeOpenRuns(entry, now, 'cancelled', 'cancelled');
      cancelled.push(spec.id);
    }
    return cancelled;
  }

  async reconcile(now: number): Promise<string[]> {
    this.#assertOpen();
    const returned: string[] = [];
    for (const entry of this.#items.values()) {
      const { spec } = entry;
      if (spec.state !== 'running' || spec.leaseExpiresAt === null || spec.leaseExpiresAt > now) continue;
      spec.state = 'enqueued';
      // The owner vanished mid-attempt; that is not the work's fault, so the attempt is not charged.
      spec.attempt = Math.max(0, spec.attempt - 1);
      spec.leaseToken += 1;
      spec.leaseOwner = null;
      spec.leaseExpiresAt = null;
      spec.updatedAt = now;
      this.#closeOpenRuns(entry, now, 'stopped', 'lease-lost');
      returned.push(spec.id);
    }
    return returned;
  }

  async retry(id: string, now: number): Promise<boolean> {
    this.#assertOpen();
    const entry = this.#items.get(id);
    if (!entry || (entry.spec.state !== 'failed' && entry.spec.state !== 'cancelled')) return false;
    const { spec } = entry;
    spec.state = 'enqueued';
    spec.runAt = now;
    spec.attempt = 0;
    spec.finishedAt = null;
    spec.updatedAt = now;
    return true;
  }

  async get(id: string): Promise<WorkSpec | undefined> {
    this.#assertOpen();
    const entry = this.#items.get(id);
    return entry ? copySpec(entry.spec) : undefined;
  }

  async query(query: WorkQuery): Promise<WorkSpec[]> {
    this.#assertOpen();
    const ids = query.ids ? new Set(query.ids) : undefined;
    const states = query.states ? new Set(query.states) : undefined;
    const taskNames = query.taskNames ? new Set(query.taskNames) : undefined;
    const tags = query.tags ? new Set(query.tags) : undefined;
    const matches: Entry[] = [];
    for (const entry of this.#items.values()) {
      const { spec } = entry;
      if (ids && !ids.has(spec.id)) continue;
      if (states && !states.has(spec.state)) continue;
      if (taskNames && !taskNames.has(spec.taskName)) continue;
      if (tags && !spec.tags.some((tag) => tags.has(tag))) continue;
      matches.push(entry);
    }
    matches.sort((a, b) => b.spec.createdAt - a.spec.createdAt || b.seq - a.seq);
    return page(matches, query.limit, query.offset).map((entry) => copySpec(entry.spec));
  }

  async runs(query: RunQuery): Promise<RunRecord[]> {
    this.#assertOpen();
    const taskNames = query.taskNames ? new Set(query.taskNames) : undefined;
    const outcomes = query.outcomes ? new Set(query.outcomes) : undefined;
    const source = query.workId === undefined ? this.#runs.values() : this.#runsOf(query.workId);
    const matches: RunRecord[] = [];
    for (const run of source) {
      if (taskNames && !taskNames.has(run.taskName)) continue;
      // An open row has no outcome yet, so an outcome filter never matches it.
      if (outcomes && (run.outcome === null || !outcomes.has(run.outcome))) continue;
      if (query.since !== undefined && run.startedAt < query.since) continue;
      matches.push(run);
    }
    matches.sort((a, b) => b.startedAt - a.startedAt || b.id - a.id);
    return page(matches, query.limit, query.offset).map((run) => ({ ...run }));
  }

  async lastRuns(workIds: readonly string[]): Promise<Map<string, RunRecord>> {
    this.#assertOpen();
    const last = new Map<string, RunRecord>();
    for (const id of workIds) {
      const runIds = this.#items.get(id)?.runIds;
      const lastId = runIds?.[runIds.length - 1];
      const run = lastId === undefined ? undefined : this.#runs.get(lastId);
      if (run) last.set(id, { ...run });
    }
    return last;
  }

  async counts(now: number): Promise<CountRow[]> {
    this.#assertOpen();
    const byTask = new Map<string, Map<WorkState, CountRow>>();
    for (const { spec } of this.#items.values()) {
      let byState = byTask.get(spec.taskName);
      if (!byState) byTask.set(spec.taskName, (byState = new Map()));
      let row = byState.get(spec.state);
      if (!row) byState.set(spec.state, (row = { taskName: spec.taskName, state: spec.state, count: 0, due: 0 }));
      row.count += 1;
      if (spec.state === 'enqueued' && spec.runAt <= now) row.due += 1;
    }
    // Stable output: task names alphabetically, states in lifecycle order.
    const rows: CountRow[] = [];
    for (const taskName of [...byTask.keys()].sort()) {
      const byState = byTask.get(taskName);
      for (const state of WORK_STATES) {
        const row = byState?.get(state);
        if (row) rows.push(row);
      }
    }
    return rows;
  }

  async nextWakeAt(options: NextWakeOptions): Promise<number | null> {
    this.#assertOpen();
    // In memory a scan is cheap enough; stores on disk must answer this from an index.
    const names = new Set(options.taskNames);
    let next: number | null = null;
    for (const { spec } of this.#items.values()) {
      if (!names.has(spec.taskName)) continue;
      let at: number | null = null;
      if (spec.state === 'enqueued') at = spec.runAt;
      else if (spec.state === 'running' && spec.leaseOwner !== options.excludeOwner) at = spec.leaseExpiresAt;
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  async prune(options: PruneOptions): Promise<{ work: number; runs: number }> {
    this.#assertOpen();
    const { finishedBefore } = options;
    const runsEndedBefore = options.runsEndedBefore ?? finishedBefore;
    let work = 0;
    let runs = 0;
    for (const [id, entry] of this.#items) {
      const { spec } = entry;
      if (FINISHED.has(spec.state) && spec.finishedAt !== null && spec.finishedAt < finishedBefore) {
        // Finished work goes with its whole journal.
        for (const runId of entry.runIds) if (this.#runs.delete(runId)) runs += 1;
        this.#items.delete(id);
        work += 1;
        continue;
      }
      entry.runIds = entry.runIds.filter((runId) => {
        const run = this.#runs.get(runId);
        // Open rows (endedAt null) belong to a live attempt and are never pruned.
        if (!run || run.endedAt === null || run.endedAt >= runsEndedBefore) return true;
        this.#runs.delete(runId);
        runs += 1;
        return false;
      });
    }
    return { work, runs };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#items.clear();
    this.#runs.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  /** The item if it is `running` under `leaseToken`: the fence every owner-side write passes. */
  #owned(id: string, leaseToken: number): Entry | undefined {
    const entry = this.#items.get(id);
    return entry && entry.spec.state === 'running' && entry.spec.leaseToken === leaseToken ? entry : undefined;
  }

  *#runsOf(workId: string): Iterable<RunRecord> {
    for (const runId of this.#items.get(workId)?.runIds ?? []) {
      const run = this.#runs.get(runId);
      if (run) yield run;
    }
  }

  #closeOpenRuns(entry: Entry, now: number, outcome: RunOutcome, stopReason: StopReason): void {
    for (const runId of entry.runIds) {
      const run = this.#runs.get(runId);
      if (!run || run.endedAt !== null) continue;
      run.endedAt = now;
      run.outcome = outcome;
      run.stopReason = stopReason;
    }
  }
}

/** A deep copy of exactly the WorkSpec fields, so stored state never leaks to or from callers. */
function copySpec(spec: WorkSpec): WorkSpec {
  return {
    id: spec.id,
    taskName: spec.taskName,
    state: spec.state,
    inputJson: spec.inputJson,
    outputJson: spec.outputJson,
    progressJson: spec.progressJson,
    tags: [...spec.tags],
    priority: spec.priority,
    runAt: spec.runAt,
    attempt: spec.attempt,
    maxAttempts: spec.maxAttempts,
    backoff: { policy: spec.backoff.policy, initialDelayMs: spec.backoff.initialDelayMs, maxDelayMs: spec.backoff.maxDelayMs },
    timeoutMs: spec.timeoutMs,
    lastError: spec.lastError,
    createdAt: spec.createdAt,
    updatedAt: spec.updatedAt,
    finishedAt: spec.finishedAt,
    leaseOwner: spec.leaseOwner,
    leaseExpiresAt: spec.leaseExpiresAt,
    leaseToken: spec.leaseToken,
  };
}

/** Claim order: priority high first, then earliest `runAt`, then insertion order. */
function claimOrder(a: Entry, b: Entry): number {
  return b.spec.priority - a.spec.priority || a.spec.runAt - b.spec.runAt || a.seq - b.seq;
}

function page<T>(rows: T[], limit = DEFAULT_PAGE, offset = 0): T[] {
  return rows.slice(offset, offset + limit);
}

/**
 * The first `limit` items of `items` in `compare` order, sorted, in O(n log limit): a heap of the
 * best `limit` seen so far with the worst of them at the root, so a claim never sorts the whole queue.
 */
function takeFirst<T>(items: readonly T[], limit: number, compare: (a: T, b: T) => number): T[] {
  if (items.length <= limit) return [...items].sort(compare);
  const heap: T[] = [];
  // `worse(i, j)`: heap[i] comes after heap[j] in claim order, so it belongs nearer the root.
  const worse = (i: number, j: number): boolean => compare(heap[i] as T, heap[j] as T) > 0;
  const swap = (i: number, j: number): void => {
    const t = heap[i] as T;
    heap[i] = heap[j] as T;
    heap[j] = t;
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && worse(l, top)) top = l;
      if (r < heap.length && worse(r, top)) top = r;
      if (top === i) return;
      swap(i, top);
      i = top;
    }
  };
  for (const item of items) {
    if (heap.length < limit) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!worse(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (compare(item, heap[0] as T) < 0) {
      heap[0] = item;
      siftDown(0);
    }
  }
  return heap.sort(compare);
}
