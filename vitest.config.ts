import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['collector/**/*.test.ts', 'sql/**/*.test.ts', 'dashboard/**/*.test.ts', 'tracker/**/*.test.ts', 'test/**/*.test.ts'],
    // chDB holds one data directory per process: every test file runs in a process of its own.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    isolate: true,
    // Against a shared ClickHouse server the files share one database and its salts: run them one by one.
    fileParallelism: !process.env.CLICKHOUSE_URL,
    // Two files at once on the two cores: 6.4 min instead of 9.9 (most files wait on the engine or a browser).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
