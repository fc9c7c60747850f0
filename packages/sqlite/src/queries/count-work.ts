/**
 * countWork: items by task name and state, with how many enqueued ones are due. A grouped scan of
 * the whole table, meant for the CLI and dashboards, never for a worker's hot path. Read only.
 */
import { WORK_STATES, type CountRow, type WorkState } from '@offstage/core';
import type { SqliteDriver } from '../driver/sqlite-driver.js';

/*
 * Purpose: count items per (task name, state), and the due ones among enqueued items.
 * Parameters: now.
 */
const COUNT_WORK = `
select task_name, state, count(*) as count, sum(state = 'enqueued' and run_at <= ?) as due
from work
group by task_name, state`;

/**
 * Non-zero rows, task names in JavaScript string order, states in lifecycle order.
 *
 * @example
 * countWork(db, Date.now()) // [{ taskName: 'email', state: 'enqueued', count: 3, due: 1 }]
 */
export function countWork(db: SqliteDriver, now: number): CountRow[] {
  const rows = db.all<{ task_name: string; state: string; count: number; due: number | null }>(COUNT_WORK, [now]);
  const stateRank = (state: string): number => WORK_STATES.indexOf(state as WorkState);
  // Sorted here, not in SQL: SQLite compares UTF-8 bytes, JavaScript compares UTF-16 code units,
  // and the two disagree on characters beyond the basic plane.
  rows.sort((a, b) => (a.task_name < b.task_name ? -1 : a.task_name > b.task_name ? 1 : stateRank(a.state) - stateRank(b.state)));
  return rows.map((r) => ({ taskName: r.task_name, state: r.state as WorkState, count: r.count, due: r.due ?? 0 }));
}
