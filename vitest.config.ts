import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real servers on ports they pick; keep the 2-core
    // CI machine from running too many of them at once.
    maxWorkers: 2,
    server: {
      deps: {
        // Imports its JSON schemas without `with { type: 'json' }`, which Node 24 refuses; let Vite load it.
        inline: ['@actions/workflow-parser'],
      },
    },
  },
});
