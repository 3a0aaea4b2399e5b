/** `cairn reports`: a site's weekly or monthly report, sent now to an address, through the admin API. */
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'

export const usage: Usage = [['reports send --site SITE --to EMAIL [--monthly]', 'cli.usage.reportsSend']]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { site: { type: 'string' }, to: { type: 'string' }, monthly: { type: 'boolean' } })
  if (positionals[0] !== 'send' || !values.site || !values.to) throw new UsageError(usageOf(usage))
  const frequency = values.monthly ? 'monthly' : 'weekly'
  const sent = await withApi(config, (api) =>
    api.call<{ from: string; to: string }>('POST', `/api/sites/${encodeURIComponent(values.site!)}/reports/send`, { email: values.to, frequency }),
  )
  process.stdout.write(`${say('cli.reports.sent', { site: values.site, email: values.to, frequency, from: sent.from, to: sent.to })}\n`)
}
