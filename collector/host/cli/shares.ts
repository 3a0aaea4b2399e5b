/** `cairn shares`: read-only links to one site's dashboard. */
import { Access } from '../../../dashboard/server/auth/access.ts'
import type { Config } from '../config.ts'
import { UsageError, parse } from './args.ts'
import { withStorage } from './storage.ts'

export const usage = `  shares add --site SITE                Create a read-only shared link to a site's dashboard`

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { site: { type: 'string' } })
  if (positionals[0] !== 'add' || !values.site) throw new UsageError(`Usage:\n${usage}`)
  if (!config.sites.includes(values.site)) throw new UsageError(`${values.site} is not in CAIRN_SITES`)
  const { secret } = await withStorage(config, (storage) => new Access(storage).createShare(values.site!, 'cli'))
  process.stdout.write(`read-only link to ${values.site}: http://localhost:${config.port}/share/${secret}\n`)
}
