import { packageConfig } from '../../tsup.base';

// ESM only, no declarations: the build is for plain Node scripts (the demo); tests and the
// typechecker read the sources (see "exports").
export default packageConfig({ format: ['esm'], dts: false });
