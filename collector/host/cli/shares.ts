/** `cairn shares`: read-only links to one site's dashboard, through the admin API. */
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'

export const usage: Usage = [['shares add --site SITE', 'cli.usage.sharesAdd']]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { site: { type: 'string' } })
  if (positionals[0] !== 'add' || !values.site) throw new UsageError(usageOf(usage))
  const { path } = await withApi(config, (api) => api.call<{ path: string }>('POST', `/api/sites/${encodeURIComponent(values.site!)}/shares`))
  process.stdout.write(`${say('cli.shares.created', { site: values.site, url: `http://localhost:${config.port}${path}` })}\n`)
}
