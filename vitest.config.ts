import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One native engine per file is plenty on a 2-core machine; files still run in parallel forks.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
