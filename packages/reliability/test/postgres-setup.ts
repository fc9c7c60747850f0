/**
 * Setup file of the vitest project `reliability-postgres`: hands the postgres store target the
 * server and migrated template that @offstage/postgres's global setup provides (a throwaway cluster,
 * or DATABASE_URL), through the environment its `prepare` reads.
 */
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A connection string with the right to create databases. */
    pgAdminUrl: string;
    /** The migrated template each scenario's database is created from. */
    pgTemplate: string;
  }
}

process.env.OFFSTAGE_RELIABILITY_PG_URL = inject('pgAdminUrl');
process.env.OFFSTAGE_RELIABILITY_PG_TEMPLATE = inject('pgTemplate');
