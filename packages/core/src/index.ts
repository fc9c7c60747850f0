/**
 * @offstage/core: the engine, its vocabulary, pure policies and the WorkStore seam.
 * Zero runtime dependencies; never touches a platform global beyond timers and `AbortController`.
 */
export * from './errors.js';
export * from './model/duration.js';
export * from './model/work.js';
export * from './store/work-store.js';
export * from './store/memory-store.js';
export * from './store/packed-row.js';
export * from './clock/clock.js';
export * from './policy/backoff.js';
export * from './policy/encode-json.js';
export * from './policy/plan-work.js';
export * from './policy/resolve-outcome.js';
export * from './policy/schedule.js';
export * from './policy/plan-unique.js';
export * from './policy/merge-inputs.js';
export * from './policy/constraints.js';
export * from './policy/classify-error.js';
export * from './constraints/device-state.js';
export * from './constraints/signal-tracker.js';
export * from './engine/task.js';
export * from './engine/events.js';
export * from './engine/attempt-runner.js';
export * from './engine/work-engine.js';
export * from './engine/work-continuation.js';
export * from './engine/work-observer.js';
