/** `POST /api/event`: validate, identify, sessionize and queue one event (or one per domain in a fan-out). */
import { randomUUID } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { getCookie } from 'hono/cookie'
import { cors } from 'hono/cors'
import type { Config } from '../config.ts'
import { MAX_BODY_BYTES, parseEvent, type IncomingEvent } from '../event-body.ts'
import type { EventRow, EventWriter } from '../event-writer.ts'
import type { CountryLookup } from '../geo.ts'
import type { Salts } from '../salts.ts'
import { ATTRIBUTION_COLUMNS, type Attribution, type Sessions } from '../sessions.ts'
import { sourceFromReferrer, sourceFromUtm } from '../sources.ts'
import { isBot, type UserAgentParser } from '../user-agent.ts'
import { COOKIE_NAME, cookieVisitorId, cookielessVisitorId, decideIdentity, expiredCookie } from '../visitor.ts'
import type { Counters } from '../counters.ts'
import type { RateLimiter } from '../rate-limit.ts'
import type { CollectorEnv } from '../truncated-ip.ts'

export interface EventRouteDeps {
  config: Config
  now: () => number
  salts: Salts
  sessions: Sessions
  writer: EventWriter
  userAgents: UserAgentParser
  countries: CountryLookup
  counters: Counters
  /** `${site}\0${visitor_id}` of visitors who asked that their data no longer be processed. */
  restricted: Set<string>
  rateLimiter: RateLimiter
  /** Past this many events waiting for ClickHouse, new ones are refused with 503 rather than held in memory. */
  maxQueued: number
}

/** CORS: the configured sites and their subdomains, which may send credentials (the visitor cookie). */
export function originOfSites(sites: string[]): (origin: string) => string | null {
  return (origin) => {
    const host = URL.canParse(origin) ? new URL(origin).hostname.replace(/^www\./, '') : ''
    return sites.some((site) => host === site.replace(/:\d+$/, '') || host.endsWith(`.${site}`)) ? origin : null
  }
}

export function eventRoute(deps: EventRouteDeps): Hono<CollectorEnv> {
  const { config, counters } = deps
  const sites = new Set(config.sites)
  const allowedOrigin = originOfSites(config.sites)
  const app = new Hono<CollectorEnv>()

  app.use('/api/event', cors({ origin: allowedOrigin, credentials: true, allowMethods: ['POST'], allowHeaders: ['Content-Type'], maxAge: 86_400 }))

  app.post(
    '/api/event',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        counters.drop('body_too_large')
        return c.json({ errors: { body: `must be at most ${MAX_BODY_BYTES} bytes` } }, 413)
      },
    }),
    async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
      if (type !== 'application/json' && type !== 'text/plain') {
        counters.drop('invalid')
        return c.json({ errors: { 'content-type': 'must be application/json or text/plain' } }, 415)
      }
      const parsed = parseEvent(await c.req.text())
      if ('errors' in parsed) {
        counters.drop('invalid')
        return c.json({ errors: parsed.errors }, 400)
      }
      const event = parsed.event
      const unknown = event.domains.filter((d) => !sites.has(d))
      if (unknown.length > 0) {
        counters.drop('unknown_site')
        return c.json({ errors: { domain: `${unknown.join(', ')} is not a site of this Cairn; add it to CAIRN_SITES` } }, 403)
      }
      if (deps.writer.queued >= deps.maxQueued) {
        counters.drop('spool_full')
        c.header('Retry-After', '30')
        return c.json({ error: 'the analytics database is not keeping up; retry later' }, 503)
      }
      const wait = event.domains.reduce((longest, site) => Math.max(longest, deps.rateLimiter.take(`${c.get('ipTruncated')}\0${site}`)), 0)
      if (wait > 0) {
        counters.drop('rate_limited')
        c.header('Retry-After', String(wait))
        return c.json({ error: 'too many events from this network for this site; retry later' }, 429)
      }
      const userAgent = c.req.header('user-agent') ?? ''
      if (isBot(userAgent)) {
        counters.drop('bot')
        return dropped(c, 'bot')
      }

      const nowMs = deps.now()
      const secure = isSecure(c.req.url, c.req.header('x-forwarded-proto'), config.trustProxy > 0)
      const identity = decideIdentity({
        consent: event.consent,
        optOutSignal: c.req.header('sec-gpc') === '1' || c.req.header('dnt') === '1',
        cookieValue: getCookie(c, COOKIE_NAME),
        secure,
        nowMs,
        lifetimeDays: config.cookieDays,
      })
      if (identity.kind === 'cookie' && identity.setCookie) c.header('Set-Cookie', identity.setCookie, { append: true })
      if (identity.kind === 'cookieless' && identity.expireCookie) c.header('Set-Cookie', expiredCookie(secure), { append: true })

      const ip = c.get('ipTruncated')
      const client = deps.userAgents.parse(userAgent, c.req.raw.headers)
      const country = deps.countries.country(ip)
      const salts = identity.kind === 'cookieless' ? await deps.salts.current() : undefined
      let queued = 0
      for (const site of event.domains) {
        const visitorId =
          identity.kind === 'cookie'
            ? cookieVisitorId(site, identity.cookie)
            : cookielessId(deps.sessions, salts!, site, ip, userAgent, nowMs)
        if (deps.restricted.has(`${site}\0${visitorId}`)) continue
        // An engagement report only extends a visit; alone it is no visit (Plausible does the same).
        if (event.name === 'engagement' && !deps.sessions.find(site, visitorId, nowMs)) continue
        const page = pageFields(event, site)
        const session = deps.sessions.touch(site, visitorId, nowMs, attribution(page))
        deps.writer.push({
          ...page,
          ...session.source,
          event_id: randomUUID(),
          site,
          timestamp: clickhouseTime(nowMs),
          name: event.name,
          visitor_id: visitorId,
          session_id: session.id,
          session_start: clickhouseTime(session.startMs),
          consent: identity.kind === 'cookie',
          interactive: event.interactive,
          link_url: event.linkUrl,
          ...client,
          country_code: country,
          ip_truncated: ip,
          props: event.props,
          engagement_ms: event.engagementMs,
          scroll_depth: event.scrollDepth,
        })
        queued++
      }
      if (queued === 0) {
        const reason = event.name === 'engagement' ? 'engagement_without_session' : 'restricted'
        counters.drop(reason)
        return dropped(c, reason)
      }
      counters.accept(queued)
      return c.body(null, 202)
    },
  )
  return app
}

