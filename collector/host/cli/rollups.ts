/** `cairn rollups`: the rollups of settled days made again (after a change of what they hold), with progress. */
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { language, parse, say, type Usage } from './args.ts'
import { progress } from './progress.ts'

export const usage: Usage = [['rollups [--site SITE]', 'cli.usage.rollups']]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values } = parse(usage, args, { site: { type: 'string' } })
  const sealed = await withApi(config, (api) =>
    api.steps<number>('/api/rollups', values.site === undefined ? {} : { site: values.site }, progress(`rollups ${values.site ?? ''}`.trim(), language)),
  )
  process.stdout.write(`${say('cli.rollups.done', { count: sealed })}\n`)
}
