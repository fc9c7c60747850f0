/**
 * @offstage/core/testing: a virtual clock and a test driver for unit-testing tasks in milliseconds.
 */
export { createTestDriver, TestDriver, type TestDriverOptions } from './test-driver.js';
export { VirtualClock } from '../clock/virtual-clock.js';
