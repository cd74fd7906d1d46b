import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One native engine per file is plenty on a 2-core machine; files still run in parallel forks.
    fileParallelism: true,
    maxWorkers: 2,
    // The package test (pack, install, compile the addon) runs after the rest, so its compiler does not starve
    // the suites that time concurrency.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/package.test.ts'] } },
      { extends: true, test: { name: 'package', include: ['test/package.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
