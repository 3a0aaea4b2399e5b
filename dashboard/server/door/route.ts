/**
 * `/clickhouse`: ClickHouse's HTTP interface, read-only, for analysts' tools (the embedded engine has no
 * other way in while Cairn runs). Query in the URL, the body or a multipart form; `default_format` or
 * FORMAT; `param_*` parameters, passed to the engine as the text the client sent; ClickHouse's response
 * headers and error bodies. Credentials: a Cairn user with a role on every site (`--site '*'`), by HTTP
 * basic or X-ClickHouse-User / X-ClickHouse-Key; the password may be one of their API keys.
 *
 * What a statement may do is decided in `statement.ts`. Results stream: the engine computes at most one
 * block ahead of what the client has taken, and the query is cancelled when the client hangs up or stops
 * reading.
 */
import { randomUUID } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import type { Readable } from 'node:stream'
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { DataFormat } from '@clickhouse/client'
import type { Storage } from '../../../sql/client.ts'
import type { Access } from '../auth/access.ts'
import type { LoginAttempts } from '../auth/attempts.ts'
import { FORMATS, inspect } from './statement.ts'

export interface DoorOptions {
  /** A read-only client whose every query runs on its own (sql/client.ts openReadOnly). */
  storage: Storage
  access: Access
  attempts: LoginAttempts
  /** The client's truncated address. */
  addressOf: (c: Context) => string
}

/** Queries one user may run at once, and all users together: the engine's threads are shared with the dashboard and ingest. */
export const QUERIES_PER_USER = 2
export const QUERIES_IN_ALL = 4
/** A client that takes no data for this long loses its query. */
export const STALL_MS = 60_000
const MAX_BODY_BYTES = 1024 * 1024

