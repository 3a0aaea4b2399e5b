/** `cairn demo`: realistic demo traffic for a site, with a progress bar, through the admin API. */
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, integerFlag, language, parse, say, type Usage } from './args.ts'
import { progress } from './progress.ts'

export const usage: Usage = [['demo --site SITE [--events N] [--days D] [--seed S]', 'cli.usage.demo', { events: 100_000, days: 365, seed: 42 }]]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values } = parse(usage, args, { site: { type: 'string' }, events: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' } })
  if (!values.site) throw new UsageError(say('cli.demo.needsSite'))
  const events = integerFlag(values.events, 'events', 100_000, 1, 1_000_000_000)
  const days = integerFlag(values.days, 'days', 365, 1, 3660)
  const seed = integerFlag(values.seed, 'seed', 42, 0, 2 ** 31 - 1)
  const written = await withApi(config, (api) =>
    api.steps<number>(`/api/sites/${encodeURIComponent(values.site!)}/demo`, { events, days, seed }, progress(`demo ${values.site}`, language)),
  )
  process.stdout.write(`${say('cli.demo.wrote', { count: written, site: values.site })}\n`)
}
