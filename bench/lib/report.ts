/**
 * Turns case results into what people read: one-line summaries for stdout, the RESULTS.md table
 * with the machine and method, and the results.json array. Formatting only; no measuring here.
 */
import type { GoalResult } from './goals.js';
import type { BenchCase, MetricResult, Mode, SideResult, SkippedSide } from './harness.js';
import type { MachineInfo } from './machine.js';
import type { PostgresSettings } from './postgres.js';
import type { PeerDescription } from './peers/index.js';
import type { Summary } from './stats.js';

/**
 * Formats a value for its unit: rates as whole numbers with separators, times with three
 * significant digits.
 *
 * @example
 * formatValue(12345.6, 'jobs/s') // '12,346'
 * formatValue(0.41234, 'ms')     // '0.412'
 */
export function formatValue(value: number, unit: string): string {
  if (unit === 'ms') return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
  if (unit === '% CPU') return value === 0 ? '0' : value >= 10 ? value.toFixed(1) : value.toPrecision(2);
  if (unit === 'MiB') return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

/**
 * `median (min–max)` of a summary.
 *
 * @example
 * formatSummary({ median: 2, min: 1, max: 3, runs: [1, 2, 3] }, 'ms') // '2.00 (1.00–3.00)'
 */
export function formatSummary(s: Summary, unit: string): string {
  return `${formatValue(s.median, unit)} (${formatValue(s.min, unit)}–${formatValue(s.max, unit)})`;
}

/**
 * A ratio to two significant digits with a multiplication sign.
 *
 * @example
 * formatRatio(0.4213) // '0.42×'
 */
export function formatRatio(ratio: number | null): string {
  if (ratio === null) return '— (peer 0)';
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toPrecision(2)}×`;
}

/** What "better" means for a ratio of offstage to a peer, in words. */
function ratioMeaning(r: MetricResult): string {
  return r.better === 'higher' ? 'higher is better' : 'lower is better';
}

/**
 * One stdout line for a finished run of one side.
 *
 * @example
 * formatRunLine(c, 'offstage', 1, 5, result) // '  offstage            run 1/5  12,345 jobs/s  ✓ 10000 handler calls'
 */
export function formatRunLine(c: BenchCase, side: string, run: number | 'warm-up', runs: number, result: SideResult): string {
  // Many figures (the wake-up case): values only, in the order of the case's metrics.
  const labelled = c.metrics.length <= 2;
  const figures = c.metrics.map((m) => `${labelled && m.label ? `${m.label} ` : ''}${formatValue(result.values[m.key]!, m.unit)} ${m.unit}`).join(', ');
  const which = run === 'warm-up' ? 'warm-up' : `run ${run}/${runs}`;
  return `  ${side.padEnd(20)} ${which.padEnd(9)} ${figures.padEnd(28)} ✓ ${result.verified}`;
}

/**
 * The stdout summary of one metric: every side's median (min–max) and each ratio.
 *
 * @example
 * console.log(formatSummaryLines(result).join('\n'))
 */
export function formatSummaryLines(r: MetricResult): string[] {
  const lines = [`  → ${r.name} (${r.unit}, ${ratioMeaning(r)})`, `      ${'offstage'.padEnd(20)} ${formatSummary(r.offstage, r.unit)}`];
  for (const [peer, s] of Object.entries(r.peers)) {
    lines.push(`      ${peer.padEnd(20)} ${formatSummary(s, r.unit)}   offstage/peer ${formatRatio(r.ratio[peer]!)}`);
  }
  return lines;
}

/** Everything RESULTS.md is made of. */
export interface ReportInput {
  machine: MachineInfo;
  /** The server the PostgreSQL cases ran on, as read back from it; null when none ran. */
  postgres: PostgresSettings | null;
  mode: Mode;
  cases: readonly BenchCase[];
  results: readonly MetricResult[];
  skipped: readonly SkippedSide[];
  /** What each side's last run verified, by case id then side. */
  verified: Record<string, Record<string, string>>;
  goals: readonly GoalResult[];
  peers: readonly PeerDescription[];
  wallSeconds: number;
}

const STATUS: Record<GoalResult['status'], string> = { met: '**met**', missed: '**MISSED**', 'not evaluated': 'not evaluated' };

/**
 * Renders RESULTS.md.
 *
 * @example
 * writeFileSync('RESULTS.md', renderMarkdown({ machine, mode, cases, results, skipped, verified, goals, peers, wallSeconds }))
 */
export function renderMarkdown(input: ReportInput): string {
  const { machine, mode, cases, results, skipped } = input;
  const rows = results.flatMap((r) => {
    const peers = Object.entries(r.peers);
    if (peers.length === 0) return [`| ${r.name} | ${r.unit} | ${formatSummary(r.offstage, r.unit)} | — | — | — | ${r.better} |`];
    return peers.map(
      ([peer, s]) =>
        `| ${r.name} | ${r.unit} | ${formatSummary(r.offstage, r.unit)} | ${peer} | ${formatSummary(s, r.unit)} | ${formatRatio(r.ratio[peer]!)} | ${r.better} |`,
    );
  });
  const notRunRows = skipped.map((s) => `| ${s.caseTitle} | ${s.side} | ${s.reason.replaceAll('|', '\\|')} |`);
  const sizes = cases.map((c) => {
    const size = c.size[mode];
    return `| ${c.title} | ${size.n === 0 ? '—' : `${size.n.toLocaleString('en-US')} ${c.nUnit}`} | ${size.runs} | ${size.warmupN.toLocaleString('en-US')} | ${c.durability ?? `WAL, synchronous=${c.synchronous}`} |`;
  });
  const methods = cases.map((c) => `- **${c.title}.** ${c.method}`);
  const verifiedLines = cases.flatMap((c) => {
    const sides = Object.entries(input.verified[c.id] ?? {});
    return sides.length === 0 ? [] : [`- **${c.title}.** ${sides.map(([side, text]) => `${side}: ${text}`).join('. ')}.`];
  });
  const peerRows = input.peers.map((p) => `| ${p.name} | ${p.packages} | ${p.settings.replaceAll('|', '\\|')} |`);
  return [
    '# offstage benchmark results',
    '',
    `Generated by \`${machine.command}\`${mode === 'quick' ? ' (quick mode: small n, not figures to quote)' : ''} on ${machine.date}; the whole run took ${input.wallSeconds.toFixed(0)} s.`,
    '',
    '## Goals',
    '',
    '| Goal | Result | Figures |',
    '| --- | --- | --- |',
    ...input.goals.map((g) => `| ${g.goal} | ${STATUS[g.status]} | ${g.detail} |`),
    '',
    '## Figures',
    '',
    'Each figure is the **median (min–max)** over the runs. **Ratio** = offstage median / peer median: for jobs/s above 1× means offstage is faster;',
    'for ms, % CPU, statements and MiB below 1× means offstage is lower (the last column says which direction is better). Peers that did not run are listed',
    'after the table, with the reason.',
    '',
    '| Case | Unit | offstage median (min–max) | Peer | Peer median (min–max) | Ratio offstage/peer | Better |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '## Sides that did not run',
    '',
    ...(notRunRows.length === 0
      ? ['Every side of every case ran.']
      : ['| Case | Side | Why |', '| --- | --- | --- |', ...notRunRows]),
    '',
    '## What the last run of each side verified',
    '',
    ...verifiedLines,
    '',
    '## The sides',
    '',
    '| Side | Packages as installed | Configuration, durability, what a drain does |',
    '| --- | --- | --- |',
    ...peerRows,
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cpuModel}, ${machine.cores} cores (shared: other work on the machine adds noise; the min–max ranges show how much)`,
    `- OS: ${machine.os}`,
    `- Node ${machine.node}, SQLite ${machine.sqlite} (bundled with better-sqlite3; used by offstage, raw and plainjob; liteque's build is named in the table above)`,
    `- Databases: a fresh file per run in \`${machine.tmpdir}\` (${machine.filesystem}), deleted after the run`,
    '- Durability: `journal_mode=WAL` on every SQLite side; `synchronous` per case below, identical on every SQLite side; BullMQ\'s Redis persists nothing; the PostgreSQL cases: the server\'s settings on the next line, the same for every side',
    ...(input.postgres
      ? [`- PostgreSQL (the PostgreSQL cases): server ${input.postgres.version}; ${input.postgres.durability.map((d) => `\`${d}\``).join(', ')}; ${input.postgres.location}; a fresh database per run of each side`]
      : []),
    `- Command: \`${machine.command}\` at the repository root, which runs \`${machine.invocation}\` in \`bench/\``,
    '',
    '## Sizes',
    '',
    '| Case | n per run | Runs | Warm-up n (discarded) | Durability |',
    '| --- | --- | --- | --- | --- |',
    ...sizes,
    '',
    '## Method',
    '',
    'All in-process sides run in this one Node process, one at a time. Every run gets a fresh database in its own temp directory. Runs of the sides are',
    'interleaved (offstage run 1, raw run 1, raw run 2, offstage run 2, ...: the starting side rotates) so drift on a shared machine hits every',
    'side alike; a full GC runs before each run; each side first does one discarded warm-up run where the case has one. The idle and wake-up cases',
    'run each measurement in a fresh child process instead (their figures belong to a whole process). Every run verifies its own result before its',
    'figure counts (each job seen exactly once by the handler, the store holding exactly the expected rows). A failed check of offstage stops the',
    'whole benchmark; a peer that fails (its own error or a failed check) leaves its case with that error listed above and no figures.',
    '',
    'The PostgreSQL cases run every side in this process against one PostgreSQL server (the benchmark\'s own throwaway cluster unless `DATABASE_URL`',
    'names one), each run on a database created for it and dropped after it; the queues connect over TCP to 127.0.0.1 with their own pools.',
    'Their figures include the round trips to the server and its commits to disk, which the SQLite cases do not have: compare them with each',
    'other, not with the SQLite cases.',
    '',
    'The raw better-sqlite3 baseline is the least a durable SQLite queue must do per job on the same settings: one `jobs` table',
    '(`id integer primary key, task, payload, state, priority, run_at`) with one index `(state, priority desc, run_at)`, the same pragmas',
    '(WAL, same `synchronous`, `busy_timeout`), prepared statements, every write in its own `begin immediate` transaction. It keeps no run',
    'journal, no leases or fencing tokens, no timeouts or events, and runs synchronously: a floor of per-job work, not a competitor. It commits',
    'each completion on its own, so a queue that puts several completions in one commit (offstage\'s store does) can beat it, most of all at',
    '`synchronous=FULL`, where every commit is an fsync.',
    '',
    ...methods,
    '',
  ].join('\n');
}

