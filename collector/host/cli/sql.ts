/** `cairn sql`: a read-only query through the running server's door, or straight to a ClickHouse server. */
import type { Config } from '../config.ts'
import { UsageError, parse } from './args.ts'

export const usage = `  sql "SELECT …" [--format FORMAT]      Run a read-only query through the server's /clickhouse door (or on
                                        CLICKHOUSE_URL) and print an aligned table or any ClickHouse format;
                                        credentials from CAIRN_USER / CAIRN_PASSWORD, server from CAIRN_URL`

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { format: { type: 'string', default: 'PrettyCompactMonoBlock' } })
  const query = positionals.join(' ').trim()
  if (!query) throw new UsageError(`Usage:\n${usage}`)
  // The embedded engine is held by the server, so the query goes through its door.
  const direct = config.clickhouseUrl
  const base = direct ? new URL(direct) : new URL('/clickhouse', process.env.CAIRN_URL ?? `http://localhost:${config.port}`)
  const user = direct ? config.clickhouseUser : process.env.CAIRN_USER
  const password = direct ? config.clickhousePassword : process.env.CAIRN_PASSWORD
  if (!user) throw new UsageError('set CAIRN_USER and CAIRN_PASSWORD (a Cairn user with a role on every site, or their API key as the password)')
  base.searchParams.set('default_format', values.format!)
  if (direct) base.searchParams.set('readonly', '1')
  let response: Response
  try {
    response = await fetch(base, { method: 'POST', body: query, headers: { authorization: `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` } })
  } catch (error) {
    throw new Error(`cannot reach ${base.origin} (${(error as Error).message}); is "cairn serve" running? Set CAIRN_URL if it is elsewhere`)
  }
  const text = await response.text()
  if (!response.ok) throw new Error(text.trim())
  process.stdout.write(text)
}
