/**
 * The pg-boss peer (npm `pg-boss` 10; 11 and later need Node 22). One `PgBoss` instance per
 * database with its defaults (its own pool of 10, maintenance and the clock monitor on), the queue
 * made with `createQueue` (required since 10), jobs added with `send` / `insert`, and completed
 * jobs kept as rows in state `completed` (its default retention). A pg-boss worker (`work()`) is a
 * polling loop: it fetches up to `batchSize` jobs in one statement, calls the handler once with all
 * of them, completes the whole batch in one statement without waiting for it, and then sleeps what
 * is left of `pollingIntervalSeconds` (0.5 s at the least) whether it found jobs or not.
 */
import PgBoss from 'pg-boss';
import { ENGINE_CONCURRENCY } from '../offstage.js';
import { PG_TASK, type PgQueue, type PgQueueCounts, type PgQueueKind } from '../pg-queue.js';

export const PG_BOSS = 'pg-boss';

/**
 * How the pg-boss side works its queue. pg-boss 10 has no concurrency option (teamSize and
 * teamConcurrency were removed); its maintainer's advice is a batch per fetch with the handler
 * running the batch's jobs at the concurrency you want (timgit/pg-boss#542, #483). So: one
 * `work()` worker fetching `batchSize` jobs per poll, running them {@link ENGINE_CONCURRENCY} at a
 * time, polling at the shortest interval pg-boss allows.
 */
export const PG_BOSS_WORK = { workers: 1, batchSize: 1_000, pollingIntervalSeconds: 0.5 } as const;

/**
 * pg-boss as a PostgreSQL side.
 *
 * @example
 * const queue = await pgBossKind.open(url)
 */
export const pgBossKind: PgQueueKind = {
  name: PG_BOSS,
  async open(url) {
    const boss = new PgBoss({ connectionString: url });
    const errors: Error[] = [];
    boss.on('error', (error) => errors.push(error));
    await boss.start();
    await boss.createQueue(PG_TASK);
    return new PgBossQueue(boss, errors);
  },
};

class PgBossQueue implements PgQueue {
  readonly pollIntervalMs = PG_BOSS_WORK.pollingIntervalSeconds * 1000;

  constructor(
    private readonly boss: PgBoss,
    private readonly errors: Error[],
  ) {}

  async add(i: number): Promise<string> {
    const id = await this.boss.send(PG_TASK, { i });
    if (id === null) throw new Error(`pg-boss send ${i} returned no id`);
    return id;
  }

  async addMany(inputs: readonly number[]): Promise<null> {
    await this.boss.insert(inputs.map((i) => ({ name: PG_TASK, data: { i } })));
    return null;
  }

  async jobIds(): Promise<string[]> {
    const { rows } = await this.boss.getDb().executeSql('select id::text as id from pgboss.job where name = $1', [PG_TASK]);
    return rows.map((r: { id: string }) => r.id);
  }

  async startWorker(onJob: (id: string) => void, onError: (error: Error) => void): Promise<void> {
    for (const error of this.errors) onError(error);
    this.boss.on('error', onError);
    const { workers, ...options } = PG_BOSS_WORK;
    for (let w = 0; w < workers; w++) {
      await this.boss.work<{ i: number }>(PG_TASK, options, (jobs) => eachLimited(jobs, ENGINE_CONCURRENCY, (job) => onJob(job.id)));
    }
  }

  async counts(): Promise<PgQueueCounts> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        "select count(*)::int as total, (count(*) filter (where state in ('created', 'retry')))::int as waiting, (count(*) filter (where state = 'completed'))::int as finished from pgboss.job where name = $1",
        [PG_TASK],
      );
    const row = rows[0] as { total: number; waiting: number; finished: number };
    return { waiting: row.waiting, finished: row.finished, total: row.total };
  }

  async unfinished(): Promise<number> {
    const { rows } = await this.boss
      .getDb()
      .executeSql("select count(*)::int as n from pgboss.job where name = $1 and state in ('created', 'retry', 'active')", [PG_TASK]);
    return (rows[0] as { n: number }).n;
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 5_000 });
  }
}

/** Runs `fn` on every item, at most `limit` at a time (what pg-boss leaves to the handler). */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => void | Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
