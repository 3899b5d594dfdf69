import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Benchmarks run in one project, without the integration project's services: a benchmark that
// needs Kafka or Bugsink starts them itself, so their start-up is never inside a measurement.
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@faultline\/([a-z-]+)$/,
        replacement: fileURLToPath(new URL('./packages/$1/src/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    benchmark: { include: ['packages/*/bench/**/*.bench.ts'] },
    // Shared 2-core machine: one benchmark file at a time.
    fileParallelism: false,
    // Lets benchmarks collect garbage before reading the heap.
    execArgv: ['--expose-gc'],
  },
});
