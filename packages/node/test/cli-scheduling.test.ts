/**
 * The CLI over WorkManager's scheduling semantics: `enqueue` with periodic, unique and chained
 * work, `list --unique` and its UNIQUE/SCHEDULE columns, `show` with the schedule and the chain
 * position, bad values refused before anything is stored, and real processes racing on unique
 * names.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { UniqueOutcome, WorkInfo } from '@offstage/core';
import { cronerParser } from '@offstage/cron';
import type { EnqueueResult } from '../src/commands/enqueue.js';
import type { ShownWork } from '../src/commands/show.js';
import { createOffstage } from '../src/create-offstage.js';
import { runCliProcess, startScript } from './helpers/cli-process.js';
import { runInProcess } from './helpers/run-in-process.js';
import { expectOneLineError, useCliWorkspace } from './helpers/cli-workspace.js';

const RACE_FIXTURE = fileURLToPath(new URL('./fixtures/race-unique.ts', import.meta.url));

let dir: string;
let db: string;
const cli = (...args: string[]) => runInProcess([...args, '--db', db], dir);
const enqueue = async (...args: string[]): Promise<EnqueueResult> => {
  const result = await cli('enqueue', ...args, '--json');
  expect(result.code, result.stderr).toBe(0);
  return result.json<EnqueueResult>();
};
const at = (value: unknown): number => new Date(value as string).getTime();

useCliWorkspace('offstage-sched-', (d, file) => {
  dir = d;
  db = file;
});

describe('offstage enqueue: periodic work', () => {
  it('--every with --flex, and --cron in a time zone with --end-on-failure', async () => {
    const before = Date.now();
    const every = await enqueue('refresh', '--every', '1h', '--flex', '15m', '--input', '{"feed":"a"}');
    expect(every).toMatchObject({ outcome: 'enqueued', state: 'enqueued', input: { feed: 'a' }, schedule: { kind: 'interval', intervalMs: 3_600_000, flexMs: 900_000, endOnFailure: false } });
    // The first run falls in the first period's flex window: after 45 minutes.
    expect(at(every.nextRunAt)).toBeGreaterThanOrEqual(before + 45 * 60_000);
    expect(at(every.nextRunAt)).toBeLessThan(Date.now() + 45 * 60_000 + 1);

    const cron = await enqueue('report', '--cron', '0 3 * * *', '--timezone', 'Europe/Paris', '--end-on-failure');
    expect(cron.schedule).toEqual({ kind: 'cron', expression: '0 3 * * *', timezone: 'Europe/Paris', endOnFailure: true });
    expect(at(cron.nextRunAt)).toBe(cronerParser.next('0 3 * * *', 'Europe/Paris', at(cron.createdAt) - 1));

    const text = await cli('enqueue', 'digest', '--cron', '30 6 * * 1');
    expect(text.stdout).toMatch(/^enqueued \S+ \(digest, cron 30 6 \* \* 1 UTC, next run in \d+/);
  });

  it('--unique on periodic work: keep by default, update in place, cancel-and-reenqueue', async () => {
    const first = await enqueue('refresh', '--every', '1h', '--unique', 'feed');
    const kept = await enqueue('refresh', '--every', '5m', '--unique', 'feed');
    expect(kept).toMatchObject({ outcome: 'kept', id: first.id, schedule: { intervalMs: 3_600_000 } });
    const updated = await enqueue('refresh', '--every', '30m', '--input', '2', '--unique', 'feed', '--policy', 'update');
    expect(updated).toMatchObject({ outcome: 'updated', id: first.id, input: 2, schedule: { intervalMs: 1_800_000 } });
    const text = await cli('enqueue', 'refresh', '--every', '30m', '--unique', 'feed', '--policy', 'update');
    expect(text.stdout).toMatch(new RegExp(`^updated ${first.id} in place under "feed", keeping its id and history \\(refresh, every 30m`));
    const replaced = await enqueue('refresh', '--every', '2h', '--unique', 'feed', '--policy', 'cancel-and-reenqueue');
    expect(replaced.outcome).toBe('replaced');
    expect(replaced.id).not.toBe(first.id);
    const all = (await cli('list', '--unique', 'feed', '--json')).json<WorkInfo[]>();
    expect(all.map((w) => [w.id, w.state])).toEqual([
      [replaced.id, 'enqueued'],
      [first.id, 'cancelled'],
    ]);
  });
});

describe('offstage enqueue: unique one-time work, chains and expedited work', () => {
  it('keep (the default), replace and append, printing the outcome', async () => {
    const first = await enqueue('sync', '--unique', 'inbox', '--input', '1');
    const keptText = await cli('enqueue', 'sync', '--unique', 'inbox', '--input', '2');
    expect(keptText.stdout.trim()).toBe(`kept ${first.id}: the unique name "inbox" already has unfinished work (sync, enqueued); nothing enqueued`);
    const replaced = await enqueue('sync', '--unique', 'inbox', '--policy', 'replace', '--input', '3');
    expect(replaced).toMatchObject({ outcome: 'replaced', input: 3, uniqueName: 'inbox' });
    // append continues the newest chain (the replacement), leaving the replaced item behind.
    const appended = await enqueue('sync', '--unique', 'inbox', '--policy', 'append');
    expect(appended).toMatchObject({ outcome: 'appended', state: 'blocked', prerequisites: [replaced.id] });
    // Once that chain is cancelled, append would be cancelled at once: the CLI reads it back and says so.
    expect((await cli('cancel', '--all')).code).toBe(0);
    const doomed = await cli('enqueue', 'sync', '--unique', 'inbox', '--policy', 'append');
    expect(doomed.stdout).toMatch(/^appended \S+ to the work under "inbox", but it is already cancelled: .*use --policy append-or-replace/);
    const fresh = await enqueue('sync', '--unique', 'inbox', '--policy', 'append-or-replace');
    expect(fresh).toMatchObject({ outcome: 'replaced', state: 'enqueued', prerequisites: [] });
    expect((await cli('list', '--unique', 'inbox', '--state', 'enqueued', '--json')).json<WorkInfo[]>().map((w) => w.id)).toEqual([fresh.id]);
  });

  it('--after chains work (blocked until its prerequisites succeed), --expedited runs it ahead of every priority', async () => {
    const download = await enqueue('download', '--input', '{"url":"https://example.com/a.jpg"}');
    const resize = await enqueue('resize', '--after', download.id, '--input', '{"width":2048}');
    const thumbnail = await enqueue('thumbnail', '--after', download.id);
    const upload = await enqueue('upload', '--after', `${resize.id},${thumbnail.id}`, '--input-merger', 'array', '--expedited');
    expect(resize).toMatchObject({ state: 'blocked', prerequisites: [download.id], expedited: false });
    expect(upload).toMatchObject({ state: 'blocked', prerequisites: [resize.id, thumbnail.id], expedited: true });
    const text = await cli('enqueue', 'notify', '--after', upload.id, '--expedited');
    expect(text.stdout).toMatch(/^enqueued \S+ \(notify, blocked until 1 prerequisite succeeds, expedited, the task's default attempts\)$/m);
  });
});

describe('offstage list and show: schedules and chains', () => {
  it('list shows unique names and short schedules, and filters by --unique', async () => {
    await enqueue('refresh', '--every', '1h', '--unique', 'feed');
    await enqueue('report', '--cron', '0 3 * * *', '--timezone', 'Europe/Paris');
    const a = await enqueue('download');
    await enqueue('resize', '--after', a.id);
    await enqueue('upload', '--after', a.id, '--expedited', '--max-attempts', '3');
    const list = await cli('list');
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TASK\s+STATE\s+ATTEMPTS\s+PRIORITY\s+UNIQUE\s+SCHEDULE\s+TAGS\s+WHEN$/);
    const row = (task: string): string => lines.find((l) => new RegExp(`^\\S+\\s+${task}\\s`).test(l)) ?? '';
    expect(row('refresh')).toMatch(/enqueued\s+0\/-\s+normal\s+feed\s+every 1h\s+-\s+due now$/);
    expect(row('report')).toMatch(/normal\s+-\s+cron 0 3 \* \* \* Europe\/Paris\s+-\s+runs in /);
    expect(row('resize')).toMatch(/blocked\s+0\/-\s+normal\s+-\s+blocked by 1\s+-\s+waiting since /);
    expect(row('upload')).toMatch(/blocked\s+0\/3\s+expedited\s+-\s+blocked by 1\s/);
    const filtered = (await cli('list', '--unique', 'feed', '--json')).json<WorkInfo[]>();
    expect(filtered.map((w) => w.taskName)).toEqual(['refresh']);
    expect((await cli('list', '--unique', 'nope')).stdout).toBe('No work matches.\n');
  });

  it('show names the schedule and next run of periodic work', async () => {
    const info = await enqueue('refresh', '--every', '1h', '--flex', '15m', '--unique', 'feed');
    const text = await cli('show', info.id);
    expect(text.stdout).toMatch(/^unique name feed$/m);
    expect(text.stdout).toMatch(/^schedule {4}periodic, every 1h flex 15m, continues after a failed run$/m);
    expect(text.stdout).toMatch(/^next run {4}\d{4}-\d\d-\d\dT[\d:.]+Z \(in 4[45]m\d+s\)$/m);
    expect(text.stdout).not.toMatch(/^chain/m);
    const json = (await cli('show', info.id, '--json')).json<ShownWork>();
    expect(json).toMatchObject({ chain: null, runs: [], work: { id: info.id, schedule: { kind: 'interval', flexMs: 900_000 } } });
  });

  it('show places an item in its chain, before and after a worker runs the first step', async () => {
    const download = await enqueue('download');
    const resize = await enqueue('resize', '--after', download.id);
    const thumbnail = await enqueue('thumbnail', '--after', download.id);
    const upload = await enqueue('upload', '--after', `${resize.id},${thumbnail.id}`);

    const first = await cli('show', download.id);
    expect(first.stdout).toMatch(/^chain {7}step 1 of 3: next: resize \(blocked\), thumbnail \(blocked\)$/m);
    expect(first.stdout).toMatch(new RegExp(`^next\\s+${resize.id}\\s+resize\\s+blocked$`, 'm'));

    // A worker that only knows `download` runs the first step; the rest stay for another worker.
    const worker = createOffstage({ db, tasks: { download: () => ({ path: 'a.jpg' }) } });
    const done = new Promise<void>((resolve) => worker.on('work:succeeded', () => resolve()));
    await worker.start();
    await done;
    await worker.close();

    const second = await cli('show', resize.id);
    expect(second.stdout).toMatch(/^chain {7}step 2 of 3: after download \(succeeded\); next: upload \(blocked\)$/m);
    expect(second.stdout).toMatch(new RegExp(`^after\\s+${download.id}\\s+download\\s+succeeded$`, 'm'));
    const last = (await cli('show', upload.id, '--json')).json<ShownWork>();
    expect(last.chain).toEqual({
      step: 3,
      steps: 3,
      prerequisites: [
        { id: resize.id, taskName: 'resize', state: 'enqueued' },
        { id: thumbnail.id, taskName: 'thumbnail', state: 'enqueued' },
      ],
      dependents: [],
    });
    expect((await cli('show', upload.id)).stdout).toMatch(/^chain {7}step 3 of 3: after resize \(enqueued\), thumbnail \(enqueued\); last step$/m);
    // The list agrees: resize and thumbnail are due (and were chained), upload waits for both.
    const list = (await cli('list')).stdout;
    expect(list).toMatch(/resize\s+enqueued\s+0\/-\s+normal\s+-\s+after 1\s/);
    expect(list).toMatch(/upload\s+blocked\s+0\/-\s+normal\s+-\s+blocked by 2\s/);
  });
});

describe('offstage enqueue: bad values give one clear line, a non-zero exit code, and store nothing', () => {
  it('refuses bad schedules and policies before the database is opened', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--cron', 'every tuesday'], /The cron expression 'every tuesday' does not parse/],
      [['--cron', '0 3 * * *', '--timezone', 'Mars/Olympus_Mons'], /The time zone 'Mars\/Olympus_Mons' is unknown; use an IANA name/],
      [['--every', '0s'], /The interval must be above zero, not 0s/],
      [['--every', '10m', '--flex', '1h'], /The flex window \(1h\) is wider than the interval \(10m\)/],
      [['--every', '1h', '--cron', '0 * * * *'], /either cron or every/],
      [['--every', 'soon'], /The every 'soon' is not a valid duration/],
      [['--flex', '5m'], /The --flex option only applies to periodic work; add --every/],
      [['--timezone', 'UTC'], /The --timezone option only applies to periodic work/],
      [['--unique', 'u', '--policy', 'sometimes'], /The --policy 'sometimes' is unknown; for one-time work use one of keep, replace, append, append-or-replace/],
      [['--unique', 'u', '--policy', 'update'], /The --policy 'update' is for periodic work, not one-time work; use one of keep, replace, append/],
      [['--every', '1h', '--unique', 'u', '--policy', 'replace'], /The --policy 'replace' is for one-time work, not periodic work; use one of keep, update, cancel-and-reenqueue/],
      [['--policy', 'keep'], /The --policy option only applies to unique work; add --unique <name>/],
      [['--unique', ' '], /The unique name " " is invalid; use a non-empty string/],
      [['--every', '1h', '--after', 'x'], /Periodic work never finishes, so it cannot be chained with --after/],
      [['--input-merger', 'sum'], /option '--input-merger <merger>' argument 'sum' is invalid/],
    ];
    for (const [args, pattern] of cases) expectOneLineError(await cli('enqueue', 'job', ...args), pattern);
    expect(existsSync(db)).toBe(false);
  });

  it('refuses unknown or unusable prerequisites inside the store, storing nothing', async () => {
    expectOneLineError(await cli('enqueue', 'job', '--after', 'no-such-id'), /The prerequisite "no-such-id" does not exist/);
    const gone = await enqueue('job');
    await cli('cancel', gone.id);
    expectOneLineError(await cli('enqueue', 'job', '--after', gone.id), /is cancelled, so work after it could never run/);
    const periodic = await enqueue('tick', '--every', '1h');
    expectOneLineError(await cli('enqueue', 'job', '--after', periodic.id, '--unique', 'u'), /is periodic work, which never finishes/);
    expect((await cli('list', '--json')).json<WorkInfo[]>().map((w) => w.id).sort()).toEqual([gone.id, periodic.id].sort());
    // --json errors are one document too.
    const json = await cli('enqueue', 'job', '--cron', 'nope', '--json');
    expect(json.json()).toMatchObject({ error: { code: 'INVALID_SCHEDULE' } });
  });
});

describe('unique work across processes', () => {
  it('two processes racing enqueueUnique(keep) over 100 names leave exactly one item per name', async () => {
    // Create the schema first, so the racers only race on the names.
    const observer = createOffstage({ db, watch: false });
    try {
      await observer.status();
      const racers = [0, 1].map(() => startScript(RACE_FIXTURE, [db, 'race', '100'], { cwd: dir, stdin: true }));
      await Promise.all(racers.map((r) => r.waitForOutput(/ready/)));
      for (const r of racers) r.child.stdin!.end('go\n'); // the start barrier
      expect(await Promise.all(racers.map((r) => r.exited))).toEqual([0, 0]);
      const outcomes = racers.map((r) => JSON.parse(r.stdout().split('\n')[1]!) as Record<string, UniqueOutcome>);

      const items = await observer.query({ limit: 1000 });
      expect(items).toHaveLength(100);
      for (let i = 0; i < 100; i++) {
        const name = `race-${i}`;
        expect(items.filter((w) => w.uniqueName === name), name).toHaveLength(1);
        // One racer inserted, the other saw its insert and kept it.
        expect([outcomes[0]![name], outcomes[1]![name]].sort(), name).toEqual(['enqueued', 'kept']);
      }
      // Every name was inserted exactly once between them.
      const wins = outcomes.map((o) => Object.values(o).filter((v) => v === 'enqueued').length);
      expect(wins[0]! + wins[1]!).toBe(100);
    } finally {
      await observer.close();
    }
  });

  it('two `offstage enqueue --unique --policy keep` processes started at once store one item', async () => {
    const observer = createOffstage({ db, watch: false });
    try {
      await observer.status();
      const runs = await Promise.all(
        [0, 1, 2, 3].map((i) => runCliProcess(['enqueue', 'job', '--unique', `race-cli-${i % 2}`, '--policy', 'keep', '--input', String(i), '--db', db, '--json'], { cwd: dir })),
      );
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const results = runs.map((r) => JSON.parse(r.stdout) as EnqueueResult);
      for (const name of ['race-cli-0', 'race-cli-1']) {
        const stored = await observer.query({ uniqueNames: [name] });
        expect(stored).toHaveLength(1);
        const mine = results.filter((r) => r.uniqueName === name);
        expect(mine.map((r) => r.outcome).sort()).toEqual(['enqueued', 'kept']);
        expect(mine.every((r) => r.id === stored[0]!.id)).toBe(true);
      }
    } finally {
      await observer.close();
    }
  });
});
