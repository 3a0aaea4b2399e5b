/** `cairn sites`: the sites Cairn counts, added and removed while it runs, through the admin API. */
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, parse, say, usageOf, type Usage } from './args.ts'

export const usage: Usage = [
  ['sites add DOMAIN [--timezone ZONE] [--domain HOST]… [--exclude-path P]… [--exclude-range CIDR]…', 'cli.usage.sitesAdd'],
  ['sites list', 'cli.usage.sitesList'],
  ['sites remove DOMAIN --confirm DOMAIN [--erase]', 'cli.usage.sitesRemove'],
]

type Site = { site: string; timezone: string; domains?: string[]; exclude_paths?: string[]; exclude_ranges?: string[] }

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, {
    timezone: { type: 'string' },
    domain: { type: 'string', multiple: true },
    'exclude-path': { type: 'string', multiple: true },
    'exclude-range': { type: 'string', multiple: true },
    confirm: { type: 'string' },
    erase: { type: 'boolean' },
  })
  const [sub, domain] = positionals
  if (sub === 'list') {
    const { sites } = await withApi(config, (api) => api.call<{ sites: Site[] }>('GET', '/api/sites'))
    for (const s of sites) {
      const rules = [...(s.domains ?? []), ...(s.exclude_paths ?? []).map((p) => `-${p}`), ...(s.exclude_ranges ?? []).map((r) => `-${r}`)]
      process.stdout.write(`${s.site}\t${s.timezone}${rules.length > 0 ? `\t${rules.join(' ')}` : ''}\n`)
    }
    return
  }
  if (sub === 'remove' && domain) {
    // Typed twice, as in the dashboard: a removal stops the site's analytics.
    if (values.confirm !== domain) throw new UsageError(say('cli.sites.confirm', { site: domain }))
    await withApi(config, (api) => api.call('DELETE', `/api/sites/${encodeURIComponent(domain)}`, { confirm: domain, erase: values.erase === true }))
    process.stdout.write(`${say('cli.sites.removed', { site: domain, erased: values.erase === true })}\n`)
    return
  }
  if (sub !== 'add' || !domain) throw new UsageError(usageOf(usage))
  const site = await withApi(config, (api) =>
    api.call<Site>('POST', '/api/sites', {
      site: domain,
      timezone: values.timezone ?? 'UTC',
      domains: values.domain ?? [],
      exclude_paths: values['exclude-path'] ?? [],
      exclude_ranges: values['exclude-range'] ?? [],
    }),
  )
  process.stdout.write(`${say('cli.sites.added', { site: site.site, timeZone: site.timezone, snippet: `<script defer data-site="${site.site}" src="http://localhost:${config.port}/cairn.js"></script>` })}\n`)
}
