/**
 * The one line of figures each scenario prints: rounds, items, lost, duplicates, stuck and the
 * longest recovery, plus scenario-specific extras. The line is printed whether the scenario passes
 * or fails (print before asserting), so a red run still shows what was measured. When
 * `OFFSTAGE_RELIABILITY_FIGURES` names a file, each line is also appended to it as JSON, which is
 * how RELIABILITY.md's table is collected.
 */
import { appendFileSync } from 'node:fs';
import { reliabilitySize } from './config.js';

/** What one scenario measured. */
export interface Figures {
  /** Scenario name, such as `crash-at-any-moment`. */
  scenario: string;
  /** The store the scenario ran against (`sqlite`, `postgres`). */
  store: string;
  /** Rounds (kills, processes, fuzz runs...): what "one repetition" means is the scenario's. */
  rounds: number;
  /** Work items (or fuzz cases) involved. */
  items: number;
  /** Items that vanished or never reached the state they must reach. */
  lost: number;
  /** Handler completions beyond the first for one item (at-least-once re-runs). */
  duplicates: number;
  /** Items left `running` without a live owner, or never finishing. */
  stuck: number;
  /** Longest time from a fault (a kill, a full disk, a stalled owner) to the work moving again, in ms; null when not applicable. */
  longestRecoveryMs: number | null;
  /** Anything else worth a number (kills, errors seen, runs...). */
  extra?: Record<string, string | number>;
}

/**
 * Formats figures as one line.
 *
 * @example
 * formatFigures({ scenario: 'contention', store: 'sqlite', rounds: 4, items: 600, lost: 0, duplicates: 0, stuck: 0, longestRecoveryMs: null })
 * // 'reliability contention [sqlite, default]: rounds=4 items=600 lost=0 duplicates=0 stuck=0 longest-recovery=-'
 */
export function formatFigures(f: Figures): string {
  const recovery = f.longestRecoveryMs === null ? '-' : `${(f.longestRecoveryMs / 1000).toFixed(2)}s`;
  const extra = Object.entries(f.extra ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return (
    `reliability ${f.scenario} [${f.store}, ${reliabilitySize()}]: rounds=${f.rounds} items=${f.items} lost=${f.lost} ` +
    `duplicates=${f.duplicates} stuck=${f.stuck} longest-recovery=${recovery}${extra ? ` | ${extra}` : ''}`
  );
}

/**
 * Prints the figures line (and appends it as JSON to `OFFSTAGE_RELIABILITY_FIGURES`, when set).
 * Call it before the scenario's assertions, so a failing run still reports what it measured.
 */
export function reportFigures(f: Figures): string {
  const line = formatFigures(f);
  // stdout directly: one line, not vitest's multi-line console block.
  process.stdout.write(`${line}\n`);
  const file = process.env.OFFSTAGE_RELIABILITY_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify({ ...f, size: reliabilitySize(), line })}\n`);
  return line;
}
