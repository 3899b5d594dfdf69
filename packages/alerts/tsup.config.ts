import { packageConfig } from '../../tsup.base';

// The observe worker is an entry of its own: the pool starts it by path next to the bundle.
export default packageConfig({ entry: ['src/index.ts', 'src/cli.ts', 'src/observe-worker.ts'], shims: true });
