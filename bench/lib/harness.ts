/**
 * The case model and runner. A case measures one or more figures (metrics); it has an offstage
 * side and any number of peers (raw better-sqlite3 today; other queues later), each of which runs
 * the same workload on a fresh database and verifies its own result. Sides are interleaved run by
 * run (with the starting side rotated) so slow drift on a shared machine hits every side alike.
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

/** One contender in a case: offstage, or a peer. */
export interface Side {
  /** Short name shown in tables (`offstage`, `raw better-sqlite3`, `bullmq`...). */
  name: string;
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
  offstage: Side;
  peers: Side[];
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
  /** offstage median / peer median, per peer. */
  ratio: Record<string, number>;
}

/** Run mode: `quick` for a smoke run, `full` for the figures we keep. */
export type Mode = 'quick' | 'full';

/** Progress callbacks, so the runner can print as it goes. */
export interface RunObserver {
  onRun?(c: BenchCase, side: Side, run: number, runs: number, result: SideResult): void;
  onWarmup?(c: BenchCase, side: Side, result: SideResult): void;
}

/**
 * Runs every side of a case `size.runs` times (after one warm-up each) and summarises each metric.
 *
 * @example
 * const results = await runCase(drainCase('NORMAL'), 'full', { onRun: print })
 */
export async function runCase(c: BenchCase, mode: Mode, observer: RunObserver = {}): Promise<MetricResult[]> {
  const size = c.size[mode];
  const sides = [c.offstage, ...c.peers];
  const names = new Set(sides.map((s) => s.name));
  if (names.size !== sides.length) throw new Error(`Case ${c.id} has two sides with the same name`);

  if (size.warmupN > 0) {
    for (const side of sides) observer.onWarmup?.(c, side, await runSide(c, side, size.warmupN));
  }
  const values = new Map<string, Map<string, number[]>>(sides.map((s) => [s.name, new Map(c.metrics.map((m) => [m.key, []]))]));
  for (let r = 0; r < size.runs; r++) {
    const order = sides.map((_, i) => sides[(i + r) % sides.length]!);
    for (const side of order) {
      const result = await runSide(c, side, size.n);
      for (const m of c.metrics) values.get(side.name)!.get(m.key)!.push(result.values[m.key]!);
      observer.onRun?.(c, side, r + 1, size.runs, result);
    }
  }

  return c.metrics.map((m) => {
    const of = (side: Side): Summary => summarize(values.get(side.name)!.get(m.key)!);
    const offstage = of(c.offstage);
    const peers = Object.fromEntries(c.peers.map((p) => [p.name, of(p)]));
    const ratio = Object.fromEntries(c.peers.map((p) => [p.name, offstage.median / peers[p.name]!.median]));
    const name = m.label ? `${c.title} — ${m.label}` : c.title;
    return { name, caseId: c.id, unit: m.unit, better: m.better, synchronous: c.synchronous, n: size.n, nUnit: c.nUnit, offstage, peers, ratio };
  });
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

/** Runs a full GC between runs when node was started with `--expose-gc`, so one run's garbage is not collected on the next one's clock. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
