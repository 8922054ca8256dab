import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    disableConsoleIntercept: true, // @oclif/test captures stdout/stderr itself
    testTimeout: 30_000, // a first synth in a file takes seconds on 2 cores
    hookTimeout: 60_000, // PostgreSQL start-up, e2e bootstrap
    pool: 'forks',
    coverage: { provider: 'v8', include: ['src/**/*.ts'], reporter: ['text-summary', 'html'] },
  },
})
