/** The one place that knows which ClickHouse transport is in use: embedded chDB or an HTTP server. */
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { chmodSync, mkdirSync } from 'node:fs'
import { sessionPerQueryConnection } from './session-per-query.ts'

export interface ClickHouseOptions {
  /** HTTP URL of a ClickHouse server; when absent the embedded engine is used. */
  url?: string | undefined
  username?: string
  password?: string
  /** Data directory of the embedded engine (one per process). */
  dataDir: string
  /** Wraps each embedded connection: how the tests make ClickHouse unavailable without stopping it. */
  wrapTransport?: ((transport: Transport) => Transport) | undefined
}

export type Storage = ClickHouseClient

/** What @clickhouse/client sends queries through: chDB's in-process connection, or its own HTTP one. */
export type Transport = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

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
  ownerOnly(options.dataDir)
  const embedded = () =>
    createClient({
      // chdb types its connection against its own copy of @clickhouse/client-common; the shapes are the same.
      connection: (options.wrapTransport ?? ((t) => t))(createChdbConnection({ path: options.dataDir }) as unknown as Transport),
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    })
  return readerPool(Array.from({ length: EMBEDDED_SESSIONS }, embedded))
}

/**
 * The data directory is for Cairn's user alone (it holds password hashes and today's salt): created 0700,
 * and tightened to 0700 if an earlier version left it open, which also closes every file below it.
 */
export function ownerOnly(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
}

/**
 * An embedded connection runs one query at a time, but several sessions on the same data directory run
 * side by side (a dashboard load is a dozen queries at once). Reads go round-robin over the sessions;
 * writes and DDL stay on the first, so their order is kept. A server's HTTP client has its own pool.
 */
const EMBEDDED_SESSIONS = 4

function readerPool(clients: ClickHouseClient[]): ClickHouseClient {
  const [writer] = clients as [ClickHouseClient]
  let next = 0
  return new Proxy(writer, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (params: Parameters<ClickHouseClient['query']>[0]) => clients[next++ % clients.length]!.query(params)
      }
      if (property === 'close') return () => Promise.all(clients.map((c) => c.close())).then(() => undefined)
      const value = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

export function describeStorage(options: ClickHouseOptions): string {
  if (!options.url) return `embedded ClickHouse (chDB) in ${options.dataDir}`
  const u = new URL(options.url)
  return `ClickHouse server at ${u.protocol}//${u.host}`
}

/** Bounds for analysts' queries: what one query may take, whatever it asks. */
export const READ_ONLY_LIMITS = {
  max_execution_time: 60,
  max_memory_usage: '2000000000',
  max_result_bytes: '1000000000',
} as const

/**
 * A client for analysts' queries: each runs read-only (readonly = 1: no writes, no DDL, no change of a
 * setting) within READ_ONLY_LIMITS, in the `cairn` database. Embedded: every query in an engine session
 * of its own, its result streamed (sql/session-per-query.ts). Server: the same settings sent with each
 * query, and a query is cancelled when its HTTP request is. `param_*` entries of `clickhouse_settings`
 * reach the engine as the text given, as ClickHouse's HTTP interface takes them.
 */
export function openReadOnly(options: ClickHouseOptions): Storage {
  // As a ClickHouse server answers by default (chDB does not quote 64-bit integers in JSON otherwise);
  // readonly last: it forbids changing the others.
  const settings = { output_format_json_quote_64bit_integers: 1, ...READ_ONLY_LIMITS, readonly: '1' } as const
  if (options.url) {
    return createClient({
      url: options.url,
      username: options.username ?? 'default',
      password: options.password ?? '',
      database: 'cairn',
      clickhouse_settings: { cancel_http_readonly_queries_on_client_close: 1, ...settings },
    })
  }
  return createClient({ connection: sessionPerQueryConnection(options.dataDir, 'cairn'), clickhouse_settings: settings })
}
