import { configDefaults, defineConfig } from 'vitest/config';

// `source` resolves workspace packages to their TypeScript sources, so tests never need a build.
// Two projects: everything as before, and @offstage/postgres, whose global setup starts a throwaway
// PostgreSQL cluster (or uses DATABASE_URL) that only its tests need.
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
    ],
  },
});
