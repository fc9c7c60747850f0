/**
 * The one build configuration every package shares: ESM for Node 20 with declarations and source
 * maps. A package names only its entry points.
 */
import { defineConfig, type Options } from 'tsup';

/**
 * A package's tsup config from its entry points (and any override, such as which entries get types).
 *
 * @example
 * export default libraryConfig(['src/index.ts'])
 */
export function libraryConfig(entry: Options['entry'], overrides: Options = {}): ReturnType<typeof defineConfig> {
  return defineConfig({ entry, format: ['esm'], dts: true, sourcemap: true, clean: true, target: 'node20', ...overrides });
}
