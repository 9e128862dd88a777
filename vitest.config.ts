import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Separate processes: named native instances are process-global, so test files must not
    // share a process (and a native crash would take down only its own file).
    pool: 'forks',
    testTimeout: 20_000,
  },
});
