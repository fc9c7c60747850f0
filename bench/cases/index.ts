/**
 * Every benchmark case, in the order `npm run bench` runs and reports them.
 */
import type { BenchCase } from '../lib/harness.js';
import { drainCase } from './drain.js';
import { enqueueBulkCase } from './enqueue-bulk.js';
import { enqueueSingleCase } from './enqueue-single.js';
import { latencyCase } from './latency.js';

/** All cases. */
export const CASES: readonly BenchCase[] = [enqueueSingleCase, enqueueBulkCase, drainCase('NORMAL'), drainCase('FULL'), latencyCase];