/** Dropped on purpose (bots, stray engagement): the sender did nothing wrong, so 202, with the reason for debugging. */
function dropped(c: Context<CollectorEnv>, reason: string) {
  c.header('X-Cairn-Dropped', reason)
  return c.body(null, 202)
}

/** Cookieless ids change at midnight UTC; a visit that started on yesterday's salt keeps yesterday's id. */
function cookielessId(sessions: Sessions, salts: { today: Buffer; yesterday: Buffer | undefined }, site: string, ip: string, ua: string, nowMs: number): string {
  const today = cookielessVisitorId(salts.today, site, ip, ua)
  if (!salts.yesterday || sessions.find(site, today, nowMs)) return today
  const yesterday = cookielessVisitorId(salts.yesterday, site, ip, ua)
  return sessions.find(site, yesterday, nowMs) ? yesterday : today
}

type PageFields = Pick<EventRow, 'hostname' | 'pathname' | 'referrer' | 'referrer_source' | 'utm_source' | 'utm_medium' | 'utm_campaign' | 'utm_content' | 'utm_term'>

function pageFields(event: IncomingEvent, site: string): PageFields {
  const { url, referrer } = event
  const query = url.searchParams
  const hostname = url.hostname.replace(/^www\./, '')
  const utmSource = query.get('utm_source') ?? query.get('ref') ?? query.get('source') ?? ''
  const referrerSource = sourceFromReferrer(referrer, site, hostname)
  return {
    hostname,
    pathname: decodePath(url.pathname) + (event.hashMode ? url.hash : ''),
    // Host and path only: a referrer's query string can carry tokens and personal data.
    referrer: referrer && referrerSource ? `${referrer.hostname}${referrer.pathname === '/' ? '' : referrer.pathname}` : '',
    referrer_source: utmSource ? sourceFromUtm(utmSource) : referrerSource,
    utm_source: query.get('utm_source') ?? '',
    utm_medium: query.get('utm_medium') ?? '',
    utm_campaign: query.get('utm_campaign') ?? '',
    utm_content: query.get('utm_content') ?? '',
    utm_term: query.get('utm_term') ?? '',
  }
}

function attribution(page: PageFields): Attribution {
  return Object.fromEntries(ATTRIBUTION_COLUMNS.map((c) => [c, page[c]])) as unknown as Attribution
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

export function isSecure(requestUrl: string, forwardedProto: string | undefined, trustProxy: boolean): boolean {
  if (trustProxy && forwardedProto) return forwardedProto.split(',')[0]!.trim() === 'https'
  return requestUrl.startsWith('https:')
}

export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23)
}

