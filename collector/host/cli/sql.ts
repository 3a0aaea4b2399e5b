/** `cairn sql`: a read-only query through the running server's door, or straight to a ClickHouse server. */
import type { Config } from '../config.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'

export const usage: Usage = [['sql "SELECT …" [--format FORMAT]', 'cli.usage.sql']]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { format: { type: 'string', default: 'PrettyCompactMonoBlock' } })
  const query = positionals.join(' ').trim()
  if (!query) throw new UsageError(usageOf(usage))
  // The embedded engine is held by the server, so the query goes through its door.
  const direct = config.clickhouseUrl
  const base = direct ? new URL(direct) : new URL('/clickhouse', process.env.CAIRN_URL ?? `http://localhost:${config.port}`)
  const user = direct ? config.clickhouseUser : process.env.CAIRN_USER
  const password = direct ? config.clickhousePassword : process.env.CAIRN_PASSWORD
  if (!user) throw new UsageError(say('cli.sql.credentials'))
  base.searchParams.set('default_format', values.format!)
  if (direct) base.searchParams.set('readonly', '1')
  let response: Response
  try {
    response = await fetch(base, { method: 'POST', body: query, headers: { authorization: `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` } })
  } catch (error) {
    throw new Error(say('cli.sql.unreachable', { origin: base.origin, error: (error as Error).message }))
  }
  const text = await response.text()
  if (!response.ok) throw new Error(text.trim())
  process.stdout.write(text)
}
