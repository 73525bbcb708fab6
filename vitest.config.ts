import { defineConfig } from 'vitest/config';

// Two projects: `unit` never touches a server; `integration` reads the endpoints
// written by scripts/test-infra.sh and reports itself skipped (with the reason)
// when no infrastructure is available.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**'],
          environment: 'node',
          // A bound, not a pace: some unit tests start the command line as a
          // process, which takes seconds on a loaded machine (vitest's 5 s failed).
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          // Resolves the endpoints once per run (.infra/env, env vars or
          // testcontainers) and provides them to the workers.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
