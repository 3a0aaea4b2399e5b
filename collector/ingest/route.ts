/**
 * `POST /api/event`: validate, identify, sessionize and queue one event (or one per domain in a fan-out).
 *
 * The one route served by plain node:http rather than Hono: it is the hot path, and building a web
 * Request (headers, body stream) and Response for every beacon was ~60 % of the profile; going around
 * them took bench/ingest.ts from 2,900 to 7,200 events/s. The client address is truncated first, before
 * anything else reads the request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { MAX_BODY_BYTES, parseEvent, type IncomingEvent } from './body.ts'
import type { EventWriter } from './writer.ts'
import { clickhouseTime } from './row.ts'
import { exclusions, originOfSites } from './sites.ts'
import type { SiteList } from '../../sql/sites.ts'
import type { CountryLookup } from './geo.ts'
import { clientAddress, isSecure, truncateIp, type HeaderOf } from './address.ts'
import type { Salts } from './salts.ts'
import type { Attribution, Sessions } from './sessions.ts'
import { sourceFromReferrer, sourceFromUtm } from './sources.ts'
import { BOT, type UserAgentParser } from './user-agent.ts'
import { COOKIE_NAME, cookieVisitorId, cookielessVisitorId, decideIdentity, expiredCookie } from './visitor.ts'
import type { Counters } from './counters.ts'
import type { RateLimiter } from './rate-limit.ts'
import type { Log } from './log.ts'
import { visitorKey } from '../../sql/privacy.ts'

export interface EventRouteDeps {
  settings: IngestSettings
  now: () => number
  salts: Salts
  sessions: Sessions
  writer: EventWriter
  userAgents: UserAgentParser
  countries: CountryLookup
  counters: Counters
  /** Visitors (by sql/privacy.ts's visitorKey) who asked that their data no longer be processed. */
  restricted: Set<string>
  rateLimiter: RateLimiter
  /** The sites, as changed in the dashboard or by another collector. */
  sites: SiteList
  /** Past this many events waiting for ClickHouse, new ones are refused with 503 rather than accepted. */
  maxQueued: number
  log: Log
}

/** What ingest needs of the configuration (the host's Config has it all). */
export interface IngestSettings {
  trustProxy: number
  ipv4Prefix: 16 | 24
  ipv6Prefix: 32 | 48
  cookieDays: number
}

export const EVENT_PATH = '/api/event'

type Headers = Record<string, string | string[]>

/** The answer to one request: status, headers, and a JSON body for refusals. */
interface Answer {
  status: number
  headers?: Headers
  json?: unknown
}

