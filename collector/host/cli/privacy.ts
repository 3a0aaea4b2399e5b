/** `cairn privacy`: the DPO's answers to data subjects (access, erasure, restriction) and anonymisation, through the admin API. */
import { FIRST_DAY, LAST_DAY, isDay } from '../../../dashboard/server/range.ts'
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'

export const usage: Usage = [
  ['privacy export|erase|restrict (--visitor ID [--site SITE] | --cookie VALUE) [--by NAME]', 'cli.usage.privacy'],
  ['privacy anonymize --before YYYY-MM-DD', 'cli.usage.anonymize'],
]

type Export = { visitors: unknown[]; events: unknown[]; sessions: unknown[]; restrictions: unknown[] }

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { visitor: { type: 'string' }, site: { type: 'string' }, cookie: { type: 'string' }, before: { type: 'string' }, by: { type: 'string' } })
  const [action] = positionals
  const by = values.by ?? 'dpo'
  if (action === 'anonymize') {
    if (!values.before || !isDay(values.before)) throw new UsageError(say('cli.privacy.anonymizeUsage', { first: FIRST_DAY, last: LAST_DAY }))
    const months = await withApi(config, async (api) => {
      const { sites } = await api.call<{ sites: { site: string }[] }>('GET', '/api/sites')
      // Anonymising covers every site; the route lives under one of them.
      return (await api.call<{ months: number }>('POST', `/api/sites/${encodeURIComponent(sites[0]?.site ?? '-')}/privacy`, { action, before: values.before, by })).months
    })
    process.stdout.write(`${say('cli.privacy.anonymized', { day: values.before, months })}\n`)
    return
  }
  if (action !== 'export' && action !== 'erase' && action !== 'restrict') throw new UsageError(usageOf(usage))
  const subject = values.cookie ? { cookie: values.cookie } : values.visitor && /^\d{1,20}$/.test(values.visitor) ? { visitor_id: values.visitor } : undefined
  if (!subject) throw new UsageError(say('cli.privacy.needsVisitor'))
  const done = await withApi(config, async (api) => {
    // A visitor id or cookie stands for one visitor on each site: every site unless one is named.
    const sites = values.site ? [values.site] : (await api.call<{ sites: { site: string }[] }>('GET', '/api/sites')).sites.map((s) => s.site)
    const answers = []
    for (const site of sites) answers.push({ site, answer: await api.call<Record<string, unknown>>('POST', `/api/sites/${encodeURIComponent(site)}/privacy`, { action, ...subject, by }) })
    return answers
  })
  if (action === 'export') {
    const merged: Export = { visitors: [], events: [], sessions: [], restrictions: [] }
    for (const { answer } of done) for (const part of ['visitors', 'events', 'sessions', 'restrictions'] as const) merged[part].push(...((answer[part] as unknown[]) ?? []))
    process.stdout.write(JSON.stringify(merged, null, 2) + '\n')
    return
  }
  const visitors = done.map(({ site, answer }) => `${site} ${String(answer[action === 'erase' ? 'erased' : 'restricted'])}`).join(', ')
  process.stderr.write(`${say('cli.privacy.done', { action, visitors })}\n`)
}
