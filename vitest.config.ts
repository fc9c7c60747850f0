import { configDefaults, defineConfig } from 'vitest/config';

// `source` resolves workspace packages to their TypeScript sources, so tests never need a build.
// Three projects: everything as before (the reliability suite on SQLite included);
// @offstage/postgres, whose global setup starts a throwaway PostgreSQL cluster (or uses
// DATABASE_URL) that only its tests need; and the reliability suite again on PostgreSQL, with its
// own cluster from the same global setup (so the fleet test's server restart never reaches it).
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'packages',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'packages/postgres/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['packages/postgres/src/**/*.test.ts', 'packages/postgres/test/**/*.test.ts'],
          globalSetup: ['packages/postgres/test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability-postgres',
          include: ['packages/reliability/test/**/*.test.ts'],
          env: { OFFSTAGE_RELIABILITY_STORE: 'postgres' },
          globalSetup: ['packages/postgres/test/global-setup.ts'],
          setupFiles: ['packages/reliability/test/postgres-setup.ts'],
        },
      },
    ],
  },
});
