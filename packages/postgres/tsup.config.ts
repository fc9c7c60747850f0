import { libraryConfig } from '../../tsup.base.js';

// `pg` is the caller's (a peer dependency): never bundled.
export default libraryConfig(['src/index.ts'], { external: ['pg'] });
