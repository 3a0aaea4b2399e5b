/** `cairn privacy`: the DPO's answers to data subjects (access, erasure, restriction) and anonymisation. */
import { anonymizeBefore, eraseVisitor, exportVisitor, record, restrictVisitor, type VisitorKey } from '../../../sql/privacy.ts'
import { FIRST_DAY, LAST_DAY, isDay } from '../../../dashboard/server/range.ts'
import { cookieVisitorId } from '../../ingest/visitor.ts'
import type { Config } from '../config.ts'
import { UsageError, parse } from './args.ts'
import { withStorage } from './storage.ts'

export const usage = `  privacy export|erase|restrict (--visitor ID [--site SITE] | --cookie VALUE) [--by NAME]
                                        Answer a data subject's request (access/portability, erasure,
                                        restriction); the visitor ID is in their export, or give the value
                                        of their cairn_id cookie
  privacy anonymize --before YYYY-MM-DD Anonymise everything older than a date`

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { visitor: { type: 'string' }, site: { type: 'string' }, cookie: { type: 'string' }, before: { type: 'string' }, by: { type: 'string' } })
  const [action] = positionals
  const by = values.by ?? 'dpo'
  if (action === 'anonymize') {
    if (!values.before || !isDay(values.before)) throw new UsageError(`usage: cairn privacy anonymize --before YYYY-MM-DD (a real day from ${FIRST_DAY} to ${LAST_DAY})`)
    const months = await withStorage(config, (storage) => anonymizeBefore(storage, `${values.before} 00:00:00`, by, config.clickhouseCluster))
    process.stdout.write(`data before ${values.before} is anonymised (${months} month partitions rewritten)\n`)
    return
  }
  if (action !== 'export' && action !== 'erase' && action !== 'restrict') throw new UsageError(`Usage:\n${usage}`)
  const sites = values.site ? [values.site] : config.sites
  let keys: VisitorKey[]
  if (values.cookie) {
    // The cookie's id, even from an expired cookie: the visitor asks about data already stored.
    const id = /^([0-9a-f]{32})\./.exec(values.cookie.replace(/^cairn_id=/, ''))?.[1]
    if (!id) throw new UsageError('--cookie must be the value of the cairn_id cookie, like 3f2a…e1.1767225600')
    keys = sites.map((site) => ({ site, visitorId: cookieVisitorId(site, { id, depositedAt: 0 }) }))
  } else if (values.visitor && /^\d{1,20}$/.test(values.visitor)) {
    keys = sites.map((site) => ({ site, visitorId: values.visitor! }))
  } else throw new UsageError('give --visitor ID (a number, from the visitor\'s export) or --cookie VALUE')
  await withStorage(config, async (storage) => {
    if (action === 'export') {
      process.stdout.write(JSON.stringify(await exportVisitor(storage, keys), null, 2) + '\n')
      await record(storage, 'export', keys, by)
    } else if (action === 'erase') await eraseVisitor(storage, keys, by, config.clickhouseCluster)
    else await restrictVisitor(storage, keys, by)
  })
  if (action !== 'export') process.stderr.write(`${action === 'erase' ? 'erased' : 'restricted'}: ${keys.map((k) => `${k.site} ${k.visitorId}`).join(', ')}\n`)
}
