/** Which sites an event is for, which page origins may send events, and which events a site excludes. */
import { pathPattern, rangeMatcher, type SiteList } from '../../sql/sites.ts'

/** CORS: the sites' hosts and their subdomains, which may send credentials (the visitor cookie). */
export function originOfSites(hosts: string[]): (origin: string) => string | null {
  const list = hosts.map((host) => ({ exact: host.replace(/:\d+$/, ''), suffix: `.${host}` }))
  return (origin) => {
    const host = URL.parse(origin)?.hostname.replace(/^www\./, '') ?? ''
    return list.some(({ exact, suffix }) => host === exact || host.endsWith(suffix)) ? origin : null
  }
}

/** Whether a site's rules exclude an event (its path, or the visitor's truncated address), rebuilt when the sites change. */
export function exclusions(sites: SiteList): (site: string, pathname: string, ip: string) => boolean {
  let rules = new Map<string, { paths: RegExp[]; inRange: (ip: string) => boolean }>()
  const build = () => {
    rules = new Map(
      sites
        .all()
        .filter((s) => s.excludePaths.length > 0 || s.excludeRanges.length > 0)
        .map((s) => [s.site, { paths: s.excludePaths.map(pathPattern), inRange: rangeMatcher(s.excludeRanges) }]),
    )
  }
  build()
  sites.onChange(build)
  return (site, pathname, ip) => {
    const rule = rules.get(site)
    return rule !== undefined && (rule.inRange(ip) || rule.paths.some((p) => p.test(pathname)))
  }
}
