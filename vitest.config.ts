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
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
