/**
 * The sites Cairn counts, kept in `cairn.sites` so they change while Cairn runs: what a site is, what its
 * rules mean, and `SiteList`, the copy each process keeps and reads again every few seconds.
 */
import { BlockList, isIP } from 'node:net'
import type { Storage } from './client.ts'
import { alterTarget } from './cluster.ts'
import { VISITOR_TABLES } from './privacy.ts'
import { dropRollups } from './rollups.ts'
import { nextVersion } from './version.ts'

export interface Site {
  /** The domain, lower case, without `www.`: the site's name everywhere. */
  site: string
  timeZone: string
  /** Other hosts whose pages count for this site. */
  domains: string[]
  /** Path patterns whose events are dropped: `*` within a segment, `**` across segments. */
  excludePaths: string[]
  /** Address ranges (CIDR) whose events are dropped, compared with the address after truncation. */
  excludeRanges: string[]
}

/** How often each process reads the table again: the delay before another collector's change applies. */
export const SITES_REFRESH_MS = 5_000

/** `www.` is stripped as Plausible does, so `www.example.com` and `example.com` are one site. */
export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/^www\./, '')
}

export const isDomain = (domain: string) => /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:\d{1,5})?$/.test(domain) && !domain.includes('..')

/** A path pattern as a regular expression on the whole path. */
export function pathPattern(pattern: string): RegExp {
  const body = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${body}$`)
}

export const isPathPattern = (pattern: string) => pattern.startsWith('/') && pattern.length <= 500 && !/\s/.test(pattern)

/** `203.0.113.0/24` → its address, prefix and family; undefined when it is not a range. */
export function parseRange(range: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits, extra] = range.trim().split('/')
  const version = isIP(address)
  const prefix = Number(bits ?? (version === 4 ? 32 : 128))
  if (version === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (version === 4 ? 32 : 128)) return undefined
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' }
}

/** Whether a (truncated) address falls in one of the ranges. */
export function rangeMatcher(ranges: string[]): (address: string) => boolean {
  if (ranges.length === 0) return () => false
  const list = new BlockList()
  for (const range of ranges) {
    const parsed = parseRange(range)
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family)
  }
  return (address) => {
    const version = isIP(address)
    return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6')
  }
}

interface Row {
  site: string
  time_zone: string
  domains: string[]
  exclude_paths: string[]
  exclude_ranges: string[]
}

const toSite = (r: Row): Site => ({ site: r.site, timeZone: r.time_zone, domains: r.domains, excludePaths: r.exclude_paths, excludeRanges: r.exclude_ranges })

export async function readSites(storage: Storage): Promise<Site[]> {
  const result = await storage.query({
    query: 'SELECT site, time_zone, domains, exclude_paths, exclude_ranges FROM cairn.sites FINAL WHERE NOT deleted ORDER BY created_at, site',
    format: 'JSONEachRow',
  })
  return (await result.json<Row>()).map(toSite)
}

export async function saveSite(storage: Storage, site: Site): Promise<void> {
  await storage.insert({
    table: 'cairn.sites',
    values: [{ site: site.site, time_zone: site.timeZone, domains: site.domains, exclude_paths: site.excludePaths, exclude_ranges: site.excludeRanges, version: nextVersion() }],
    format: 'JSONEachRow',
  })
}

export async function deleteSite(storage: Storage, site: string): Promise<void> {
  await storage.insert({ table: 'cairn.sites', values: [{ site, time_zone: 'UTC', domains: [], exclude_paths: [], exclude_ranges: [], deleted: true, version: nextVersion() }], format: 'JSONEachRow' })
}

/** A removed site's events, visits and rollups, deleted from the disk (a mutation, waited for); the rights-request log stays. */
export async function eraseSiteData(storage: Storage, site: string, cluster?: string): Promise<void> {
  for (const table of VISITOR_TABLES) {
    await storage.command({ query: `ALTER TABLE ${alterTarget(table, cluster)} DELETE WHERE site = {site:String}`, query_params: { site }, clickhouse_settings: { mutations_sync: '2' } })
  }
  await dropRollups(storage, [site], cluster)
}

/**
 * CAIRN_SITES at start: each site the table has never held is created. A site edited or removed in the
 * dashboard stays as it was made there: the database wins over the environment.
 */
export async function seedSites(storage: Storage, seeds: { site: string; timeZone: string }[]): Promise<string[]> {
  const result = await storage.query({ query: 'SELECT DISTINCT site FROM cairn.sites', format: 'JSONEachRow' })
  const known = new Set((await result.json<{ site: string }>()).map((r) => r.site))
  const created: string[] = []
  for (const seed of seeds) {
    if (known.has(seed.site)) continue
    await saveSite(storage, { site: seed.site, timeZone: seed.timeZone, domains: [], excludePaths: [], excludeRanges: [] })
    created.push(seed.site)
  }
  return created
}

/**
 * The sites as this process knows them: read at start, again every SITES_REFRESH_MS (changes made by
 * other processes), and at once after a change made here.
 */
export class SiteList {
  private sites = new Map<string, Site>()
  /** Each host (a site's domain or an extra domain) → the site it counts for. */
  private hosts = new Map<string, string>()
  private timer: NodeJS.Timeout | undefined
  /** The refresh in flight, awaited by stop(): closing the engine under a running query crashes it. */
  private running: Promise<void> = Promise.resolve()
  private listeners: (() => void)[] = []

  constructor(private readonly storage: Storage) {}

  async refresh(): Promise<void> {
    const sites = await readSites(this.storage)
    this.sites = new Map(sites.map((s) => [s.site, s]))
    this.hosts = new Map()
    for (const s of sites) for (const host of [s.site, ...s.domains]) if (!this.hosts.has(host)) this.hosts.set(host, s.site)
    for (const listener of this.listeners) listener()
  }

  /** Reads the table every SITES_REFRESH_MS until `stop()`; a failed read keeps the last list. */
  start(onError: (error: Error) => void): void {
    this.timer = setInterval(() => (this.running = this.refresh().catch(onError)), SITES_REFRESH_MS)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }

  /** Called after every refresh (ingest rebuilds its matchers). */
  onChange(listener: () => void): void {
    this.listeners.push(listener)
  }

  all(): Site[] {
    return [...this.sites.values()]
  }

  get(site: string): Site | undefined {
    return this.sites.get(site)
  }

  has(site: string): boolean {
    return this.sites.has(site)
  }

  /** The site a host's events count for: its own, or the site that lists it as an extra domain. */
  siteOf(host: string): string | undefined {
    return this.hosts.get(host)
  }

  /** Every host whose pages may send events (CORS): sites and their extra domains. */
  allHosts(): string[] {
    return [...this.hosts.keys()]
  }

  async save(site: Site): Promise<void> {
    await saveSite(this.storage, site)
    await this.refresh()
  }

  async remove(site: string): Promise<void> {
    await deleteSite(this.storage, site)
    await this.refresh()
  }
}
