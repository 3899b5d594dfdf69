import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import packages by name; point the names at their sources so no build is needed
// (child-process tests, which run the built packages, build first: see scripts/run.mjs).
const alias = [
  {
    find: /^@faultline\/([a-z-]+)$/,
    replacement: fileURLToPath(new URL('./packages/$1/src/index.ts', import.meta.url)),
  },
];

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ['default', ['json', { outputFile: '.cache/vitest-results.json' }]],
    // KafkaJS warns on every producer that its default partitioner changed in 2.0.
    env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          globalSetup: ['packages/testkit/src/run-tmpdir.ts'],
          include: ['packages/*/test/**/*.test.ts'],
          exclude: ['packages/*/test/**/*.int.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.int.test.ts', 'examples/*/test/**/*.int.test.ts'],
          // The run's own TMPDIR first: the broker and Bugsink keep their data under it too.
          globalSetup: ['packages/testkit/src/run-tmpdir.ts', 'packages/testkit/src/global-setup.ts'],
          // One broker and one Bugsink on a shared 2-core machine: run the heavy files one at a time.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
