/**
 * A SqliteDriver wrapper that times every statement and every transaction's own cost (`begin
 * immediate` + `commit`, i.e. the time inside `transaction()` not spent in its statements), keyed
 * by the statement's first lines. For profiling the offstage store; never used in measured runs.
 */
import { performance } from 'node:perf_hooks';
import type { SqliteDriver, SqliteParams, SqliteRow, SqliteRunResult } from '@offstage/sqlite';

/** Time spent under one label. */
export interface TimedEntry {
  calls: number;
  ms: number;
}

/**
 * Times a driver's statements and transactions. `onCommit` (optional) runs after every
 * transaction with the label of its first statement, e.g. to measure WAL growth.
 *
 * @example
 * const timed = new TimedDriver(new BetterSqlite3Driver(db))
 * const store = new SqliteStore(timed, { path })
 * ...; console.table(Object.fromEntries(timed.entries))
 */
export class TimedDriver implements SqliteDriver {
  /** Label → time; statements as their first lines, transactions as `commit: <first statement>`. */
  readonly entries = new Map<string, TimedEntry>();
  private depth = 0;
  private innerMs = 0;
  private firstLabel: string | null = null;

  constructor(
    private readonly inner: SqliteDriver,
    private readonly onCommit?: (label: string) => void,
  ) {}

  /** Forgets everything timed so far. */
  reset(): void {
    this.entries.clear();
  }

  exec(sql: string): void {
    this.time(sql, () => this.inner.exec(sql));
  }

  run(sql: string, params?: SqliteParams): SqliteRunResult {
    return this.time(sql, () => this.inner.run(sql, params));
  }

  get<Row extends object = SqliteRow>(sql: string, params?: SqliteParams): Row | undefined {
    return this.time(sql, () => this.inner.get<Row>(sql, params));
  }

  all<Row extends object = SqliteRow>(sql: string, params?: SqliteParams): Row[] {
    return this.time(sql, () => this.inner.all<Row>(sql, params));
  }

  transaction<T>(fn: () => T): T {
    this.depth++;
    this.innerMs = 0;
    this.firstLabel = null;
    const t0 = performance.now();
    try {
      return this.inner.transaction(fn);
    } finally {
      this.depth--;
      const label = `begin+commit of: ${this.firstLabel ?? '(empty)'}`;
      this.add(label, performance.now() - t0 - this.innerMs);
      this.onCommit?.(label);
    }
  }

  close(): void {
    this.inner.close();
  }

  private time<T>(sql: string, fn: () => T): T {
    const label = labelOf(sql);
    if (this.depth > 0) this.firstLabel ??= label;
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      const ms = performance.now() - t0;
      if (this.depth > 0) this.innerMs += ms;
      this.add(label, ms);
    }
  }

  private add(label: string, ms: number): void {
    const entry = this.entries.get(label);
    if (entry) {
      entry.calls++;
      entry.ms += ms;
    } else {
      this.entries.set(label, { calls: 1, ms });
    }
  }
}

/** The first two lines of a statement, whitespace collapsed: enough to tell the store's statements apart. */
function labelOf(sql: string): string {
  const lines = sql.trim().split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('--'));
  const text = lines.slice(0, 2).join(' ');
  return text.length > 72 ? `${text.slice(0, 71)}…` : text;
}
