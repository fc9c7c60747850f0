/**
 * The goals the benchmark is held to, checked against the figures of a run and stated plainly
 * (met, missed, or not evaluated and why) in RESULTS.md. The goals are fixed here; the benchmark
 * is never tuned to meet them.
 */
import type { MetricResult, Mode, SideKind } from './harness.js';
import { formatValue } from './report.js';

/** One goal and how this run did against it. */
export interface GoalResult {
  goal: string;
  status: 'met' | 'missed' | 'not evaluated';
  detail: string;
}

function find(results: readonly MetricResult[], caseId: string, name?: (n: string) => boolean): MetricResult | undefined {
  return results.find((r) => r.caseId === caseId && (!name || name(r.name)));
}

/**
 * A drain goal: offstage's median against the fastest peer of one kind in case `caseId`, met when
 * the ratio is at least `factor`.
 */
function drainGoal(results: readonly MetricResult[], caseId: string, goal: string, kind: Extract<SideKind, 'sqlite-queue' | 'postgres-queue'>, factor: number): GoalResult {
  const r = find(results, caseId);
  if (!r) return { goal, status: 'not evaluated', detail: `the ${caseId} case did not run` };
  const queues = Object.entries(r.peers).filter(([name]) => r.peerKinds[name] === kind);
  if (queues.length === 0) return { goal, status: 'not evaluated', detail: `no ${kind === 'sqlite-queue' ? 'SQLite' : 'PostgreSQL'} queue peer ran in this case` };
  const [bestName, best] = queues.reduce((a, b) => (b[1].median > a[1].median ? b : a));
  const ratio = r.offstage.median / best.median;
  return {
    goal,
    status: ratio >= factor ? 'met' : 'missed',
    detail: `offstage ${formatValue(r.offstage.median, r.unit)} jobs/s vs ${bestName} ${formatValue(best.median, r.unit)} jobs/s (medians): ${ratio.toFixed(2)}×`,
  };
}

/** The SQLite drain goal on one `synchronous` setting. */
function sqliteDrainGoal(results: readonly MetricResult[], caseId: string, label: string): GoalResult {
  return drainGoal(results, caseId, `offstage drain ≥ 2× the best embedded SQLite queue peer (${label})`, 'sqlite-queue', 2);
}

/** What the idle run line says ran (`statements: 1× pragma ...`), for the goal's detail. */
function statementsSeen(verified: string | undefined): string {
  const at = verified?.indexOf('statements: ') ?? -1;
  if (verified === undefined || at < 0) return '';
  const seen = verified.slice(at + 'statements: '.length);
  return seen === 'none' ? '' : ` (last run: ${seen})`;
}

/**
 * Every goal, evaluated on `results` of a run in `mode`.
 *
 * @example
 * evaluateGoals(results, 'full', WAKEUP_SIZES.full, verified).filter((g) => g.status === 'missed')
 */
export function evaluateGoals(
  results: readonly MetricResult[],
  mode: Mode,
  wakeupSizes: readonly number[],
  verified: Record<string, Record<string, string>> = {},
): GoalResult[] {
  const goals = [sqliteDrainGoal(results, 'drain-normal', 'synchronous=NORMAL'), sqliteDrainGoal(results, 'drain-full', 'synchronous=FULL')];

  const cpu = find(results, 'idle', (n) => n.includes('CPU'));
  const statements = find(results, 'idle', (n) => n.includes('statements'));
  const cpuGoal = 'idle worker: CPU under 1% of one core (every run)';
  const stmtGoal = 'idle worker: zero store queries while nothing is due (every run)';
  if (!cpu || !statements) {
    goals.push({ goal: cpuGoal, status: 'not evaluated', detail: 'the idle case did not run' }, { goal: stmtGoal, status: 'not evaluated', detail: 'the idle case did not run' });
  } else {
    goals.push({
      goal: cpuGoal,
      status: cpu.offstage.max < 1 ? 'met' : 'missed',
      detail: `offstage ${formatValue(cpu.offstage.median, cpu.unit)} % median, ${formatValue(cpu.offstage.max, cpu.unit)} % worst run`,
    });
    goals.push({
      goal: stmtGoal,
      status: statements.offstage.max === 0 ? 'met' : 'missed',
      detail: `offstage ran ${statements.offstage.runs.join(', ')} statements in the runs' windows${statementsSeen(verified.idle?.offstage)}`,
    });
  }

  const largest = wakeupSizes.at(-1)!;
  const smallest = wakeupSizes[0]!;
  const ms = find(results, 'wakeup', (n) => n.includes(`${largest.toLocaleString('en-US')} pending: open`));
  const msGoal = 'wake-up: open → first due handler under 50 ms with 1,000,000 pending';
  if (largest !== 1_000_000) goals.push({ goal: msGoal, status: 'not evaluated', detail: `${mode} mode measures up to ${largest.toLocaleString('en-US')} pending` });
  else if (!ms) goals.push({ goal: msGoal, status: 'not evaluated', detail: 'the wake-up case did not run' });
  else {
    goals.push({
      goal: msGoal,
      status: ms.offstage.median < 50 ? 'met' : 'missed',
      detail: `offstage ${formatValue(ms.offstage.median, 'ms')} ms median (${formatValue(ms.offstage.min, 'ms')}–${formatValue(ms.offstage.max, 'ms')})`,
    });
  }
  const rssLarge = find(results, 'wakeup', (n) => n.includes(`${largest.toLocaleString('en-US')} pending: peak`));
  const rssSmall = find(results, 'wakeup', (n) => n.includes(`${smallest.toLocaleString('en-US')} pending: peak`));
  const rssGoal = `wake-up: peak memory flat from ${smallest.toLocaleString('en-US')} to ${largest.toLocaleString('en-US')} pending (median peak at the largest within 10% of the smallest)`;
  if (!rssLarge || !rssSmall) goals.push({ goal: rssGoal, status: 'not evaluated', detail: 'the wake-up case did not run' });
  else {
    const growth = rssLarge.offstage.median / rssSmall.offstage.median - 1;
    goals.push({
      goal: rssGoal,
      status: growth <= 0.1 ? 'met' : 'missed',
      detail: `offstage ${rssSmall.offstage.median.toFixed(0)} → ${rssLarge.offstage.median.toFixed(0)} MiB (${Math.abs(growth) < 0.005 ? '±0' : `${growth > 0 ? '+' : ''}${(growth * 100).toFixed(0)}`}%)`,
    });
  }
  goals.push(drainGoal(results, 'pg-drain', 'PostgreSQL drain: offstage ≥ the fastest peer (graphile-worker, pg-boss)', 'postgres-queue', 1));
  return goals;
}
