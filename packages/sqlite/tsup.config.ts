import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/better-sqlite3.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
