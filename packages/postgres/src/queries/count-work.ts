/**
 * countWork: items by task name and state, with how many enqueued ones are due. A grouped scan of
 * the whole table, meant for the CLI and dashboards, never for a worker's hot path. Read only.
 */
import { WORK_STATES, type CountRow, type WorkState } from '@offstage/core';
import { defineStatement, type Db } from '../db.js';

/*
 * Purpose: count items per (task name, state), and the due ones among enqueued items.
 * Parameters: now.
 */
const COUNT_WORK = defineStatement(
  'count',
  (s) => `
select task_name, state, count(*) as count, count(*) filter (where state = 'enqueued' and run_at <= $1::bigint) as due
from ${s.quoted}.work
group by task_name, state`,
);

/**
 * Non-zero rows, task names in JavaScript string order, states in lifecycle order.
 *
 * @example
 * await countWork(db, Date.now()) // [{ taskName: 'email', state: 'enqueued', count: 3, due: 1 }]
 */
export async function countWork(db: Db, now: number): Promise<CountRow[]> {
  const rows = await db.query<{ task_name: string; state: WorkState; count: string; due: string }>(COUNT_WORK(db.names), [now]);
  const stateRank = (state: WorkState): number => WORK_STATES.indexOf(state);
  // Sorted here, not in SQL: the database's collation need not agree with JavaScript's order.
  rows.sort((a, b) => (a.task_name < b.task_name ? -1 : a.task_name > b.task_name ? 1 : stateRank(a.state) - stateRank(b.state)));
  return rows.map((r) => ({ taskName: r.task_name, state: r.state, count: Number(r.count), due: Number(r.due) }));
}
