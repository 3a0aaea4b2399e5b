/** Browser, OS and device from the User-Agent (refined by client hints when sent), behind an LRU cache. */
import { isbot } from 'isbot'
import { UAParser } from 'ua-parser-js'
import type { HeaderOf } from './address.ts'
import { Lru } from './lru.ts'

export interface Client {
  browser: string
  browser_version: string
  os: string
  os_version: string
  /** desktop, mobile, tablet, smarttv, console, wearable, xr, embedded */
  device: string
}

const HINTS = [
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-ch-ua-platform-version',
  'sec-ch-ua-full-version-list',
  'sec-ch-ua-model',
  'sec-ch-ua-form-factors',
] as const

/** Headless browsers and crawlers are bots; so is a request without any User-Agent. */
function isBot(userAgent: string): boolean {
  return userAgent.trim() === '' || isbot(userAgent)
}

/** What `parse` returns for a crawler or headless browser: dropped, not counted. */
export const BOT = 'bot'

export class UserAgentParser {
  readonly cache: Lru<string, Client | typeof BOT>

  constructor(capacity = 10_000) {
    this.cache = new Lru(capacity)
  }

  /** The client, or BOT; the bot verdict is cached with the parse, since isbot's pattern is the costlier half. */
  parse(userAgent: string, header: HeaderOf): Client | typeof BOT {
    const hints: Record<string, string> = {}
    let key = userAgent
    for (const name of HINTS) {
      const value = header(name)
      if (value !== undefined) {
        hints[name] = value
        key += `\n${name}:${value}`
      }
    }
    const cached = this.cache.get(key)
    if (cached) return cached
    const client = isBot(userAgent) ? BOT : describe(userAgent, hints)
    this.cache.set(key, client)
    return client
  }
}

function describe(userAgent: string, hints: Record<string, string>): Client {
  const parsed = new UAParser(userAgent, hints).getResult()
  // With hints present this returns the refined result synchronously (it is only a thenable in browsers).
  const result = (Object.keys(hints).length > 0 ? parsed.withClientHints() : parsed) as typeof parsed
  return {
    // "Mobile Chrome" and "Chrome" are one browser; the device column says it was a phone.
    browser: (result.browser.name ?? '').replace(/^Mobile /, ''),
    browser_version: result.browser.major ?? '',
    os: result.os.name ?? '',
    os_version: majorMinor(result.os.version),
    device: result.device.type ?? 'desktop',
  }
}

/** "10.15.7" → "10.15", "14.0.0" → "14": coarse enough for reports, too coarse to fingerprint. */
function majorMinor(version: string | undefined): string {
  if (!version) return ''
  const [major, minor] = version.split('.')
  return minor && minor !== '0' ? `${major}.${minor}` : (major ?? '')
}
