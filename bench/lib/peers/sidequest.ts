/**
 * The sidequest peer (npm `sidequest` with `@sidequest/sqlite-backend`), which cannot be installed
 * from the registry: its SQLite backend's only version depends on a core version that was never
 * published. The side reports that, with what importing it says in this run, instead of figures.
 */
import type { Side } from '../harness.js';

export const SIDEQUEST = 'sidequest (SQLite)';

/** What installing it said, verbatim (npm 11.19.1, Node v20.20.2, 2026-11-21). */
const INSTALL_ERROR =
  '`npm install -D sidequest @sidequest/sqlite-backend -w @offstage/bench` fails: ' +
  '`npm error notarget No matching version found for @sidequest/core@1.16.5.` ' +
  '(@sidequest/sqlite-backend 1.16.5, its only published version, depends on @sidequest/core 1.16.5 and @sidequest/backend 1.16.5; ' +
  'the newest @sidequest/core on the registry is 1.16.4). `sidequest` 1.16.4 also declares `engines: { node: ">=22.6.0" }`.';

async function importError(specifier: string): Promise<string | null> {
  try {
    await import(specifier);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0]! : String(error);
  }
}

/**
 * Why sidequest does not run, including what `import()` of its packages says right now.
 *
 * @example
 * await sidequestUnavailable() // 'not installable: ... In this run: import("@sidequest/sqlite-backend") → Cannot find package ...'
 */
export async function sidequestUnavailable(): Promise<string> {
  const errors: string[] = [];
  for (const specifier of ['sidequest', '@sidequest/sqlite-backend']) {
    const error = await importError(specifier);
    if (error !== null) errors.push(`\`import("${specifier}")\` → ${error}`);
  }
  const now = errors.length > 0 ? `In this run: ${errors.join('; ')}.` : 'Both packages load in this run, but no sidequest workload is written for this harness.';
  return `not installable: ${INSTALL_ERROR} ${now}`;
}

/**
 * A sidequest side for any case: it never runs, and says why.
 *
 * @example
 * peers: [raw, sidequestSide()]
 */
export function sidequestSide(): Side {
  return {
    name: SIDEQUEST,
    kind: 'sqlite-queue',
    unavailable: async () => {
      const full = await sidequestUnavailable();
      const now = full.slice(full.indexOf(' In this run: ') + 1);
      return `not installable: \`npm error notarget No matching version found for @sidequest/core@1.16.5.\` (details under "The sides"). ${now}`;
    },
    run: () => Promise.reject(new Error('sidequest cannot run in this benchmark')),
  };
}
