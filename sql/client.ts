/** The one place that knows which ClickHouse transport is in use: embedded chDB or an HTTP server. */
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { mkdirSync } from 'node:fs'

export interface ClickHouseOptions {
  /** HTTP URL of a ClickHouse server; when absent the embedded engine is used. */
  url?: string | undefined
  username?: string
  password?: string
  /** Data directory of the embedded engine (one per process). */
  dataDir: string
}

export type Storage = ClickHouseClient

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

export function openStorage(options: ClickHouseOptions): Storage {
  if (options.url) {
    return createClient({
      url: options.url,
      username: options.username ?? 'default',
      password: options.password ?? '',
      // 64-bit ids travel as strings so no precision is lost in JSON.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    })
  }
  mkdirSync(options.dataDir, { recursive: true })
  return createClient({
    // chdb types its connection against its own copy of @clickhouse/client-common; the shapes are the same.
    connection: createChdbConnection({ path: options.dataDir }) as unknown as ClientConnection,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  })
}

export function describeStorage(options: ClickHouseOptions): string {
  if (!options.url) return `embedded ClickHouse (chDB) in ${options.dataDir}`
  const u = new URL(options.url)
  return `ClickHouse server at ${u.protocol}//${u.host}`
}
