/**
 * The registry of store targets, and the one this run uses (`OFFSTAGE_RELIABILITY_STORE`,
 * default `sqlite`). Worker processes look their target up here by the name they are given.
 */
import { postgresTarget } from './postgres-target.js';
import { sqliteTarget } from './sqlite-target.js';
import type { StoreTarget } from './store-target.js';

/** Every target by name. */
export const STORE_TARGETS: Readonly<Record<string, StoreTarget>> = { sqlite: sqliteTarget, postgres: postgresTarget };

/**
 * The target named `name`, or the one `OFFSTAGE_RELIABILITY_STORE` names (default `sqlite`).
 *
 * @example
 * const target = storeTarget()
 */
export function storeTarget(name: string = process.env.OFFSTAGE_RELIABILITY_STORE ?? 'sqlite'): StoreTarget {
  const target = STORE_TARGETS[name];
  if (!target) throw new Error(`Unknown reliability store target "${name}"; use one of ${Object.keys(STORE_TARGETS).join(', ')}.`);
  return target;
}
