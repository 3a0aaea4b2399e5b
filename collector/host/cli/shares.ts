/** `cairn shares`: read-only links to one site's dashboard. */
import { Access } from '../../../dashboard/server/auth/access.ts'
import type { Config } from '../config.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'
import { withStorage } from './storage.ts'

export const usage: Usage = [['shares add --site SITE', 'cli.usage.sharesAdd']]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { site: { type: 'string' } })
  if (positionals[0] !== 'add' || !values.site) throw new UsageError(usageOf(usage))
  if (!config.sites.includes(values.site)) throw new UsageError(say('cli.notInSites', { site: values.site, sites: config.sites.join(', ') }))
  const { secret } = await withStorage(config, (storage) => new Access(storage).createShare(values.site!, 'cli'))
  process.stdout.write(`${say('cli.shares.created', { site: values.site, url: `http://localhost:${config.port}/share/${secret}` })}\n`)
}
