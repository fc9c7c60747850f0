/**
 * The case model and runner. A case measures one or more figures (metrics); it has an offstage
 * side and any number of peers (the raw better-sqlite3 floor, other queues), each of which runs
 * the same workload on a fresh database and verifies its own result. Sides are interleaved run by
 * run (with the starting side rotated) so slow drift on a shared machine hits every side alike.
 * A side that cannot run here (not installable, no server, not meaningful for the case) says why
 * instead, and the case goes on without it; the reason is reported, never a made-up figure.
 */
import { summarize, type Summary } from './stats.js';
import { withTempDb } from './temp-db.js';

/** SQLite's `synchronous` pragma, always with `journal_mode=WAL`. */
export type Synchronous = 'NORMAL' | 'FULL';

/** One reported figure of a case. */
export interface Metric {
  /** Key into {@link SideResult.values}. */
  key: string;
  /** Appended to the case title when a case reports several figures (e.g. `p50`). */
  label?: string;
  /** Unit of the value, e.g. `jobs/s` or `ms`. */
  unit: string;
  /** Which direction is better, for offstage and peers alike. */
  better: 'higher' | 'lower';
}

/** What a side gets for one run. */
export interface RunContext {
  /** A database path in a fresh temp directory; the file does not exist yet. */
  dbPath: string;
  /** Workload size (jobs, or samples for latency). */
  n: number;
  synchronous: Synchronous;
}

/** What one run of a side produced, after it verified itself. */
export interface SideResult {
  /** One value per metric key. */
  values: Record<string, number>;
  /** What the run checked, e.g. `10000 handler calls, 10000 rows succeeded`. */
  verified: string;
}

/**
 * What a side is, for goals and reports: offstage itself, the raw SQLite floor (a ceiling, not a
 * competitor), an embedded SQLite queue (a competitor), a PostgreSQL queue on the same server as
 * offstage's PostgreSQL store (a competitor), or something shown for reference only (a queue on
 * another store, offstage in another configuration).
 */
export type SideKind = 'offstage' | 'floor' | 'sqlite-queue' | 'postgres-queue' | 'reference';

/** One contender in a case: offstage, or a peer. */
export interface Side {
  /** Short name shown in tables (`offstage`, `raw better-sqlite3`, `plainjob`...). */
  name: string;
  kind: SideKind;
  /**
   * Why this side cannot run in this process (a package that does not load, a server that is
   * missing), or null when it can. Asked once per case, before anything runs.
   */
  unavailable?(): Promise<string | null>;
  /** One-time setup before the case's first run (a seeded template database, a server). */
  prepare?(): Promise<void>;
  /** Undoes {@link prepare} after the case's last run, pass or fail. */
  dispose?(): Promise<void>;
  /** Runs the workload once and verifies it; throws `VerificationError` when the result is wrong. */
  run(ctx: RunContext): Promise<SideResult>;
}

/** How big a case is in one mode. */
export interface CaseSize {
  n: number;
  runs: number;
  /** Size of one discarded warm-up run per side (JIT, page cache); 0 for none. */
  warmupN: number;
}

/** A benchmark case: one workload, measured on every side. */
export interface BenchCase {
  /** Stable id, for `--only`. */
  id: string;
  /** Row label in reports. */
  title: string;
  synchronous: Synchronous;
  /** What n counts, e.g. `jobs` or `samples`. */
  nUnit: string;
  metrics: Metric[];
  size: { quick: CaseSize; full: CaseSize };
  /** How each side is measured, in Markdown, for RESULTS.md. */
  method: string;
  /** Durability as shown in the Sizes table; default `WAL, synchronous=<synchronous>`. */
  durability?: string;
  /**
   * Run the sides of one round at the same time instead of one after another. Only for sides that
   * each run in their own child process and measure something per process (CPU time, queries), not
   * wall time, so they cannot disturb one another's figure; it keeps long idle windows affordable.
   */
  concurrentSides?: boolean;
  offstage: Side;
  peers: Side[];
}

/** A side of a case that did not run, and why (exactly as it failed, where it failed). */
export interface SkippedSide {
  caseId: string;
  caseTitle: string;
  side: string;
  reason: string;
}

/** Everything a case produced. */
export interface CaseOutcome {
  results: MetricResult[];
  /** Sides that did not run; when offstage is among them, the whole case did not run. */
  skipped: SkippedSide[];
  /** What each side's last run verified (and noted), by side name. */
  verified: Record<string, string>;
}

/** One reported figure: offstage against every peer. */
export interface MetricResult {
  name: string;
  caseId: string;
  unit: string;
  better: 'higher' | 'lower';
  synchronous: Synchronous;
  n: number;
  nUnit: string;
  offstage: Summary;
  peers: Record<string, Summary>;
  /** offstage median / peer median, per peer (null when the peer's median is 0). */
  ratio: Record<string, number | null>;
  /** Each peer's kind, for goals that compare against one kind of peer. */
  peerKinds: Record<string, SideKind>;
}

/** Run mode: `quick` for a smoke run, `full` for the figures we keep. */
export type Mode = 'quick' | 'full';

/** Progress callbacks, so the runner can print as it goes. */
export interface RunObserver {
  onRun?(c: BenchCase, side: Side, run: number, runs: number, result: SideResult): void;
  onWarmup?(c: BenchCase, side: Side, result: SideResult): void;
  onSkip?(c: BenchCase, side: Side, reason: string): void;
}

