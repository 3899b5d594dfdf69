import { defineConfig, type Options } from 'tsup';

/**
 * The build every published package shares: ESM and CJS with types, for Node 20.
 * A package's tsup.config.ts passes only what differs.
 */
export function packageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    ...overrides,
  });
}