/** A node:http request listener for `POST` and `OPTIONS /api/event`. */
export function eventRoute(deps: EventRouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { settings: config, counters } = deps
  const { sites } = deps
  let allowedOrigin = originOfSites(sites.allHosts())
  sites.onChange(() => (allowedOrigin = originOfSites(sites.allHosts())))
  const excluded = exclusions(sites)

  return (req, res) => {
    const header: HeaderOf = (name) => {
      const value = req.headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    }
    const ip = truncateIp(clientAddress(req.socket.remoteAddress, header, config.trustProxy), config.ipv4Prefix, config.ipv6Prefix)
    const origin = header('origin')
    const cors: Headers = { vary: 'Origin' }
    const allowed = origin === undefined ? null : allowedOrigin(origin)
    if (allowed) Object.assign(cors, { 'access-control-allow-origin': allowed, 'access-control-allow-credentials': 'true' })
    const answer = (a: Answer) => {
      const headers = { ...cors, ...a.headers }
      if (a.json === undefined) res.writeHead(a.status, headers).end()
      else res.writeHead(a.status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(a.json))
    }

    if (req.method === 'OPTIONS') {
      if (allowed) Object.assign(cors, { 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'Content-Type', 'access-control-max-age': '86400' })
      return answer({ status: 204 })
    }
    if (req.method !== 'POST') return answer({ status: 405, headers: { allow: 'POST, OPTIONS' }, json: { error: 'use POST' } })
    const type = (header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/json' && type !== 'text/plain') {
      counters.drop('invalid')
      return answer({ status: 415, json: { errors: { 'content-type': 'must be application/json or text/plain' } } })
    }
    readBody(req, MAX_BODY_BYTES).then(
      (body) => {
        if (body === undefined) {
          counters.drop('body_too_large')
          // The rest of the body is not read: the connection goes once the answer is out.
          return answer({ status: 413, headers: { connection: 'close' }, json: { errors: { body: `must be at most ${MAX_BODY_BYTES} bytes` } } })
        }
        handle(body, header, ip).then(answer, (error: Error) => {
          deps.log.error(`unhandled error on POST ${EVENT_PATH}: ${error.message}`)
          answer({ status: 500, json: { error: 'internal error' } })
        })
      },
      () => req.destroy(), // the client went away mid-body
    )
  }

  async function handle(text: string, header: HeaderOf, ip: string): Promise<Answer> {
    const parsed = parseEvent(text)
    if ('errors' in parsed) {
      counters.drop('invalid')
      return { status: 400, json: { errors: parsed.errors } }
    }
    const event = parsed.event
    const unknown = event.domains.filter((d) => sites.siteOf(d) === undefined)
    if (unknown.length > 0) {
      counters.drop('unknown_site')
      return { status: 403, json: { errors: { domain: `${unknown.join(', ')} is not a site of this Cairn; add it in the dashboard's settings or with cairn sites add` } } }
    }
    // An extra domain counts for its site; two names of one site in one event count once.
    const eventSites = [...new Set(event.domains.map((d) => sites.siteOf(d)!))]
    if (deps.writer.queued >= deps.maxQueued) {
      counters.drop('spool_full')
      return { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) }, json: { error: 'the analytics database is not keeping up; retry later' } }
    }
    const wait = eventSites.reduce((longest, site) => Math.max(longest, deps.rateLimiter.take(`${ip}\0${site}`)), 0)
    if (wait > 0) {
      counters.drop('rate_limited')
      return { status: 429, headers: { 'retry-after': String(wait) }, json: { error: 'too many events from this network for this site; retry later' } }
    }
    const userAgent = header('user-agent') ?? ''
    const client = deps.userAgents.parse(userAgent, header)
    if (client === BOT) {
      counters.drop('bot')
      return dropped('bot')
    }

    const nowMs = deps.now()
    const secure = isSecure('http:', header('x-forwarded-proto'), config.trustProxy > 0)
    const identity = decideIdentity({
      consent: event.consent,
      optOutSignal: header('sec-gpc') === '1' || header('dnt') === '1',
      cookieValue: cookieValue(header('cookie')),
      secure,
      nowMs,
      lifetimeDays: config.cookieDays,
    })
    const setCookie =
      identity.kind === 'cookie' && identity.setCookie ? identity.setCookie : identity.kind === 'cookieless' && identity.expireCookie ? expiredCookie(secure) : undefined

    const country = deps.countries.country(ip)
    const salts = identity.kind === 'cookieless' ? await deps.salts.current() : undefined
    const timestamp = clickhouseTime(nowMs)
    let queued = 0
    let excludedCount = 0
    for (const site of eventSites) {
      if (excluded(site, decodePath(event.url.pathname), ip)) {
        excludedCount++
        continue
      }
      const visitorId =
        identity.kind === 'cookie' ? cookieVisitorId(site, identity.cookie) : cookielessId(deps.sessions, salts!, site, ip, userAgent, nowMs)
      if (deps.restricted.has(visitorKey(site, visitorId))) continue
      // An engagement report only extends a visit; alone it is no visit (Plausible does the same).
      if (event.name === 'engagement' && !deps.sessions.find(site, visitorId, nowMs)) continue
      const page = pageFields(event, site)
      const session = deps.sessions.touch(site, visitorId, nowMs, page.source)
      const source = session.source
      // One literal of fixed shape (no spreads): the cheapest object to build and to serialise.
      deps.writer.push({
        site,
        timestamp,
        name: event.name,
        visitor_id: visitorId,
        session_id: session.id,
        session_start: session.startMs === nowMs ? timestamp : clickhouseTime(session.startMs),
        consent: identity.kind === 'cookie',
        interactive: event.interactive,
        hostname: page.hostname,
        pathname: page.pathname,
        referrer: source.referrer,
        referrer_source: source.referrer_source,
        utm_source: source.utm_source,
        utm_medium: source.utm_medium,
        utm_campaign: source.utm_campaign,
        utm_content: source.utm_content,
        utm_term: source.utm_term,
        link_url: event.linkUrl,
        browser: client.browser,
        browser_version: client.browser_version,
        os: client.os,
        os_version: client.os_version,
        device: client.device,
        country_code: country,
        ip_truncated: ip,
        props: event.props,
        engagement_ms: event.engagementMs,
        scroll_depth: event.scrollDepth,
      })
      queued++
    }
    const headers: Headers = setCookie ? { 'set-cookie': setCookie } : {}
    if (queued === 0) {
      const reason = excludedCount > 0 ? 'excluded' : event.name === 'engagement' ? 'engagement_without_session' : 'restricted'
      counters.drop(reason)
      return { ...dropped(reason), headers: { ...headers, 'x-cairn-dropped': reason } }
    }
    // Acknowledged once on disk: a crash after this loses nothing.
    const failure = await new Promise<Error | undefined>((resolve) => deps.writer.whenDurable(resolve))
    if (failure) {
      deps.log.error(`writing the spool failed: ${failure.message}`)
      counters.drop('spool_unwritable')
      return { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) }, json: { error: 'the collector cannot write its spool; retry later' } }
    }
    counters.accept(queued)
    return { status: 202, headers }
  }
}

