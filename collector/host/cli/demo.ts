/** `cairn demo`: realistic demo traffic for a site, with a progress bar. */
import type { Config } from '../config.ts'
import { generateDemo } from '../demo/generate.ts'
import { UsageError, integerFlag, parse } from './args.ts'
import { progress, withStorage } from './storage.ts'

export const usage = `  demo --site SITE [--events N] [--days D] [--seed S]
                                        Fill a site with realistic demo traffic: N events (100,000) over the
                                        last D days (365), the same for the same seed (42)`

export async function run(config: Config, args: string[]): Promise<void> {
  const { values } = parse(usage, args, { site: { type: 'string' }, events: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' } })
  if (!values.site) throw new UsageError('demo needs --site SITE (one of CAIRN_SITES)')
  if (!config.sites.includes(values.site)) throw new UsageError(`${values.site} is not in CAIRN_SITES (${config.sites.join(', ')}); add it there first`)
  const events = integerFlag(values.events, 'events', 100_000, 1, 1_000_000_000)
  const days = integerFlag(values.days, 'days', 365, 1, 3660)
  const seed = integerFlag(values.seed, 'seed', 42, 0, 2 ** 31 - 1)
  const written = await withStorage(config, (storage) =>
    generateDemo(storage, { site: values.site!, events, days, seed, onProgress: progress(`demo ${values.site}`) }),
  )
  process.stdout.write(`wrote ${written.toLocaleString('en')} demo events for ${values.site}\n`)
}
