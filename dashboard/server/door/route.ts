/**
 * `/clickhouse`: ClickHouse's HTTP interface, read-only, for analysts' tools (the embedded engine has no
 * other way in while Cairn runs). Query in the URL or the body, `default_format` or FORMAT, `param_*`
 * parameters, ClickHouse's response headers and error bodies. Credentials: a Cairn user with a role on
 * every site (`--site '*'`), by HTTP basic or X-ClickHouse-User / X-ClickHouse-Key; the password may be
 * one of their API keys.
 */
import { randomUUID } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'
import type { DataFormat } from '@clickhouse/client'
import { Hono, type Context } from 'hono'
import type { Storage } from '../../../sql/client.ts'
import type { Access } from '../auth/access.ts'
import { sha256, verifyPassword } from '../auth/secrets.ts'
import { astRefusal, refusal } from './statement.ts'

export interface DoorOptions {
  /** A read-only client (sql/client.ts openReadOnly). */
  storage: Storage
  access: Access
}

/** URL parameters that are not settings, and settings a client may send that change nothing here. */
const NOT_SETTINGS = new Set(['query', 'database', 'default_format', 'query_id', 'user', 'password', 'session_id', 'session_timeout', 'session_check'])
const IGNORED_SETTINGS = new Set(['enable_http_compression', 'wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'output_format_json_quote_64bit_integers', 'max_result_rows', 'result_overflow_mode', 'extremes'])

const CONTENT_TYPES: [RegExp, string][] = [
  [/^JSON(Each|Compact|Strings|Lines)/i, 'application/x-ndjson; charset=UTF-8'],
  [/^JSON/i, 'application/json; charset=UTF-8'],
  [/^TSV|^TabSeparated/i, 'text/tab-separated-values; charset=UTF-8'],
  [/^CSV/i, 'text/csv; charset=UTF-8; header=absent'],
  [/^(Parquet|Arrow|Native|RowBinary|ORC|Avro)/i, 'application/octet-stream'],
]

/** ClickHouse's answer to an exception: its text, its code header, and the HTTP status it would use. */
function failure(c: Context, code: number, type: string, message: string): Response {
  const status = code === 516 ? 401 : code === 164 || code === 497 ? 403 : code === 60 || code === 81 ? 404 : code === 62 ? 400 : 500
  c.header('X-ClickHouse-Exception-Code', String(code))
  c.header('Content-Type', 'text/plain; charset=UTF-8')
  return c.body(`Code: ${code}. DB::Exception: ${message}. (${type}) (version cairn)\n`, status)
}

export function clickhouseDoor(options: DoorOptions): Hono {
  const app = new Hono()
  const verified = new Map<string, number>() // sha256(user:password) → valid until

  async function authorised(user: string, password: string): Promise<'ok' | 'unknown' | 'no-access'> {
    const key = sha256(`${user}\0${password}`)
    if ((verified.get(key) ?? 0) > Date.now()) return 'ok'
    let principal
    if (password.startsWith('cairn_key_')) {
      principal = await options.access.principal({ apiKey: password })
      if (principal?.kind !== 'user' || principal.email !== user) return 'unknown'
    } else {
      const hash = await options.access.passwordHash(user)
      if (!hash || !(await verifyPassword(password, hash))) return 'unknown'
      principal = { kind: 'user' as const, email: user, roles: await options.access.roles(user) }
    }
    // SQL reads every site's rows: only someone who may read every site may use it.
    if (principal.kind !== 'user' || !principal.roles.has('*')) return 'no-access'
    verified.set(key, Date.now() + 60_000)
    return 'ok'
  }

  const handler = async (c: Context) => {
    const url = new URL(c.req.url)
    const basic = /^Basic\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    const [basicUser, ...rest] = basic ? Buffer.from(basic, 'base64').toString().split(':') : []
    const user = c.req.header('x-clickhouse-user') ?? basicUser ?? url.searchParams.get('user') ?? ''
    const password = c.req.header('x-clickhouse-key') ?? (basic ? rest.join(':') : undefined) ?? url.searchParams.get('password') ?? ''
    const auth = user ? await authorised(user, password) : 'unknown'
    if (auth === 'unknown') return failure(c, 516, 'AUTHENTICATION_FAILED', `${user || 'default'}: Authentication failed: password is incorrect, or there is no user with such name`)
    if (auth === 'no-access') return failure(c, 497, 'ACCESS_DENIED', `${user}: Not enough privileges. SQL through Cairn needs a role on every site (cairn users add ${user} --site '*')`)

    let body = c.req.method === 'POST' ? Buffer.from(await c.req.arrayBuffer()) : Buffer.alloc(0)
    if (/gzip/i.test(c.req.header('content-encoding') ?? '')) body = gunzipSync(body)
    const query = [url.searchParams.get('query'), body.toString('utf8')].filter((q) => q && q.trim()).join('\n')
    if (!query) return failure(c, 62, 'SYNTAX_ERROR', 'Empty query')

    const params: Record<string, string> = {}
    for (const [name, value] of url.searchParams) {
      if (name.startsWith('param_')) params[name.slice(6)] = value
      else if (!NOT_SETTINGS.has(name) && !IGNORED_SETTINGS.has(name)) {
        return failure(c, 164, 'READONLY', `Cannot modify '${name}' setting in readonly mode`)
      }
    }
    const database = url.searchParams.get('database')
    if (database && !['cairn', 'default', 'clickhouse'].includes(database)) return failure(c, 81, 'UNKNOWN_DATABASE', `Database ${database} does not exist`)
    const refused = refusal(query)
    if (refused) return failure(c, 164, 'READONLY', `Cannot execute query in readonly mode: ${refused}`)

    const format = /\bFORMAT\s+(\w+)\s*;?\s*$/i.exec(query)?.[1] ?? url.searchParams.get('default_format') ?? 'TabSeparated'
    const queryId = url.searchParams.get('query_id') ?? randomUUID()
    try {
      const explained = await options.storage.query({ query: `EXPLAIN AST ${query.replace(/\bFORMAT\s+\w+\s*;?\s*$/i, '')}`, query_params: params, format: 'TabSeparatedRaw' })
      const astRefused = astRefusal(await explained.text())
      if (astRefused) return failure(c, 497, 'ACCESS_DENIED', astRefused)
      const result = await options.storage.exec({ query, query_params: params, query_id: queryId, clickhouse_settings: { default_format: format as DataFormat } })
      const chunks: Buffer[] = []
      for await (const chunk of result.stream) chunks.push(Buffer.from(chunk))
      let output = Buffer.concat(chunks)
      c.header('X-ClickHouse-Query-Id', queryId)
      c.header('X-ClickHouse-Format', format)
      c.header('X-ClickHouse-Timezone', 'UTC')
      c.header('X-ClickHouse-Server-Display-Name', 'cairn')
      if (result.summary) c.header('X-ClickHouse-Summary', JSON.stringify(result.summary))
      c.header('Content-Type', CONTENT_TYPES.find(([pattern]) => pattern.test(format))?.[1] ?? 'text/plain; charset=UTF-8')
      if (url.searchParams.get('enable_http_compression') === '1' && /gzip/.test(c.req.header('accept-encoding') ?? '')) {
        output = gzipSync(output)
        c.header('Content-Encoding', 'gzip')
      }
      return c.body(new Uint8Array(output))
    } catch (error) {
      const e = error as { code?: string; type?: string; message: string }
      const code = Number(e.code)
      return failure(c, Number.isFinite(code) && code > 0 ? code : 1002, e.type ?? 'UNKNOWN_EXCEPTION', e.message.replace(/\s*\(\w+\)\s*$/, '').replace(/\.\s*$/, ''))
    }
  }
  app.on(['GET', 'POST'], ['/clickhouse', '/clickhouse/'], handler)
  // @clickhouse/client given `url: http://cairn:8080/clickhouse` takes the path for a database name and
  // sends to `/?database=clickhouse`: answer there too, and leave `/` to the dashboard otherwise.
  app.post('/', handler)
  app.get('/', (c, next) => (new URL(c.req.url).searchParams.has('query') ? handler(c) : next()))
  return app
}