/** What a 503 asks the sender to wait; the tracker retries once, after as long. */
export const RETRY_AFTER_SECONDS = 10

/** Dropped on purpose (bots, stray engagement): the sender did nothing wrong, so 202, with the reason for debugging. */
function dropped(reason: string): Answer {
  return { status: 202, headers: { 'x-cairn-dropped': reason } }
}

/** The body as text, or undefined past `max` bytes (announced or sent). */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  if (Number(req.headers['content-length']) > max) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        req.removeAllListeners('data')
        req.pause()
        resolve(undefined)
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')))
    req.on('error', reject)
  })
}

/** The visitor cookie's value from a Cookie header. */
function cookieValue(cookies: string | undefined): string | undefined {
  if (!cookies) return undefined
  for (const pair of cookies.split(';')) {
    const eq = pair.indexOf('=')
    if (eq > 0 && pair.slice(0, eq).trim() === COOKIE_NAME) return pair.slice(eq + 1).trim()
  }
  return undefined
}

/** Cookieless ids change at midnight UTC; a visit that started on yesterday's salt keeps yesterday's id. */
function cookielessId(sessions: Sessions, salts: { today: Buffer; yesterday: Buffer | undefined }, site: string, ip: string, ua: string, nowMs: number): string {
  const today = cookielessVisitorId(salts.today, site, ip, ua)
  if (!salts.yesterday || sessions.find(site, today, nowMs)) return today
  const yesterday = cookielessVisitorId(salts.yesterday, site, ip, ua)
  return sessions.find(site, yesterday, nowMs) ? yesterday : today
}

/** Where on the site the event happened, and the attribution it would give a new visit. */
interface PageFields {
  hostname: string
  pathname: string
  source: Attribution
}

const NO_QUERY = new URLSearchParams()

function pageFields(event: IncomingEvent, site: string): PageFields {
  const { url, referrer } = event
  const query = url.search ? url.searchParams : NO_QUERY
  const hostname = url.hostname.replace(/^www\./, '')
  const utmSource = query.get('utm_source') ?? query.get('ref') ?? query.get('source') ?? ''
  const referrerSource = sourceFromReferrer(referrer, site, hostname)
  return {
    hostname,
    pathname: decodePath(url.pathname) + (event.hashMode ? url.hash : ''),
    source: {
      // Host and path only: a referrer's query string can carry tokens and personal data.
      referrer: referrer && referrerSource ? `${referrer.hostname}${referrer.pathname === '/' ? '' : referrer.pathname}` : '',
      referrer_source: utmSource ? sourceFromUtm(utmSource) : referrerSource,
      utm_source: query.get('utm_source') ?? '',
      utm_medium: query.get('utm_medium') ?? '',
      utm_campaign: query.get('utm_campaign') ?? '',
      utm_content: query.get('utm_content') ?? '',
      utm_term: query.get('utm_term') ?? '',
    },
  }
}

function decodePath(path: string): string {
  if (!path.includes('%')) return path
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

