/** `cairn privacy`: the DPO's answers to data subjects (access, erasure, restriction) and anonymisation. */
import { anonymizeBefore, eraseVisitor, exportVisitor, record, restrictVisitor, type VisitorKey } from '../../../sql/privacy.ts'
import { FIRST_DAY, LAST_DAY, isDay } from '../../../dashboard/server/range.ts'
import { cookieVisitorId } from '../../ingest/visitor.ts'
import type { Config } from '../config.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'
import { withStorage } from './storage.ts'

export const usage: Usage = [
  ['privacy export|erase|restrict (--visitor ID [--site SITE] | --cookie VALUE) [--by NAME]', 'cli.usage.privacy'],
  ['privacy anonymize --before YYYY-MM-DD', 'cli.usage.anonymize'],
]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { visitor: { type: 'string' }, site: { type: 'string' }, cookie: { type: 'string' }, before: { type: 'string' }, by: { type: 'string' } })
  const [action] = positionals
  const by = values.by ?? 'dpo'
  if (action === 'anonymize') {
    if (!values.before || !isDay(values.before)) throw new UsageError(say('cli.privacy.anonymizeUsage', { first: FIRST_DAY, last: LAST_DAY }))
    const months = await withStorage(config, (storage) => anonymizeBefore(storage, `${values.before} 00:00:00`, by, config.clickhouseCluster))
    process.stdout.write(`${say('cli.privacy.anonymized', { day: values.before, months })}\n`)
    return
  }
  if (action !== 'export' && action !== 'erase' && action !== 'restrict') throw new UsageError(usageOf(usage))
  const sites = values.site ? [values.site] : config.sites
  let keys: VisitorKey[]
  if (values.cookie) {
    // The cookie's id, even from an expired cookie: the visitor asks about data already stored.
    const id = /^([0-9a-f]{32})\./.exec(values.cookie.replace(/^cairn_id=/, ''))?.[1]
    if (!id) throw new UsageError(say('cli.privacy.badCookie'))
    keys = sites.map((site) => ({ site, visitorId: cookieVisitorId(site, { id, depositedAt: 0 }) }))
  } else if (values.visitor && /^\d{1,20}$/.test(values.visitor)) {
    keys = sites.map((site) => ({ site, visitorId: values.visitor! }))
  } else throw new UsageError(say('cli.privacy.needsVisitor'))
  await withStorage(config, async (storage) => {
    if (action === 'export') {
      process.stdout.write(JSON.stringify(await exportVisitor(storage, keys), null, 2) + '\n')
      await record(storage, 'export', keys, by)
    } else if (action === 'erase') await eraseVisitor(storage, keys, by, config.clickhouseCluster)
    else await restrictVisitor(storage, keys, by)
  })
  if (action !== 'export') process.stderr.write(`${say('cli.privacy.done', { action, visitors: keys.map((k) => `${k.site} ${k.visitorId}`).join(', ') })}\n`)
}
