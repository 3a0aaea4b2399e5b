/**
 * An embedded connection that behaves like ClickHouse's HTTP interface, for analysts' queries: every query
 * runs in an engine session of its own, so nothing one query sets (a database, a setting, a parameter)
 * is seen by the next; its settings and `param_*` values become that session's SETs, so a parameter
 * reaches the engine as the text the client sent, parsed as the HTTP interface parses it; and the result
 * streams block by block, the query cancelled as soon as its reader stops.
 *
 * chDB's own connection suits the collector and the dashboard (small results, sessions reused), but it
 * holds a whole result in memory, cannot stop a running query and re-escapes parameter text.
 */
import { Readable } from 'node:stream'
import { randomUUID } from 'node:crypto'
import { parseError } from '@clickhouse/client'
import { Session } from 'chdb'
import type { Transport } from './client.ts'

type Params = Parameters<Transport['exec']>[0]
type Result = Awaited<ReturnType<Transport['exec']>>

/** A single-quoted ClickHouse string literal: backslash and quote escaped, everything else as it is. */
export function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** A value as @clickhouse/client puts it in `param_*` (the TSV-escaped text ClickHouse reads back). */
function paramText(value: unknown): string {
  if (typeof value !== 'string') throw new Error('only string query_params are supported here')
  return value.replace(/[\\\t\n\r']/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', "'": "\\'" })[c]!)
}

/** Settings that only mean something to an HTTP server. */
const HTTP_ONLY = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'enable_http_compression', 'output_format_json_quote_64bit_integers_http'])

export function sessionPerQueryConnection(dataDir: string, database: string): Transport {
  async function run(params: Params): Promise<Result> {
    const session = new Session(dataDir)
    let streaming = false
    try {
      const settings = { ...params.clickhouse_settings }
      const format = String(settings.default_format ?? 'TabSeparated')
      delete settings.default_format
      // One SET for all: it checks every change before applying any, so readonly can come with the others.
      const changes: string[] = []
      for (const [name, value] of Object.entries(settings)) {
        if (value === undefined || HTTP_ONLY.has(name)) continue
        if (!/^\w+$/.test(name)) throw new Error(`not a setting name: ${name}`)
        changes.push(`${name} = ${typeof value === 'number' ? value : stringLiteral(String(value))}`)
      }
      for (const [name, value] of Object.entries(params.query_params ?? {})) {
        if (!/^\w+$/.test(name)) throw new Error(`not a parameter name: ${name}`)
        changes.push(`param_${name} = ${stringLiteral(paramText(value))}`)
      }
      await engine(session.queryAsync(`USE ${database}${changes.length ? `; SET ${changes.join(', ')}` : ''}`, { format: 'CSV' }))
      let chunks: AsyncIterator<{ raw(): Uint8Array }> = [][Symbol.iterator]() as never
      // The first block is awaited here, so an error in the query is this call's error, as over HTTP.
      let next: IteratorResult<{ raw(): Uint8Array }> | undefined = await engine(
        (async () => {
          chunks = session.queryStream(params.query, { format, signal: params.abort_signal })[Symbol.asyncIterator]()
          return chunks.next()
        })(),
      ).catch(async (error: { code?: string }) => {
        // chDB streams SELECTs only; the others (SHOW, DESCRIBE, EXPLAIN, EXISTS) answer a few rows at once.
        if (error.code !== '36' || !/Streaming query is not supported/.test(String(error))) throw error
        const whole = await engine(session.queryAsync(params.query, { format, signal: params.abort_signal }))
        return { done: false, value: { raw: () => whole.bytes() } }
      })
      streaming = true
      const stream = new Readable({
        // Called again only after a push: one block is fetched at a time, when the reader wants one.
        async read() {
          try {
            const block = next ?? (await engine(chunks.next()))
            next = undefined
            this.push(block.done ? null : Buffer.from(block.value.raw()))
          } catch (error) {
            this.destroy(error as Error)
          }
        },
        destroy(error, callback) {
          // Stops the query in the engine (chDB waits for a fetch in flight), then frees the session.
          void Promise.resolve(chunks.return?.()).catch(() => undefined).finally(() => {
            session.close()
            callback(error)
          })
        },
      })
      return { stream, query_id: params.query_id ?? randomUUID(), response_headers: {}, http_status_code: 200, summary: undefined }
    } finally {
      if (!streaming) session.close()
    }
  }

  const refuse = () => Promise.reject(new Error('this connection only reads'))
  return {
    query: run,
    exec: run,
    async command(params) {
      const { stream, ...rest } = await run(params)
      stream.destroy()
      return rest
    },
    insert: refuse,
    async ping() {
      return { success: true }
    },
    async close() {},
  } as Transport
}

/** Engine errors as @clickhouse/client's ClickHouseError (code, type), whatever chDB wrapped them in. */
async function engine<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    throw parseError((error as Error).message.replace(/^Query failed: /, ''))
  }
}