/** URL parameters that are not settings, and settings a client may send that change nothing here. */
const NOT_SETTINGS = new Set(['query', 'database', 'default_format', 'query_id', 'user', 'password', 'session_id', 'session_timeout', 'session_check'])
const IGNORED_SETTINGS = new Set(['enable_http_compression', 'wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'output_format_json_quote_64bit_integers', 'max_result_rows', 'result_overflow_mode', 'extremes'])

const CONTENT_TYPES: [RegExp, string][] = [
  [/^JSON(Each|Compact|Strings|Lines)|^(Pretty)?NDJSON|^JSONL$|^PrettyJSON/i, 'application/x-ndjson; charset=UTF-8'],
  [/^JSON/i, 'application/json; charset=UTF-8'],
  [/^TSV|^TabSeparated/i, 'text/tab-separated-values; charset=UTF-8'],
  [/^CSV/i, 'text/csv; charset=UTF-8; header=absent'],
  [/^(Parquet|Arrow|Native|RowBinary|ORC|Avro|MsgPack|BSON)/i, 'application/octet-stream'],
]

/** ClickHouse's answer to an exception: its text, its code header, and the HTTP status it would use. */
function failure(c: Context, code: number, type: string, message: string, status = statusOf(code)): Response {
  c.header('X-ClickHouse-Exception-Code', String(code))
  c.header('Content-Type', 'text/plain; charset=UTF-8')
  return c.body(`Code: ${code}. DB::Exception: ${message}. (${type}) (version cairn)\n`, status as 400)
}

function statusOf(code: number): number {
  return code === 516 ? 401 : code === 164 || code === 497 ? 403 : code === 60 || code === 81 ? 404 : code === 62 || code === 36 ? 400 : code === 202 ? 429 : 500
}

export function clickhouseDoor(options: DoorOptions): Hono {
  const app = new Hono()
  const running = new Map<string, number>()
  let runningInAll = 0

  const handler = async (c: Context) => {
    const url = new URL(c.req.url)
    // Read-only, but a page elsewhere could still make a browser spend an analyst's queries.
    const origin = c.req.header('origin')
    if (origin !== undefined && URL.parse(origin)?.host !== c.req.header('host')) return failure(c, 497, 'ACCESS_DENIED', `requests from ${origin} are not accepted`)

    const basic = /^Basic\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    const [basicUser, ...rest] = basic ? Buffer.from(basic, 'base64').toString().split(':') : []
    const user = c.req.header('x-clickhouse-user') ?? basicUser ?? url.searchParams.get('user') ?? ''
    const password = c.req.header('x-clickhouse-key') ?? (basic ? rest.join(':') : undefined) ?? url.searchParams.get('password') ?? ''
    const address = options.addressOf(c)
    const wait = options.attempts.retryAfter(user, address)
    if (wait > 0) {
      c.header('Retry-After', String(wait))
      return failure(c, 516, 'AUTHENTICATION_FAILED', `${user || 'default'}: too many failed attempts from this address or for this user, try again in ${wait} s`, 429)
    }
    const byKey = password.startsWith('cairn_key_') ? await options.access.principal({ apiKey: password }) : undefined
    const principal = byKey ? (byKey.kind === 'user' && byKey.email === user ? byKey : undefined) : user ? await options.access.authenticate(user, password) : undefined
    // SQL reads every site's rows: only someone who may read every site may use it. Anyone else gets the
    // answer a wrong password gets, so the door does not tell which passwords are right.
    if (!principal || !principal.roles.has('*')) {
      options.attempts.failed(user, address)
      return failure(c, 516, 'AUTHENTICATION_FAILED', `${user || 'default'}: Authentication failed: password is incorrect, there is no user with such name, or the user has no role on every site (cairn users add ${user || 'EMAIL'} --site '*')`)
    }

    const params: Record<string, string> = {}
    const settings: [string, string][] = []
    let queryText = url.searchParams.get('query') ?? ''
    for (const [name, value] of url.searchParams) {
      if (name.startsWith('param_')) params[name.slice(6)] = value
      else if (!NOT_SETTINGS.has(name)) settings.push([name, value])
    }
    let body = ''
    if (c.req.method === 'POST') {
      if (/^multipart\/form-data/i.test(c.req.header('content-type') ?? '')) {
        // As @clickhouse/client sends large parameters: the query and `param_*` as form fields.
        for (const [name, value] of await c.req.formData()) {
          if (typeof value !== 'string') continue
          if (name === 'query') queryText = value
          else if (name.startsWith('param_')) params[name.slice(6)] = value
        }
      } else {
        let raw = Buffer.from(await c.req.arrayBuffer())
        try {
          if (/gzip/i.test(c.req.header('content-encoding') ?? '')) raw = gunzipSync(raw, { maxOutputLength: MAX_BODY_BYTES })
        } catch (error) {
          return failure(c, 271, 'CANNOT_DECOMPRESS', `the gzip body cannot be read (${(error as Error).message}); at most ${MAX_BODY_BYTES} bytes once decompressed`, 400)
        }
        body = raw.toString('utf8')
      }
    }
    for (const [name] of settings) {
      if (!IGNORED_SETTINGS.has(name)) return failure(c, 164, 'READONLY', `Cannot modify '${name}' setting in readonly mode`)
    }
    for (const name of Object.keys(params)) {
      if (!/^\w+$/.test(name)) return failure(c, 36, 'BAD_ARGUMENTS', `param_${name}: a parameter's name is letters, digits and _`)
    }
    const query = [queryText, body].filter((q) => q.trim()).join('\n')
    if (!query) return failure(c, 62, 'SYNTAX_ERROR', 'Empty query')
    const database = url.searchParams.get('database')
    if (database && !['cairn', 'default', 'clickhouse'].includes(database)) return failure(c, 81, 'UNKNOWN_DATABASE', `Database ${database} does not exist`)
    const defaultFormat = url.searchParams.get('default_format') ?? 'TabSeparated'
    if (!FORMATS.has(defaultFormat)) return failure(c, 497, 'ACCESS_DENIED', `FORMAT ${defaultFormat} is not available through this door`)

    const mine = running.get(user) ?? 0
    if (mine >= QUERIES_PER_USER || runningInAll >= QUERIES_IN_ALL) {
      c.header('Retry-After', '1')
      const who = mine >= QUERIES_PER_USER ? `for user ${user} (${QUERIES_PER_USER} at once)` : `(${QUERIES_IN_ALL} at once through this door)`
      return failure(c, 202, 'TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries ${who}; wait for one to finish`)
    }
    running.set(user, mine + 1)
    runningInAll++
    let released = false
    const release = () => {
      if (released) return
      released = true
      runningInAll--
      const left = (running.get(user) ?? 1) - 1
      if (left > 0) running.set(user, left)
      else running.delete(user)
    }

    // Never the client's: ids are how queries are told apart, and one user must not pick another's.
    const queryId = randomUUID()
    let result: Readable
    let format: string
    try {
      const inspection = await inspect(options.storage, query, params)
      if ('code' in inspection) {
        release()
        return failure(c, inspection.code, inspection.type, inspection.message)
      }
      format = inspection.format ?? defaultFormat
      const settingsForQuery = Object.fromEntries(Object.entries(params).map(([name, value]) => [`param_${name}`, value]))
      result = (await options.storage.exec({ query: inspection.canonical, query_id: queryId, abort_signal: c.req.raw.signal, clickhouse_settings: { ...settingsForQuery, default_format: format as DataFormat } })).stream
    } catch (error) {
      release()
      const e = error as { code?: string; type?: string; message: string }
      const code = Number(e.code)
      return failure(c, Number.isFinite(code) && code > 0 ? code : 1002, e.type ?? 'UNKNOWN_EXCEPTION', e.message.replace(/\s*\(\w+\)\s*$/, '').replace(/\.\s*$/, ''))
    }

    const blocks = result[Symbol.asyncIterator]()
    let stall: NodeJS.Timeout | undefined
    const stop = () => {
      clearTimeout(stall)
      result.destroy()
      release()
    }
    let stream = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          clearTimeout(stall)
          try {
            const next = await blocks.next()
            if (next.done) {
              stop()
              controller.close()
              return
            }
            controller.enqueue(next.value as Uint8Array)
            // The client must come back for the next block within STALL_MS, or the query ends.
            stall = setTimeout(() => {
              stop()
              controller.error(new Error('the client stopped reading'))
            }, STALL_MS)
          } catch (error) {
            stop()
            controller.error(error)
          }
        },
        cancel: stop,
      },
      // One block computed ahead while the last is sent; no more.
      { highWaterMark: 1 },
    )
    c.req.raw.signal.addEventListener('abort', stop, { once: true })
    c.header('X-ClickHouse-Query-Id', queryId)
    c.header('X-ClickHouse-Format', format)
    c.header('X-ClickHouse-Timezone', 'UTC')
    c.header('X-ClickHouse-Server-Display-Name', 'cairn')
    c.header('Content-Type', CONTENT_TYPES.find(([pattern]) => pattern.test(format))?.[1] ?? 'text/plain; charset=UTF-8')
    if (url.searchParams.get('enable_http_compression') === '1' && /gzip/.test(c.req.header('accept-encoding') ?? '')) {
      stream = stream.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>)
      c.header('Content-Encoding', 'gzip')
    }
    return c.body(stream)
  }

  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => failure(c, 1001, 'TOO_LARGE_REQUEST', `the request body is over ${MAX_BODY_BYTES} bytes`) })
  app.on(['GET', 'POST'], ['/clickhouse', '/clickhouse/'], limit, handler)
  // @clickhouse/client given `url: http://cairn:8080/clickhouse` takes the path for a database name and
  // sends to `/?database=clickhouse`: answer there too, and leave `/` to the dashboard otherwise.
  app.post('/', limit, handler)
  app.get('/', (c, next) => (new URL(c.req.url).searchParams.has('query') ? handler(c) : next()))
  return app
}
