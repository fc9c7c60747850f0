/**
 * @offstage/store-conformance: the one suite every WorkStore must pass, run against a real engine
 * (Hono's shared router cases, Kysely's one-suite-per-dialect). It states the contract in
 * work-store.ts as behaviour; it must never mock persistence or lean on one store's quirks.
 */
import { describe } from 'vitest';
import { cancelCases } from './cases/cancel-cases.js';
import { chainCases } from './cases/chain-cases.js';
import { claimCases } from './cases/claim-cases.js';
import { closeCases } from './cases/close-cases.js';
import { constraintStoreCases } from './cases/constraint-cases.js';
import { countsCases } from './cases/counts-cases.js';
import { enqueueCases } from './cases/enqueue-cases.js';
import { heartbeatCases } from './cases/heartbeat-cases.js';
import { nextWakeCases } from './cases/next-wake-cases.js';
import { pruneCases } from './cases/prune-cases.js';
import { queryCases } from './cases/query-cases.js';
import { reconcileCases } from './cases/reconcile-cases.js';
import { retryCases } from './cases/retry-cases.js';
import { runsCases } from './cases/runs-cases.js';
import { settleCases } from './cases/settle-cases.js';
import { taskLimitCases } from './cases/task-limit-cases.js';
import { uniqueCases } from './cases/unique-cases.js';
import { updateCases } from './cases/update-cases.js';
import { describeEngineConformance } from './engine/engine-cases.js';
import { createStoreHarness, type ConformanceTarget, type StoreHarness } from './store-harness.js';

export { describeEngineConformance };
export { makeSpec, type SpecOverrides } from './make-spec.js';
export { settlementFor, type ConformanceTarget, type FinishedState, type StoreHarness } from './store-harness.js';

const SECTIONS: ReadonlyArray<readonly [string, (h: StoreHarness) => void]> = [
  ['enqueue and get', enqueueCases],
  ['claim', claimCases],
  ['claim: task limits and expedited work', taskLimitCases],
  ['heartbeat and setProgress', heartbeatCases],
  ['settle', settleCases],
  ['reconcile and lost leases', reconcileCases],
  ['cancel', cancelCases],
  ['retry', retryCases],
  ['update', updateCases],
  ['chains', chainCases],
  ['unique work', uniqueCases],
  ['query', queryCases],
  ['runs and lastRuns', runsCases],
  ['counts', countsCases],
  ['nextWakeAt', nextWakeCases],
  ['prune', pruneCases],
  ['constraints and durations', constraintStoreCases],
  ['close', closeCases],
];

/**
 * Registers the WorkStore conformance suite for one store as a vitest `describe` block: the store
 * cases, then the engine cases (the engine on a virtual clock over this store). Each test opens a
 * fresh store with `target.open()` and closes it afterwards.
 *
 * @example
 * // packages/sqlite/test/sqlite-store.test.ts
 * import { describeWorkStoreConformance } from '@offstage/store-conformance';
 * describeWorkStoreConformance({ name: 'SqliteStore (better-sqlite3)', open: async () => openSqliteStore({ path: ':memory:' }) });
 */
export function describeWorkStoreConformance(target: ConformanceTarget): void {
  describe(`WorkStore conformance: ${target.name}`, () => {
    for (const [name, cases] of SECTIONS) {
      describe(name, () => cases(createStoreHarness(target)));
    }
  });
  describeEngineConformance(target);
}
