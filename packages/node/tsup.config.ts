import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts keeps its `#!/usr/bin/env node` line; tsup also marks the output executable.
  entry: ['src/index.ts', 'src/testing.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/testing.ts'] },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
