/**
 * Validation of the `/api/event` body: Plausible's Events API (short or long field names) plus Cairn's
 * `c`/`consent`. Returns either a clean event or `{field: message}` errors naming every bad field.
 */
import { normalizeDomain } from '../../sql/sites.ts'

export interface IncomingEvent {
  name: string
  url: URL
  domains: string[]
  referrer: URL | undefined
  props: Record<string, string>
  /** For download and outbound events: the link's URL (downloads without query or fragment). */
  linkUrl: string
  hashMode: boolean
  interactive: boolean
  /** true: statistical consent given; false: refused or withdrawn; undefined: not said (treated as not given). */
  consent: boolean | undefined
  engagementMs: number
  scrollDepth: number
}

export type Errors = Record<string, string>

export const MAX_BODY_BYTES = 16 * 1024
const MAX_URL_BYTES = 2000
const MAX_NAME_CHARS = 120
const MAX_PROPS = 30
const MAX_PROP_KEY_CHARS = 300
const MAX_PROP_VALUE_CHARS = 2000
const MAX_ENGAGEMENT_MS = 24 * 3600 * 1000

/** Plausible's tracker names for what Cairn calls `download` and `outbound`. */
const PLAUSIBLE_NAMES: Record<string, string> = { 'File Download': 'download', 'Outbound Link: Click': 'outbound' }

export function parseEvent(text: string): { event: IncomingEvent } | { errors: Errors } {
  let body: unknown
  try {
    // A lone surrogate ("\ud800") is valid JSON but not UTF-8: one such row would fail its whole batch.
    // Only an escape can make one (the body was decoded as UTF-8), so the costly reviver runs only then.
    body = /\\u[dD][89a-fA-F]/.test(text) ? JSON.parse(text, wellFormed) : JSON.parse(text)
  } catch {
    return { errors: { body: 'must be a JSON object, e.g. {"n":"pageview","u":"https://example.com/","d":"example.com"}' } }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { errors: { body: 'must be a JSON object' } }
  const b = body as Record<string, unknown>
  const errors: Errors = {}
  const pick = (...keys: string[]): unknown => keys.map((k) => b[k]).find((v) => v !== undefined)

  const rawName = pick('n', 'name')
  let name = ''
  if (typeof rawName !== 'string' || rawName.trim() === '') errors.name = 'is required: a non-empty string, e.g. "pageview"'
  else if ([...rawName].length > MAX_NAME_CHARS) errors.name = `must be at most ${MAX_NAME_CHARS} characters`
  else name = PLAUSIBLE_NAMES[rawName] ?? rawName.trim()

  const url = httpUrl(pick('u', 'url'), 'url', errors, true)

  const rawDomain = pick('d', 'domain')
  let domains: string[] = []
  if (typeof rawDomain !== 'string' || rawDomain.trim() === '') errors.domain = 'is required: the site domain, e.g. "example.com"'
  else domains = [...new Set(rawDomain.split(',').map(normalizeDomain).filter(Boolean))]

  const rawReferrer = pick('r', 'referrer')
  let referrer: URL | undefined
  if (rawReferrer !== undefined && rawReferrer !== null && typeof rawReferrer !== 'string') errors.referrer = 'must be a string or null'
  else if (rawReferrer) referrer = URL.parse(rawReferrer) ?? undefined // an odd referrer is no reason to lose the event

  const props = parseProps(pick('p', 'props', 'm', 'meta'), errors)
  let linkUrl = ''
  if (name === 'download' || name === 'outbound') {
    const link = httpUrl(props.url, 'props.url', errors, true)
    delete props.url
    if (link && name === 'download') {
      link.search = ''
      link.hash = ''
    }
    linkUrl = link?.href ?? ''
  }

  const hashMode = flag(pick('h', 'hashMode'), 'hashMode', errors, false)
  const interactive = flag(pick('i', 'interactive'), 'interactive', errors, true)

  const rawConsent = pick('c', 'consent')
  let consent: boolean | undefined
  if (rawConsent === true || rawConsent === false) consent = rawConsent
  else if (rawConsent !== undefined && rawConsent !== null) errors.consent = 'must be true, false or absent'

  const engagementMs = bounded(pick('e', 'engagement_time'), 'engagement_time', errors, MAX_ENGAGEMENT_MS)
  const scrollDepth = Math.min(100, bounded(pick('sd', 'scroll_depth'), 'scroll_depth', errors, Number.MAX_SAFE_INTEGER))

  if (Object.keys(errors).length > 0 || !url) return { errors }
  return {
    event: { name, url, domains, referrer, props, linkUrl, hashMode, interactive, consent, engagementMs, scrollDepth },
  }
}

function wellFormed(_: string, value: unknown): unknown {
  return typeof value === 'string' ? (value as string & { toWellFormed(): string }).toWellFormed() : value
}

function httpUrl(value: unknown, field: string, errors: Errors, required: boolean): URL | undefined {
  if (value === undefined || value === null || value === '') {
    if (required) errors[field] = 'is required: an http or https URL'
    return undefined
  }
  if (typeof value !== 'string') {
    errors[field] = 'must be a string'
    return undefined
  }
  if (Buffer.byteLength(value) > MAX_URL_BYTES) {
    errors[field] = `must be at most ${MAX_URL_BYTES} bytes`
    return undefined
  }
  const url = URL.parse(value)
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    errors[field] = 'must be an http or https URL'
    return undefined
  }
  return url
}

function parseProps(value: unknown, errors: Errors): Record<string, string> {
  const props: Record<string, string> = {}
  if (value === undefined || value === null) return props
  let object = value
  if (typeof value === 'string') {
    // Plausible's older tracker sends `m` as a JSON string.
    try {
      object = JSON.parse(value)
    } catch {
      errors.props = 'must be an object'
      return props
    }
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    errors.props = 'must be an object'
    return props
  }
  const entries = Object.entries(object)
  if (entries.length > MAX_PROPS) {
    errors.props = `must have at most ${MAX_PROPS} keys`
    return props
  }
  for (const [key, v] of entries) {
    if (key === '' || key.length > MAX_PROP_KEY_CHARS) errors[`props.${key.slice(0, 40)}`] = `keys must be 1 to ${MAX_PROP_KEY_CHARS} characters`
    else if (v === null) continue
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      const text = String(v)
      if (text.length > MAX_PROP_VALUE_CHARS) errors[`props.${key}`] = `must be at most ${MAX_PROP_VALUE_CHARS} characters`
      else props[key] = text
    } else errors[`props.${key}`] = 'must be a string, number or boolean'
  }
  return props
}

function flag(value: unknown, field: string, errors: Errors, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback
  if (typeof value === 'boolean') return value
  if (value === 0 || value === 1) return value === 1
  errors[field] = 'must be a boolean'
  return fallback
}

function bounded(value: unknown, field: string, errors: Errors, max: number): number {
  if (value === undefined || value === null) return 0
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    errors[field] = 'must be a non-negative number'
    return 0
  }
  return Math.min(max, Math.round(value))
}