/**
 * Runs every available side of a case `size.runs` times (after one warm-up each) and summarises
 * each metric. Sides that say they cannot run are skipped with their reason; if offstage cannot,
 * nothing runs.
 *
 * @example
 * const { results, skipped } = await runCase(drainCase('NORMAL'), 'full', { onRun: print })
 */
export async function runCase(c: BenchCase, mode: Mode, observer: RunObserver = {}): Promise<CaseOutcome> {
  const size = c.size[mode];
  const all = [c.offstage, ...c.peers];
  const names = new Set(all.map((s) => s.name));
  if (names.size !== all.length) throw new Error(`Case ${c.id} has two sides with the same name`);

  const skipped: SkippedSide[] = [];
  const sides: Side[] = [];
  for (const side of all) {
    const reason = side.unavailable ? await side.unavailable() : null;
    if (reason === null) sides.push(side);
    else {
      skipped.push({ caseId: c.id, caseTitle: c.title, side: side.name, reason });
      observer.onSkip?.(c, side, reason);
    }
  }
  if (!sides.includes(c.offstage)) {
    const reason = skipped.find((s) => s.side === c.offstage.name)!.reason;
    for (const p of sides) skipped.push({ caseId: c.id, caseTitle: c.title, side: p.name, reason: `the case did not run: ${reason}` });
    return { results: [], skipped, verified: {} };
  }

  const prepared: Side[] = [];
  try {
    for (const side of sides) {
      await side.prepare?.();
      prepared.push(side);
    }
    const values = new Map<string, Map<string, number[]>>(sides.map((s) => [s.name, new Map(c.metrics.map((m) => [m.key, []]))]));
    // A peer that throws (its own error, or a failed check) leaves the case with that error as its
    // reason and none of its figures; offstage throwing stops the whole benchmark.
    const failed = new Set<Side>();
    const attempt = async (side: Side, n: number, what: string): Promise<SideResult | null> => {
      try {
        return await runSide(c, side, n);
      } catch (error) {
        if (side === c.offstage) throw error;
        failed.add(side);
        const reason = `failed in ${what}: ${describeError(error)}`;
        skipped.push({ caseId: c.id, caseTitle: c.title, side: side.name, reason });
        observer.onSkip?.(c, side, reason);
        return null;
      }
    };
    const verified: Record<string, string> = {};
    const record = (side: Side, result: SideResult | null, run: number): void => {
      if (result === null) return;
      verified[side.name] = result.verified;
      for (const m of c.metrics) values.get(side.name)!.get(m.key)!.push(result.values[m.key]!);
      observer.onRun?.(c, side, run, size.runs, result);
    };
    if (size.warmupN > 0) {
      for (const side of sides) {
        const result = await attempt(side, size.warmupN, 'its warm-up run');
        if (result) observer.onWarmup?.(c, side, result);
      }
    }
    for (let r = 0; r < size.runs; r++) {
      const order = sides.map((_, i) => sides[(i + r) % sides.length]!).filter((s) => !failed.has(s));
      const what = `run ${r + 1}/${size.runs}`;
      if (c.concurrentSides) {
        // Every side finishes (and cleans up) before an offstage failure stops the benchmark.
        const settled = await Promise.allSettled(order.map((side) => attempt(side, size.n, what)));
        const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (rejected) throw rejected.reason;
        order.forEach((side, i) => record(side, (settled[i] as PromiseFulfilledResult<SideResult | null>).value, r + 1));
      } else {
        for (const side of order) record(side, await attempt(side, size.n, what), r + 1);
      }
    }

    const peers = sides.filter((s) => s !== c.offstage && !failed.has(s));
    const results = c.metrics.map((m): MetricResult => {
      const of = (side: Side): Summary => summarize(values.get(side.name)!.get(m.key)!);
      const offstage = of(c.offstage);
      const summaries = Object.fromEntries(peers.map((p) => [p.name, of(p)]));
      const ratio = Object.fromEntries(peers.map((p) => [p.name, summaries[p.name]!.median === 0 ? null : offstage.median / summaries[p.name]!.median]));
      const peerKinds = Object.fromEntries(peers.map((p) => [p.name, p.kind]));
      const name = m.label ? `${c.title} — ${m.label}` : c.title;
      return { name, caseId: c.id, unit: m.unit, better: m.better, synchronous: c.synchronous, n: size.n, nUnit: c.nUnit, offstage, peers: summaries, ratio, peerKinds };
    });
    for (const side of failed) delete verified[side.name];
    return { results, skipped, verified };
  } finally {
    for (const side of prepared.reverse()) await side.dispose?.();
  }
}

async function runSide(c: BenchCase, side: Side, n: number): Promise<SideResult> {
  collectGarbage();
  const result = await withTempDb((dbPath) => side.run({ dbPath, n, synchronous: c.synchronous }));
  for (const m of c.metrics) {
    const v = result.values[m.key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`Case ${c.id}, side ${side.name}: metric ${m.key} is ${String(v)}`);
    }
  }
  return result;
}

/** An error as one line: its name and message, and its cause's. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const own = `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`;
  return error.cause === undefined ? own : `${own} (cause: ${describeError(error.cause)})`;
}

/** Runs a full GC between runs when node was started with `--expose-gc`, so one run's garbage is not collected on the next one's clock. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
