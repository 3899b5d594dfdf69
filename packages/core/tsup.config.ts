import { packageConfig } from '../../tsup.base';

// import.meta.url in the CommonJS build (load-kafka-transport.ts uses createRequire).
export default packageConfig({ shims: true });
