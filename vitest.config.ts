/**
 * Three suites, one config: `unit` (pure code, simulated clocks, in-process parts), `integration` (real
 * threads, uWS on port 0, SQLite files, child processes) and `browser` (headless Chromium against a real
 * hub). `npm test` runs all three; `npm test -- --project unit` one of them, which is how `.ci/run` runs
 * them as separate steps. None of them assert on timings: the limits below only bound a hung test.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Pure code and in-process parts; 30 s only bounds a hung test on a loaded two-core machine
          // (type-aware ESLint in lint-boundaries takes ~20 s to start there).
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // Forks: a file that crashes or leaks a handle takes only its own process down.
          pool: 'forks',
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Real threads, sockets, fsync and child processes on a loaded two-core machine.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Most of the time is spent waiting on threads, sockets and fsync, so two files at a time, each
          // in its own process (uWS and worker threads must not share one between files).
          pool: 'forks',
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          // Chromium start-up plus a hub per file.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One Chromium at a time: two on two cores make page timeouts flaky.
          pool: 'forks',
          maxWorkers: 1,
        },
      },
    ],
  },
});
