/**
 * One vitest config for unit, integration and e2e folders. Integration and e2e tests boot real
 * threads, sockets and Chromium, so they get longer timeouts; none of them assert on timings.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'actors/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at a time: most integration time is spent waiting on threads, sockets, fsync and Chromium.
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
