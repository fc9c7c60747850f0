/**
 * The invariants every scenario checks, as pure functions over a snapshot of the store (items,
 * journal, counts). Each returns a list of violations, one readable sentence each, so a failing
 * test says exactly which item broke which rule (`expect(violations).toEqual([])`).
 */
import { FINISHED_STATES, WORK_STATES, type CountRow, type RunRecord, type WorkSpec, type WorkStore } from '@offstage/core';

/** Everything a store holds, read at a quiet moment. */
export interface StoreSnapshot {
  items: WorkSpec[];
  runs: RunRecord[];
  counts: CountRow[];
  /** The `now` the counts were taken at. */
  now: number;
}

const PAGE = 500;

/**
 * Reads every item, every journal row and the counts. Read when no worker is writing (paging
 * while rows move between pages could skip or repeat one).
 *
 * @example
 * const snap = await snapshot(store, Date.now())
 */
export async function snapshot(store: WorkStore, now: number): Promise<StoreSnapshot> {
  const items: WorkSpec[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.query({ limit: PAGE, offset });
    items.push(...page);
    if (page.length < PAGE) break;
  }
  const runs: RunRecord[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.runs({ limit: PAGE, offset });
    runs.push(...page);
    if (page.length < PAGE) break;
  }
  return { items, runs, counts: await store.counts(now), now };
}

/** Groups journal rows by work id, oldest first (start time, then row id). */
export function runsByItem(runs: readonly RunRecord[]): Map<string, RunRecord[]> {
  const by = new Map<string, RunRecord[]>();
  for (const r of runs) {
    let list = by.get(r.workId);
    if (!list) by.set(r.workId, (list = []));
    list.push(r);
  }
  for (const list of by.values()) list.sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
  return by;
}

/**
 * The store agrees with itself: every state is valid; a lease exactly on running items; a finish
 * time exactly on finished ones; blocked items have prerequisites; stored JSON parses; each
 * running item has exactly one open journal row and nothing else has one; counts match the rows.
 *
 * @example
 * expect(consistencyViolations(await snapshot(store, now))).toEqual([])
 */
export function consistencyViolations(snap: StoreSnapshot): string[] {
  const out: string[] = [];
  const byItem = runsByItem(snap.runs);
  const ids = new Set<string>();
  for (const s of snap.items) {
    const what = `Item ${s.id} (${s.taskName}, ${s.state})`;
    if (ids.has(s.id)) out.push(`${what} appears twice.`);
    ids.add(s.id);
    if (!WORK_STATES.includes(s.state)) out.push(`${what} has an unknown state.`);
    const running = s.state === 'running';
    if (running !== (s.leaseOwner !== null && s.leaseExpiresAt !== null)) out.push(`${what} has lease owner ${s.leaseOwner} / expiry ${s.leaseExpiresAt}.`);
    if (FINISHED_STATES.includes(s.state) !== (s.finishedAt !== null)) out.push(`${what} has finishedAt ${s.finishedAt}.`);
    if (!Number.isInteger(s.attempt) || s.attempt < 0) out.push(`${what} has attempt ${s.attempt}.`);
    if (s.state === 'blocked' && s.prerequisites.length === 0) out.push(`${what} is blocked without prerequisites.`);
    for (const [field, json] of [['inputJson', s.inputJson], ['outputJson', s.outputJson], ['progressJson', s.progressJson]] as const) {
      if (json === null) continue;
      try {
        JSON.parse(json);
      } catch {
        out.push(`${what} has ${field} that is not JSON.`);
      }
    }
    const open = (byItem.get(s.id) ?? []).filter((r) => r.endedAt === null).length;
    if (open !== (running ? 1 : 0)) out.push(`${what} has ${open} open journal rows.`);
  }
  for (const r of snap.runs) if (!ids.has(r.workId)) out.push(`Journal row ${r.id} belongs to missing item ${r.workId}.`);
  const counted = new Map<string, number>();
  for (const row of snap.counts) counted.set(row.state, (counted.get(row.state) ?? 0) + row.count);
  for (const state of WORK_STATES) {
    const actual = snap.items.filter((s) => s.state === state).length;
    if ((counted.get(state) ?? 0) !== actual) out.push(`counts() says ${counted.get(state) ?? 0} ${state}, the rows say ${actual}.`);
  }
  return out;
}

/**
 * No double claim: one item's attempts never overlap in the journal (each starts at or after the
 * previous one ended, and only the last may be open).
 */
export function overlapViolations(runs: readonly RunRecord[]): string[] {
  const out: string[] = [];
  for (const [id, list] of runsByItem(runs)) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const next = list[i]!;
      if (prev.endedAt === null || next.startedAt < prev.endedAt) {
        out.push(`Item ${id}: attempt row ${next.id} (worker ${next.workerId}) started at ${next.startedAt} while row ${prev.id} (worker ${prev.workerId}) was open until ${prev.endedAt}.`);
      }
    }
  }
  return out;
}

/**
 * No settle by a stale lease: a succeeded one-time item has exactly one `succeeded` journal row,
 * and an item that did not succeed has none.
 */
export function settleViolations(snap: StoreSnapshot): string[] {
  const out: string[] = [];
  const byItem = runsByItem(snap.runs);
  for (const s of snap.items) {
    if (s.schedule) continue; // periodic work succeeds once per period
    const succeeded = (byItem.get(s.id) ?? []).filter((r) => r.outcome === 'succeeded').length;
    const expected = s.state === 'succeeded' ? 1 : 0;
    if (succeeded !== expected) out.push(`Item ${s.id} is ${s.state} with ${succeeded} succeeded journal rows.`);
  }
  return out;
}

/**
 * Chains are intact: no dependent started before every prerequisite succeeded; no blocked item
 * whose prerequisites all succeeded (it should have been released) or one of which failed or was
 * cancelled (it should have failed or been cancelled with it); no succeeded dependent of
 * unsucceeded work.
 */
export function chainViolations(snap: StoreSnapshot): string[] {
  const out: string[] = [];
  const byId = new Map(snap.items.map((s) => [s.id, s]));
  const byItem = runsByItem(snap.runs);
  for (const s of snap.items) {
    if (s.prerequisites.length === 0) continue;
    const prereqs = s.prerequisites.map((p) => byId.get(p));
    if (prereqs.some((p) => p === undefined)) {
      out.push(`Item ${s.id} waits for a prerequisite that is not stored.`);
      continue;
    }
    const ps = prereqs as WorkSpec[];
    const allSucceeded = ps.every((p) => p.state === 'succeeded');
    const firstRun = (byItem.get(s.id) ?? [])[0];
    if (firstRun) {
      for (const p of ps) {
        if (p.state !== 'succeeded' || p.finishedAt === null || p.finishedAt > firstRun.startedAt) {
          out.push(`Item ${s.id} started at ${firstRun.startedAt} before its prerequisite ${p.id} succeeded (${p.state}, finished ${p.finishedAt}).`);
        }
      }
    }
    if (s.state === 'blocked' && allSucceeded) out.push(`Item ${s.id} is still blocked though every prerequisite succeeded.`);
    if (s.state === 'blocked' && ps.some((p) => p.state === 'failed' || p.state === 'cancelled')) {
      out.push(`Item ${s.id} is still blocked though a prerequisite failed or was cancelled.`);
    }
    if (s.state === 'succeeded' && !allSucceeded) out.push(`Item ${s.id} succeeded though a prerequisite did not.`);
  }
  return out;
}
