/** The sites this Cairn counts: how a domain is written, and which page origins belong to them. */

/** `www.` is stripped as Plausible does, so `www.example.com` and `example.com` are one site. */
export function normalizeSite(domain: string): string {
  return domain.trim().toLowerCase().replace(/^www\./, '')
}

/** CORS: the configured sites and their subdomains, which may send credentials (the visitor cookie). */
export function originOfSites(sites: string[]): (origin: string) => string | null {
  const hosts = sites.map((site) => ({ exact: site.replace(/:\d+$/, ''), suffix: `.${site}` }))
  return (origin) => {
    const host = URL.parse(origin)?.hostname.replace(/^www\./, '') ?? ''
    return hosts.some(({ exact, suffix }) => host === exact || host.endsWith(suffix)) ? origin : null
  }
}
