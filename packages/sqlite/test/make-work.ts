/**
 * Test data for this package's own tests: the conformance suite's `makeSpec` under the name these
 * tests use, so there is one definition of a freshly enqueued WorkSpec.
 */
export { makeSpec as makeWork } from '@offstage/store-conformance';
