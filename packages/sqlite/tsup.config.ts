import { libraryConfig } from '../../tsup.base.js';

export default libraryConfig(['src/index.ts', 'src/better-sqlite3.ts']);
