import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Generous: CLI tests spawn real processes and CI machines may be busy; tests never assert timing.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Argon2 and real databases make some files slow; keep parallelism to the cores we have.
    maxWorkers: 2,
    // Names, once per run, the suites skipped because ../shared/data is absent (test/support/corpora.ts).
    reporters: ['default', './test/support/corpus-reporter.ts'],
  },
});
