/**
 * Sites, added, edited and removed while Cairn runs (docs/admin-api.md): admins of every site add and
 * remove them, a site's admins edit its time zone, domains and exclusions.
 */
import { Hono } from 'hono'
import type { Storage } from '../../../sql/client.ts'
import { eraseSiteData, isDomain, isPathPattern, normalizeDomain, parseRange, type Site, type SiteList } from '../../../sql/sites.ts'
import { authorize, canAdmin, canRead, type Principal } from '../auth/access.ts'
import { HttpError, invalid, unauthenticated, type Said } from '../http-error.ts'
import { jsonBody as body } from '../params.ts'
import { isTimeZone } from '../range.ts'

export interface SitesRouteOptions {
  storage: Storage
  sites: SiteList
  /** The bits of an address Cairn keeps: a range narrower than that can never match. */
  truncation: { ipv4: number; ipv6: number }
  cookieDays: number
  retentionMonths: number
  cluster: string | undefined
  now: () => number
  /** Writes the events accepted so far, so an erasure reaches those still queued. */
  flush: () => Promise<void>
}

type Env = { Variables: { principal: Principal | undefined } }

const MAX_RULES = 100

/** The public shape of a site; its rules only for those who administer it. */
export const siteJson = (s: Site, admin: boolean) => ({
  site: s.site,
  timezone: s.timeZone,
  admin,
  ...(admin && { domains: s.domains, exclude_paths: s.excludePaths, exclude_ranges: s.excludeRanges }),
})

export function sitesRoute(options: SitesRouteOptions): Hono<Env> {
  const { sites } = options
  const app = new Hono<Env>()

  /** The fields of a site given in a body, checked; every field at fault is named at once. */
  const fields = (input: Record<string, unknown>, site: string, errors: Record<string, Said> = {}): Partial<Site> => {
    const out: Partial<Site> = {}
    if ('timezone' in input) {
      if (typeof input.timezone === 'string' && isTimeZone(input.timezone)) out.timeZone = input.timezone
      else errors.timezone = ['api.field.timeZone', { value: String(input.timezone) }]
    }
    const list = (name: string, check: (value: string) => Said | undefined, normalize = (v: string) => v.trim()): string[] | undefined => {
      if (!(name in input)) return undefined
      const value = input[name]
      if (!Array.isArray(value) || value.length > MAX_RULES || value.some((v) => typeof v !== 'string')) {
        errors[name] = ['api.field.stringList', { max: MAX_RULES }]
        return undefined
      }
      const normalized = [...new Set((value as string[]).map(normalize).filter(Boolean))]
      for (const v of normalized) {
        const problem = check(v)
        if (problem) {
          errors[name] = problem
          return undefined
        }
      }
      return normalized
    }
    const domains = list('domains', (d) => (!isDomain(d) ? ['api.field.domain', { value: d }] : d === site ? ['api.field.ownDomain', { value: d }] : sites.siteOf(d) && sites.siteOf(d) !== site ? ['api.field.domainTaken', { value: d, site: sites.siteOf(d)! }] : undefined), normalizeDomain)
    const paths = list('exclude_paths', (p) => (isPathPattern(p) ? undefined : ['api.field.pathPattern', { value: p }]))
    const ranges = list('exclude_ranges', (r) => {
      const parsed = parseRange(r)
      if (!parsed) return ['api.field.range', { value: r }]
      const kept = parsed.family === 'ipv4' ? options.truncation.ipv4 : options.truncation.ipv6
      return parsed.prefix > kept ? ['api.field.rangeNarrow', { value: r, kept }] : undefined
    })
    if (domains) out.domains = domains
    if (paths) out.excludePaths = paths
    if (ranges) out.excludeRanges = ranges
    if (Object.keys(errors).length > 0) throw invalid(errors)
    return out
  }

  const principalOf = (c: { get(key: 'principal'): Principal | undefined }) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    return principal
  }
  const guard = (c: { get(key: 'principal'): Principal | undefined }, site: string, need: 'read' | 'admin') => authorize(c.get('principal'), site, need, (s) => sites.has(s))

  app.get('/api/sites', (c) => {
    const principal = principalOf(c)
    return c.json({
      // How long a consenting visitor's cookie lives and how long events are kept, for the screens' notes.
      cookie_days: options.cookieDays,
      retention_months: options.retentionMonths,
      can_add_sites: canAdmin(principal, '*'),
      sites: sites
        .all()
        .filter((s) => canRead(principal, s.site))
        .map((s) => siteJson(s, canAdmin(principal, s.site))),
    })
  })

  app.post('/api/sites', async (c) => {
    const principal = principalOf(c)
    if (!canAdmin(principal, '*')) throw new HttpError(403, ['api.forbidden.addSite'])
    const input = await body(c)
    const site = typeof input.site === 'string' ? normalizeDomain(input.site) : ''
    // Every field at fault is named at once, the domain with the others.
    const errors: Record<string, Said> = isDomain(site) ? {} : { site: ['api.field.domain', { value: String(input.site ?? '') }] }
    const given = fields(input, site, errors)
    if (sites.siteOf(site)) throw new HttpError(409, ['api.conflict.site', { site, owner: sites.siteOf(site)! }])
    const created: Site = { site, timeZone: 'UTC', domains: [], excludePaths: [], excludeRanges: [], ...given }
    await sites.save(created)
    return c.json(siteJson(created, true), 201)
  })

  app.patch('/api/sites/:site', async (c) => {
    const name = c.req.param('site')
    guard(c, name, 'admin')
    const changed: Site = { ...sites.get(name)!, ...fields(await body(c), name) }
    await sites.save(changed)
    return c.json(siteJson(changed, true))
  })

  app.delete('/api/sites/:site', async (c) => {
    const name = c.req.param('site')
    const principal = guard(c, name, 'read')
    if (!canAdmin(principal, '*')) throw new HttpError(403, ['api.forbidden.removeSite'])
    const input = await body(c)
    // Typed confirmation: a slip of the mouse cannot stop a site's analytics.
    if (input.confirm !== name) throw invalid({ confirm: ['api.field.confirm', { site: name }] })
    if ('erase' in input && typeof input.erase !== 'boolean') throw invalid({ erase: ['api.field.boolean'] })
    await sites.remove(name)
    if (input.erase === true) {
      // Ingest has stopped for the site; what it accepted before is written, then erased with the rest.
      await options.flush()
      await eraseSiteData(options.storage, name, options.cluster)
    }
    return c.json({ removed: name, erased: input.erase === true })
  })

  /** The installation check: has the tracker sent anything yet? */
  app.get('/api/sites/:site/status', async (c) => {
    const name = c.req.param('site')
    guard(c, name, 'admin')
    const result = await options.storage.query({
      query: `SELECT if(count() = 0, '', formatDateTime(max(timestamp), '%Y-%m-%dT%H:%i:%SZ', 'UTC')) AS last,
                     countIf(timestamp > fromUnixTimestamp64Milli({now:Int64}) - INTERVAL 1 DAY) AS day
              FROM cairn.events WHERE site = {site:String}`,
      query_params: { site: name, now: options.now() },
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ last: string; day: string }>()
    return c.json({ last_event_at: row?.last || null, events_24h: Number(row?.day ?? 0) })
  })

  return app
}
