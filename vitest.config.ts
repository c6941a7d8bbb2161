import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Argon2 and real databases make some files slow; keep parallelism to the cores we have.
    maxWorkers: 2,
  },
});
