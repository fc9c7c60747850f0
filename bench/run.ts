/**
 * `npm run bench [-- --quick] [--only <case-id,...>] [--write]`: runs every benchmark case,
 * offstage against its peers in the same process, prints each run as it goes, and (for a full run
 * of every case, or with `--write`) writes RESULTS.md and results.json next to this file.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES } from './cases/index.js';
import { runCase, type MetricResult, type Mode } from './lib/harness.js';
import { machineInfo } from './lib/machine.js';
import { formatRunLine, formatSummaryLines, renderMarkdown, toJson } from './lib/report.js';

const HELP = `Usage: npm run bench [-- options]
  --quick          small n for every case (a smoke run; writes nothing unless --write)
  --only <ids>     comma-separated case ids to run (writes nothing unless --write): ${CASES.map((c) => c.id).join(', ')}
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
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((id) => !CASES.some((c) => c.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`Unknown case id(s): ${unknown.join(', ')}; known: ${CASES.map((c) => c.id).join(', ')}`);
  const cases = only ? CASES.filter((c) => only.includes(c.id)) : CASES;

  const t0 = performance.now();
  const machine = machineInfo(args, new Date());
  console.log(`offstage bench, ${mode} mode: ${machine.cpuModel} ×${machine.cores}, Node ${machine.node}, SQLite ${machine.sqlite}, temp dbs in ${machine.tmpdir} (${machine.filesystem})`);
  if (mode === 'quick') {
    const runs = [...new Set(cases.map((c) => c.size.quick.runs))].join('/');
    console.log(`Quick mode: small n per case, ${runs} runs each; figures are for smoke-testing, not for quoting.`);
  }

  const results: MetricResult[] = [];
  for (const c of cases) {
    const size = c.size[mode];
    console.log(`\n== ${c.title}  [${c.id}: n=${size.n.toLocaleString('en-US')} ${c.nUnit}, ${size.runs} runs, WAL + synchronous=${c.synchronous}]`);
    const caseResults = await runCase(c, mode, {
      onWarmup: (_, side, r) => console.log(formatRunLine(c, side.name, 'warm-up', size.runs, r)),
      onRun: (_, side, run, runs, r) => console.log(formatRunLine(c, side.name, run, runs, r)),
    });
    for (const r of caseResults) console.log(formatSummaryLines(r).join('\n'));
    results.push(...caseResults);
  }

  const wallSeconds = (performance.now() - t0) / 1000;
  const markdown = renderMarkdown({ machine, mode, cases, results, wallSeconds });
  const json = `${JSON.stringify(toJson(results), null, 2)}\n`;
  const here = dirname(fileURLToPath(import.meta.url));
  if ((mode === 'full' && !only) || values.write) {
    writeFileSync(join(here, 'RESULTS.md'), markdown);
    writeFileSync(join(here, 'results.json'), json);
    console.log(`\nWrote ${join(here, 'RESULTS.md')} and results.json.`);
  } else {
    console.log('\nNot writing RESULTS.md/results.json (quick or partial run; pass --write to write them).');
  }
  console.log(`Done in ${wallSeconds.toFixed(1)} s.`);
}

main().catch((error: unknown) => {
  console.error('\nBENCHMARK FAILED:', error);
  process.exitCode = 1;
});
