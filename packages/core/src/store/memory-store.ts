/**
 * MemoryStore: the reference WorkStore, held in plain maps. The test driver runs it under a virtual
 * clock and the conformance suite holds every other store to the same behaviour, so it follows the
 * contract to the letter. It must never read a clock or a platform global, never hand out an object
 * it stores (callers get copies), and never await in the middle of a mutation (that is what makes
 * each method atomic in a single thread, including the caller's unique-work plan).
 */
import { DuplicateWorkError, InvalidChainError, StoreClosedError } from '../errors.js';
import { FINISHED_STATES, WORK_STATES } from '../model/work.js';
import { constraintsMet } from '../policy/constraints.js';
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
  UniquePlan,
  WorkStore,
  WorkUpdate,
} from './work-store.js';

/** One stored item: the row, its insertion number, and its journal row ids (ascending). */
interface Entry {
  spec: WorkSpec;
  /** Insertion order; the tie-break for claims and queries (SQLite's rowid). */
  seq: number;
  runIds: number[];
}

const DEFAULT_PAGE = 100;

/** Unfinished states: the ones `cancel` and `update` apply to; finished items are never touched. */
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
  /**
   * Prerequisite id to the ids of items that list it: the chain rule follows these edges from a
   * finished item instead of scanning the store, so a settle stays O(dependents), not O(items).
   */
  readonly #dependents = new Map<string, Set<string>>();
  #nextSeq = 1;
  #nextRunId = 1;
  #closed = false;

  async enqueue(specs: readonly WorkSpec[]): Promise<void> {
    this.#assertOpen();
    this.#insert(this.#checkBatch(specs), null);
  }

  async enqueueUnique(
    uniqueName: string,
    now: number,
    plan: (existing: WorkSpec[]) => UniquePlan,
  ): Promise<{ existing: WorkSpec[]; cancelled: string[] }> {
    this.#assertOpen();
    // Nothing below awaits, so no other call (unique or not) can interleave between the read and
    // the writes: that is the whole of the "excludes every other unique enqueue" guarantee here.
    // Map order is insertion order, so these come oldest first.
    const same: Entry[] = [];
    for (const entry of this.#items.values()) if (entry.spec.uniqueName === uniqueName) same.push(entry);
    // Read before any write: the result reports the items as the plan saw them. The plan gets its
    // own copies, so whatever it does to them reaches neither the store nor the result.
    const existing = same.map((entry) => copySpec(entry.spec));
    const decided = plan(same.map((entry) => copySpec(entry.spec)));
    // Check the inserts before the first write, so a bad batch leaves the cancels and updates undone too.
    const inserts = this.#checkBatch(decided.insert);
    const cancelled = this.#cancelEntries(this.#entriesById(decided.cancel), now);
    for (const { id, fields } of decided.update) this.#update(id, fields, now);
    this.#insert(inserts, now);
    return { existing, cancelled };
  }

  async update(id: string, fields: WorkUpdate, now: number): Promise<boolean> {
    this.#assertOpen();
    return this.#update(id, fields, now);
  }

  async claim(options: ClaimOptions): Promise<ClaimedWork[]> {
    this.#assertOpen();
    const { now, workerId, leaseMs, limit, taskNames } = options;
    if (limit <= 0 || taskNames.length === 0) return [];
    const names = new Set(taskNames);
    const room = this.#roomPerTask(names, options.taskLimits);
    const due: Entry[] = [];
    // Items of a limited task are gathered apart: only the best `room` of them can ever be taken.
    const dueLimited = new Map<string, Entry[]>();
    for (const entry of this.#items.values()) {
      const { spec } = entry;
      if (spec.state !== 'enqueued' || spec.runAt > now || !names.has(spec.taskName)) continue;
      if (options.conditions && !constraintsMet(spec, options.conditions)) continue;
      const free = room.get(spec.taskName);
      if (free === undefined) due.push(entry);
      else if (free > 0) {
        let list = dueLimited.get(spec.taskName);
        if (!list) dueLimited.set(spec.taskName, (list = []));
        list.push(entry);
      }
    }
    // Taking in claim order while skipping a limited task's items once its room is used up selects
    // exactly the best `room` items of each limited task plus the unlimited ones, so merge those.
    for (const [taskName, list] of dueLimited) due.push(...takeFirst(list, room.get(taskName) ?? 0, claimOrder));
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
        rule: null,
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
      run.rule = settlement.rule ?? null;
    }
    // A periodic success settles to `enqueued`, which finishes nothing, so its dependents wait.
    if (FINISHED.has(state)) this.#resolveDependents([spec.id], now);
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
      targets.push(...this.#entriesById(options.ids ?? []));
    } else {
      const ids = new Set(options.ids ?? []);
      for (const entry of this.#items.values()) {
        if (all || ids.has(entry.spec.id) || entry.spec.tags.some((tag) => tags.has(tag))) targets.push(entry);
      }
    }
    return this.#cancelEntries(targets, now);
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
    const uniqueNames = query.uniqueNames ? new Set(query.uniqueNames) : undefined;
    const { dependentsOf } = query;
    const matches: Entry[] = [];
    for (const entry of this.#items.values()) {
      const { spec } = entry;
      if (ids && !ids.has(spec.id)) continue;
      if (states && !states.has(spec.state)) continue;
      if (taskNames && !taskNames.has(spec.taskName)) continue;
      if (tags && !spec.tags.some((tag) => tags.has(tag))) continue;
      if (uniqueNames && (spec.uniqueName === null || !uniqueNames.has(spec.uniqueName))) continue;
      if (dependentsOf !== undefined && !spec.prerequisites.includes(dependentsOf)) continue;
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

  async typicalDurations(taskNames: readonly string[], sample: number): Promise<Map<string, number>> {
    this.#assertOpen();
    const names = new Set(taskNames);
    const byTask = new Map<string, RunRecord[]>();
    for (const run of this.#runs.values()) {
      if (run.outcome !== 'succeeded' || run.endedAt === null || !names.has(run.taskName)) continue;
      let list = byTask.get(run.taskName);
      if (!list) byTask.set(run.taskName, (list = []));
      list.push(run);
    }
    const out = new Map<string, number>();
    for (const [taskName, runs] of byTask) {
      // The most recent `sample` successes, newest first (start time, then journal order).
      const recent = runs.sort((a, b) => b.startedAt - a.startedAt || b.id - a.id).slice(0, Math.max(1, sample));
      out.set(taskName, median(recent.map((r) => r.endedAt! - r.startedAt)));
    }
    return out;
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
      if (spec.state === 'enqueued') {
        if (options.conditions && !constraintsMet(spec, options.conditions)) continue;
        at = spec.runAt;
      } else if (spec.state === 'running' && spec.leaseOwner !== options.excludeOwner) at = spec.leaseExpiresAt;
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  async prune(options: PruneOptions): Promise<{ work: number; runs: number }> {
    this.#assertOpen();
    const { finishedBefore } = options;
    const runsEndedBefore = options.runsEndedBefore ?? finishedBefore;
    // A finished prerequisite of unfinished work must stay: the chain rule and the input merger
    // still read it when that work's other prerequisites finish.
    const needed = new Set<string>();
    for (const { spec } of this.#items.values()) {
      if (!FINISHED.has(spec.state)) for (const id of spec.prerequisites) needed.add(id);
    }
    let work = 0;
    let runs = 0;
    for (const [id, entry] of this.#items) {
      const { spec } = entry;
      if (FINISHED.has(spec.state) && spec.finishedAt !== null && spec.finishedAt < finishedBefore && !needed.has(id)) {
        // Finished work goes with its whole journal.
        for (const runId of entry.runIds) if (this.#runs.delete(runId)) runs += 1;
        this.#items.delete(id);
        this.#unlink(spec);
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
    this.#dependents.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  /**
   * Validates a batch and copies it, writing nothing: ids must be new and unique, and every
   * prerequisite must be stored already or come earlier in the batch (which also rules out cycles).
   */
  #checkBatch(specs: readonly WorkSpec[]): WorkSpec[] {
    const seen = new Set<string>();
    const copies: WorkSpec[] = [];
    for (const spec of specs) {
      if (this.#items.has(spec.id) || seen.has(spec.id)) throw new DuplicateWorkError(spec.id, seen.has(spec.id) ? 'batch' : 'stored');
      for (const prerequisite of spec.prerequisites) {
        if (this.#items.has(prerequisite) || seen.has(prerequisite)) continue;
        throw new InvalidChainError(
          `Cannot enqueue work "${spec.id}": its prerequisite "${prerequisite}" is neither stored nor earlier in the batch; nothing in the batch was enqueued.`,
        );
      }
      seen.add(spec.id);
      copies.push(copySpec(spec));
    }
    return copies;
  }

  /**
   * Inserts checked copies in order, then resolves each new blocked item against its prerequisites
   * at `now`, or at its own `createdAt` when `now` is null (a plain enqueue). Prerequisites always
   * come first, so one pass in batch order settles every chain inside the batch, and no stored item
   * can depend on a new one, so nothing outside the batch changes.
   */
  #insert(copies: readonly WorkSpec[], now: number | null): void {
    for (const spec of copies) {
      this.#items.set(spec.id, { spec, seq: this.#nextSeq++, runIds: [] });
      for (const prerequisite of spec.prerequisites) {
        let dependents = this.#dependents.get(prerequisite);
        if (!dependents) this.#dependents.set(prerequisite, (dependents = new Set()));
        dependents.add(spec.id);
      }
    }
    for (const spec of copies) this.#applyChainRule(spec, now ?? spec.createdAt);
  }

  /** The entries for `ids`, each once, in the order given; unknown ids are skipped. */
  #entriesById(ids: readonly string[]): Entry[] {
    const entries: Entry[] = [];
    for (const id of new Set(ids)) {
      const entry = this.#items.get(id);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /** Cancels the unfinished entries among `targets`, then their chains; returns the ids it cancelled itself. */
  #cancelEntries(targets: readonly Entry[], now: number): string[] {
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
    // Dependents cancelled by the chain rule are not listed: only what the selector matched is.
    this.#resolveDependents(cancelled, now);
    return cancelled;
  }

  /** Writes the given update fields to an unfinished item; false when it is missing or finished. */
  #update(id: string, fields: WorkUpdate, now: number): boolean {
    const spec = this.#items.get(id)?.spec;
    if (!spec || !CANCELLABLE.has(spec.state)) return false;
    // Field by field from the allowed set: a caller's extra keys (state, leaseToken, …) never land.
    if (fields.inputJson !== undefined) spec.inputJson = fields.inputJson;
    if (fields.tags !== undefined) spec.tags = [...fields.tags];
    if (fields.priority !== undefined) spec.priority = fields.priority;
    if (fields.runAt !== undefined) spec.runAt = fields.runAt;
    if (fields.maxAttempts !== undefined) spec.maxAttempts = fields.maxAttempts;
    if (fields.backoff !== undefined) spec.backoff = fields.backoff === null ? null : { ...fields.backoff };
    if (fields.timeoutMs !== undefined) spec.timeoutMs = fields.timeoutMs;
    if (fields.schedule !== undefined) spec.schedule = copyJson(fields.schedule);
    if (fields.constraints !== undefined) spec.constraints = copyJson(fields.constraints);
    if (fields.constraintMask !== undefined) spec.constraintMask = fields.constraintMask;
    if (fields.minBattery !== undefined) spec.minBattery = fields.minBattery;
    if (fields.maxMemory !== undefined) spec.maxMemory = fields.maxMemory;
    spec.updatedAt = now;
    return true;
  }

  /**
   * The chain rule, from items that just finished: re-examines their blocked dependents, and the
   * dependents of any that this fails or cancels in turn, until nothing changes.
   */
  #resolveDependents(finishedIds: readonly string[], now: number): void {
    const pending = [...finishedIds];
    for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
      for (const dependentId of this.#dependents.get(id) ?? []) {
        const dependent = this.#items.get(dependentId)?.spec;
        if (dependent && this.#applyChainRule(dependent, now)) pending.push(dependentId);
      }
    }
  }

  /**
   * Applies the chain rule to one item at `now`: a blocked item with a failed prerequisite fails,
   * else with a cancelled one is cancelled, else once all have succeeded is enqueued. Returns true
   * when the item finished (so its own dependents need a look). An item with no prerequisites is
   * left blocked: it waits on no chain, so the rule has nothing to decide for it.
   */
  #applyChainRule(spec: WorkSpec, now: number): boolean {
    if (spec.state !== 'blocked' || spec.prerequisites.length === 0) return false;
    let failed: string | undefined;
    let cancelled = false;
    let succeeded = true;
    for (const id of spec.prerequisites) {
      const state = this.#items.get(id)?.spec.state;
      if (state === 'failed') {
        failed = id;
        break;
      }
      if (state === 'cancelled') cancelled = true;
      else if (state !== 'succeeded') succeeded = false;
    }
    if (failed !== undefined) {
      spec.state = 'failed';
      spec.lastError = `Prerequisite ${failed} failed.`;
      spec.finishedAt = now;
    } else if (cancelled) {
      spec.state = 'cancelled';
      spec.finishedAt = now;
    } else if (succeeded) {
      spec.state = 'enqueued';
      spec.runAt = Math.max(spec.runAt, now);
    } else {
      // Still waiting on an unfinished prerequisite: nothing changed, so updatedAt stays too.
      return false;
    }
    spec.updatedAt = now;
    return spec.state !== 'enqueued';
  }

  /** Drops a deleted item from the dependents index, both as a dependent and as a prerequisite. */
  #unlink(spec: WorkSpec): void {
    this.#dependents.delete(spec.id);
    for (const prerequisite of spec.prerequisites) {
      const dependents = this.#dependents.get(prerequisite);
      dependents?.delete(spec.id);
      if (dependents?.size === 0) this.#dependents.delete(prerequisite);
    }
  }

  /** How many more items of each limited task (among `names`) may start: `limit - running`, at least 0. */
  #roomPerTask(names: ReadonlySet<string>, taskLimits: Readonly<Record<string, number>> | undefined): Map<string, number> {
    const room = new Map<string, number>();
    if (!taskLimits) return room;
    for (const [taskName, max] of Object.entries(taskLimits)) if (names.has(taskName)) room.set(taskName, max);
    if (room.size === 0) return room;
    // Running items of every owner count: the limit is store-wide, not per worker.
    for (const { spec } of this.#items.values()) {
      const free = room.get(spec.taskName);
      if (free !== undefined && spec.state === 'running') room.set(spec.taskName, free - 1);
    }
    // Floor, so a fractional limit never lets the heap in takeFirst keep one item too many.
    for (const [taskName, free] of room) room.set(taskName, Math.max(0, Math.floor(free)));
    return room;
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

/** The median of a non-empty list (the lower middle for even lengths, so it is a value that occurred). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
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
    backoff: spec.backoff === null ? null : { policy: spec.backoff.policy, initialDelayMs: spec.backoff.initialDelayMs, maxDelayMs: spec.backoff.maxDelayMs },
    timeoutMs: spec.timeoutMs,
    uniqueName: spec.uniqueName,
    // Opaque to stores: copied whole, whatever its shape, and returned exactly as given.
    schedule: copyJson(spec.schedule),
    prerequisites: [...spec.prerequisites],
    constraints: copyJson(spec.constraints),
    constraintMask: spec.constraintMask,
    minBattery: spec.minBattery,
    maxMemory: spec.maxMemory,
    inputMerger: spec.inputMerger,
    lastError: spec.lastError,
    createdAt: spec.createdAt,
    updatedAt: spec.updatedAt,
    finishedAt: spec.finishedAt,
    leaseOwner: spec.leaseOwner,
    leaseExpiresAt: spec.leaseExpiresAt,
    leaseToken: spec.leaseToken,
  };
}

/** A deep copy of a JSON-shaped value (plain objects, arrays, primitives). */
function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyJson) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[key] = copyJson(field);
  return copy as T;
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
