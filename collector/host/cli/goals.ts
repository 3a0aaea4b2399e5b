/** `cairn goals`: what a site counts as conversions, through the admin API. */
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, integerFlag, parse, say, usageOf, type Usage } from './args.ts'

export const usage: Usage = [
  ['goals add --site SITE --event NAME [--prop KEY=VALUE] [--name N]', 'cli.usage.goalsAddEvent'],
  ['goals add --site SITE --page|--download|--outbound PATTERN [--name N]', 'cli.usage.goalsAddPattern'],
  ['goals add --site SITE --scroll PATH --percent P | --engaged PATH --seconds S', 'cli.usage.goalsAddDepth'],
  ['goals list --site SITE', 'cli.usage.goalsList'],
  ['goals remove --site SITE ID', 'cli.usage.goalsRemove'],
]

type Goal = { id: string; name: string; kind: string; event_name?: string; prop_key?: string; prop_value?: string; pattern?: string; threshold?: number }

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, {
    site: { type: 'string' },
    name: { type: 'string' },
    event: { type: 'string' },
    prop: { type: 'string' },
    page: { type: 'string' },
    download: { type: 'string' },
    outbound: { type: 'string' },
    scroll: { type: 'string' },
    percent: { type: 'string' },
    engaged: { type: 'string' },
    seconds: { type: 'string' },
  })
  const [sub, id] = positionals
  if (!values.site) throw new UsageError(usageOf(usage))
  const path = `/api/sites/${encodeURIComponent(values.site)}/goals`
  if (sub === 'list') {
    const { goals } = await withApi(config, (api) => api.call<{ goals: Goal[] }>('GET', path))
    for (const g of goals) process.stdout.write(`${g.id}\t${g.name}\t${describe(g)}\n`)
    return
  }
  if (sub === 'remove' && id) {
    await withApi(config, (api) => api.call('DELETE', `${path}/${encodeURIComponent(id)}`))
    process.stdout.write(`${say('cli.goals.removed', { id })}\n`)
    return
  }
  if (sub !== 'add') throw new UsageError(usageOf(usage))
  const [key, ...value] = (values.prop ?? '').split('=')
  const body =
    values.event !== undefined ? { kind: 'event', event_name: values.event, ...(values.prop && { prop_key: key, prop_value: value.join('=') }) }
    : values.page !== undefined ? { kind: 'page', pattern: values.page }
    : values.download !== undefined ? { kind: 'download', pattern: values.download }
    : values.outbound !== undefined ? { kind: 'outbound', pattern: values.outbound }
    : values.scroll !== undefined ? { kind: 'scroll', pattern: values.scroll, threshold: integerFlag(values.percent, 'percent', 75, 1, 100) }
    : values.engaged !== undefined ? { kind: 'engagement', pattern: values.engaged, threshold: integerFlag(values.seconds, 'seconds', 30, 1, 3600) }
    : undefined
  if (!body) throw new UsageError(usageOf(usage))
  const goal = await withApi(config, (api) => api.call<Goal>('POST', path, { ...body, ...(values.name && { name: values.name }) }))
  process.stdout.write(`${say('cli.goals.added', { id: goal.id, name: goal.name, site: values.site })}\n`)
}

/** A goal's definition on one line. */
function describe(g: Goal): string {
  if (g.kind === 'event') return `event ${g.event_name}${g.prop_key ? ` ${g.prop_key}=${g.prop_value}` : ''}`
  return `${g.kind} ${g.pattern || '*'}${g.threshold ? ` ${g.threshold}${g.kind === 'scroll' ? '%' : 's'}` : ''}`
}
