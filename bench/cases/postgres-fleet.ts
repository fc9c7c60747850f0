/**
 * Case slot: a fleet of workers on PostgreSQL (`@offstage/postgres`). The package is being built
 * alongside this benchmark; this case looks for it at run time by importing it and, until a
 * PostgreSQL fleet workload is written here, reports that it did not run and why. It never
 * produces a figure of its own.
 */
import type { BenchCase, Side } from '../lib/harness.js';

/** The package this case needs, imported by name at run time (so the benchmark builds without it). */
export const POSTGRES_PACKAGE = '@offstage/postgres';

/**
 * Why the PostgreSQL fleet case cannot run in this process.
 *
 * @example
 * await postgresUnavailable() // 'not available in this run: @offstage/postgres not present (Cannot find package ...)'
 */
export async function postgresUnavailable(): Promise<string> {
  const specifier: string = POSTGRES_PACKAGE;
  try {
    await import(specifier);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return `not available in this run: ${POSTGRES_PACKAGE} not present (importing it failed: ${detail})`;
  }
  return `not available in this run: ${POSTGRES_PACKAGE} is present, but this benchmark has no PostgreSQL fleet workload or server yet (bench/cases/postgres-fleet.ts is the slot for it)`;
}

const offstage: Side = {
  name: 'offstage',
  kind: 'offstage',
  unavailable: postgresUnavailable,
  run: () => Promise.reject(new Error('the PostgreSQL fleet case has no workload')),
};

/** The PostgreSQL fleet slot: detected at run time, never a figure without a workload behind it. */
export const postgresFleetCase: BenchCase = {
  id: 'postgres-fleet',
  title: 'PostgreSQL fleet (slot)',
  synchronous: 'FULL',
  nUnit: 'jobs',
  metrics: [{ key: 'rate', unit: 'jobs/s', better: 'higher' }],
  size: { quick: { n: 0, runs: 5, warmupN: 0 }, full: { n: 0, runs: 5, warmupN: 0 } },
  durability: 'PostgreSQL',
  method: `A slot for workers sharing one PostgreSQL database through ${POSTGRES_PACKAGE}. The case imports the package at run time; it reports why it did not run and never prints a figure without a measured workload behind it.`,
  offstage,
  peers: [],
};
