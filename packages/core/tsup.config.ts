import { packageConfig } from '../../tsup.base';

// import.meta.url in the CommonJS build (load-kafka-transport.ts uses createRequire).
export default packageConfig({
  entry: ['src/index.ts', 'src/kafkajs.ts', 'src/cli.ts', 'src/init.ts'],
  shims: true,
});
