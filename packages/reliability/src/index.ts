/**
 * @offstage/reliability (private): the reliability suite's building blocks: store targets, worker
 * processes, the invocation log, invariant checks and the figures line. The scenarios themselves
 * are the tests in `test/`.
 */
export * from './config.js';
export * from './figures.js';
export * from './helpers.js';
export * from './invariants.js';
export * from './invocation-log.js';
export * from './worker-process.js';
export * from './targets/index.js';
export type { StoreTarget, TargetEngineOptions } from './targets/store-target.js';
export * from './wall-clock-model.js';
