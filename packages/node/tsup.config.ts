import { libraryConfig } from '../../tsup.base.js';

// cli.ts keeps its `#!/usr/bin/env node` line; tsup also marks the output executable.
export default libraryConfig(['src/index.ts', 'src/testing.ts', 'src/cli.ts'], { dts: { entry: ['src/index.ts', 'src/testing.ts'] } });