/**
 * The results.json array: one object per reported figure (a case with several figures has one per
 * figure), each with every peer's summary and ratio, plus the sides that did not run and why; a
 * case that did not run at all is one object with `offstage: null`.
 *
 * @example
 * writeFileSync('results.json', JSON.stringify(toJson(cases, results, skipped), null, 2))
 */
export function toJson(cases: readonly BenchCase[], results: readonly MetricResult[], skipped: readonly SkippedSide[]): object[] {
  const notRun = (caseId: string): Record<string, string> => Object.fromEntries(skipped.filter((s) => s.caseId === caseId).map((s) => [s.side, s.reason]));
  return cases.flatMap((c): object[] => {
    const mine = results.filter((r) => r.caseId === c.id);
    if (mine.length === 0) {
      return c.metrics.map((m) => ({ name: m.label ? `${c.title} — ${m.label}` : c.title, unit: m.unit, better: m.better, caseId: c.id, offstage: null, peers: {}, ratio: {}, notRun: notRun(c.id) }));
    }
    return mine.map((r) => ({
      name: r.name,
      unit: r.unit,
      better: r.better,
      caseId: r.caseId,
      // A PostgreSQL case has no SQLite `synchronous`: its durability says what it ran with.
      ...(c.durability === undefined || c.durability.includes('synchronous=') ? { synchronous: r.synchronous } : {}),
      durability: c.durability ?? `WAL, synchronous=${r.synchronous}`,
      n: r.n,
      offstage: r.offstage,
      peers: r.peers,
      ratio: r.ratio,
      notRun: notRun(c.id),
    }));
  });
}
