/**
 * `npm run bench [-- --quick] [--only <case-id,...>] [--write]`: runs every benchmark case,
 * offstage against its peers in the same process (or, for whole-process figures, in child
 * processes), prints each run as it goes, and (for a full run of every case, or with `--write`)
 * writes RESULTS.md and results.json next to this file.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildCases, CASE_GROUPS, CASE_IDS } from './cases/index.js';
import { WAKEUP_SIZES } from './cases/wakeup.js';
import { evaluateGoals } from './lib/goals.js';
import { runCase, type MetricResult, type Mode, type SkippedSide } from './lib/harness.js';
import { machineInfo } from './lib/machine.js';
import { postgresSettings, postgresUnavailable, stopPostgresServer, type PostgresSettings } from './lib/postgres.js';
import { describePeers } from './lib/peers/index.js';
import { formatRunLine, formatSummaryLines, renderMarkdown, toJson } from './lib/report.js';

const HELP = `Usage: npm run bench [-- options]
  --quick          small n for every case (a smoke run; writes nothing unless --write)
  --only <ids>     comma-separated case ids to run (writes nothing unless --write): ${CASE_IDS.join(', ')};
                   or a group: ${Object.entries(CASE_GROUPS).map(([group, ids]) => `${group} (${ids.join(', ')})`).join('; ')}
  --write          write RESULTS.md and results.json even for --quick or --only
  --help           this text`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { values } = parseArgs({
    args,
    options: { quick: { type: 'boolean' }, only: { type: 'string' }, write: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) return void console.log(HELP);

  const mode: Mode = values.quick ? 'quick' : 'full';
  const only = values.only?.split(',').flatMap((s) => CASE_GROUPS[s.trim()] ?? [s.trim()]);
  const unknown = only?.filter((id) => !CASE_IDS.includes(id)) ?? [];
  if (unknown.length > 0) throw new Error(`Unknown case id(s): ${unknown.join(', ')}; known: ${CASE_IDS.join(', ')}; groups: ${Object.keys(CASE_GROUPS).join(', ')}`);
  const all = buildCases(mode);
  const cases = only ? all.filter((c) => only.includes(c.id)) : all;

  const t0 = performance.now();
  const machine = machineInfo(args, new Date());
  console.log(`offstage bench, ${mode} mode: ${machine.cpuModel} ×${machine.cores}, Node ${machine.node}, SQLite ${machine.sqlite}, temp dbs in ${machine.tmpdir} (${machine.filesystem})`);
  if (mode === 'quick') {
    const runs = [...new Set(cases.map((c) => c.size.quick.runs))].join('/');
    console.log(`Quick mode: small n per case, ${runs} runs each; figures are for smoke-testing, not for quoting.`);
  }

  const write = (mode === 'full' && !only) || values.write === true;
  // Described (versions, probes) before anything runs, so a problem here cannot waste a whole run.
  const peers = write ? await describePeers() : [];

  const results: MetricResult[] = [];
  const skipped: SkippedSide[] = [];
  const verified: Record<string, Record<string, string>> = {};
  let postgres: PostgresSettings | null = null;
  for (const c of cases) {
    const size = c.size[mode];
    const t = performance.now();
    console.log(`\n== ${c.title}  [${c.id}: n=${size.n.toLocaleString('en-US')} ${c.nUnit}, ${size.runs} runs, ${c.durability ?? `WAL + synchronous=${c.synchronous}`}]`);
    if (postgres === null && CASE_GROUPS.postgres!.includes(c.id) && (await postgresUnavailable()) === null) {
      // Read back once, from the server the PostgreSQL cases run on (postgresUnavailable() started it).
      postgres = await postgresSettings();
      console.log(`  PostgreSQL ${postgres.version}: ${postgres.durability.join(', ')}; ${postgres.location}`);
    }
    const outcome = await runCase(c, mode, {
      onWarmup: (_, side, r) => console.log(formatRunLine(c, side.name, 'warm-up', size.runs, r)),
      onRun: (_, side, run, runs, r) => console.log(formatRunLine(c, side.name, run, runs, r)),
      onSkip: (_, side, reason) => console.log(`  ${side.name.padEnd(20)} NOT RUN   ${reason}`),
    });
    for (const r of outcome.results) console.log(formatSummaryLines(r).join('\n'));
    console.log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    results.push(...outcome.results);
    skipped.push(...outcome.skipped);
    verified[c.id] = outcome.verified;
  }

  const goals = evaluateGoals(results, mode, WAKEUP_SIZES[mode], verified);
  console.log('\nGoals:');
  for (const g of goals) console.log(`  ${g.status.toUpperCase().padEnd(13)} ${g.goal}: ${g.detail}`);

  const wallSeconds = (performance.now() - t0) / 1000;
  if (write) {
    const markdown = renderMarkdown({ machine, postgres, mode, cases, results, skipped, verified, goals, peers, wallSeconds });
    const json = `${JSON.stringify(toJson(cases, results, skipped), null, 2)}\n`;
    const here = dirname(fileURLToPath(import.meta.url));
    writeFileSync(join(here, 'RESULTS.md'), markdown);
    writeFileSync(join(here, 'results.json'), json);
    console.log(`\nWrote ${join(here, 'RESULTS.md')} and results.json.`);
  } else {
    console.log('\nNot writing RESULTS.md/results.json (quick or partial run; pass --write to write them).');
  }
  console.log(`Done in ${wallSeconds.toFixed(1)} s.`);
}

/** Runs the benchmark, then stops the PostgreSQL cluster it may have started, pass or fail. */
async function mainThenCleanUp(): Promise<void> {
  try {
    await main();
  } finally {
    await stopPostgresServer();
  }
}

mainThenCleanUp().then(
  // Exit now: a peer may leave timers behind (liteque arms a job timeout it never clears).
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error('\nBENCHMARK FAILED:', error);
    process.exit(1);
  },
);
