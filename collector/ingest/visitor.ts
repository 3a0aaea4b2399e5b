/**
 * Who sent an event. With statistical consent in this request: a first-party cookie holding a random
 * 128-bit id and its first deposit time. Otherwise: a keyed hash of (daily salt, site, truncated IP,
 * user agent) and no cookie (invariants 2, 3 and 5).
 */
import { createHash, createHmac } from 'node:crypto'
import { randomHex128 } from './random-ids.ts'

export const COOKIE_NAME = 'cairn_id'
/** 180 days: within 6 months of the first deposit whatever the calendar, and never extended. The most CAIRN_COOKIE_DAYS may say. */
export const MAX_COOKIE_DAYS = 180

export interface VisitorCookie {
  id: string
  /** First deposit, Unix seconds. */
  depositedAt: number
}

export type Identity =
  | { kind: 'cookie'; cookie: VisitorCookie; setCookie: string | undefined }
  | { kind: 'cookieless'; expireCookie: boolean }

export interface IdentityInput {
  /** The `c` field: true given, false refused or withdrawn, undefined not said. */
  consent: boolean | undefined
  /** `Sec-GPC: 1` or `DNT: 1` on the request: they override any banner. */
  optOutSignal: boolean
  /** Raw value of the Cairn cookie, if the browser sent one. */
  cookieValue: string | undefined
  secure: boolean
  nowMs: number
  /** How long the cookie lives from its first deposit, in days (at most MAX_COOKIE_DAYS). */
  lifetimeDays: number
}

export function decideIdentity(input: IdentityInput): Identity {
  const present = input.cookieValue !== undefined
  if (input.optOutSignal || input.consent === false) return { kind: 'cookieless', expireCookie: present }
  // "Not said" is not "withdrawn": count cookieless, but leave a cookie from an earlier consent alone.
  if (input.consent !== true) return { kind: 'cookieless', expireCookie: false }
  const existing = parseCookie(input.cookieValue, input.nowMs, input.lifetimeDays)
  if (existing) return { kind: 'cookie', cookie: existing, setCookie: undefined }
  const cookie = { id: randomHex128(), depositedAt: Math.floor(input.nowMs / 1000) }
  return { kind: 'cookie', cookie, setCookie: serializeCookie(cookie, input.secure, input.lifetimeDays) }
}

/** `<32 hex id>.<deposit seconds>`; a cookie older than its lifetime (or from the future) is not honoured. */
export function parseCookie(value: string | undefined, nowMs: number, lifetimeDays = MAX_COOKIE_DAYS): VisitorCookie | undefined {
  const match = value ? /^([0-9a-f]{32})\.(\d{1,12})$/.exec(value) : null
  if (!match) return undefined
  const depositedAt = Number(match[2])
  const age = nowMs / 1000 - depositedAt
  if (age >= lifetimeDays * 86_400 || age < -86_400) return undefined
  return { id: match[1]!, depositedAt }
}

function serializeCookie(cookie: VisitorCookie, secure: boolean, lifetimeDays: number): string {
  return `${COOKIE_NAME}=${cookie.id}.${cookie.depositedAt}; Max-Age=${lifetimeDays * 86_400}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

export function expiredCookie(secure: boolean): string {
  return `${COOKIE_NAME}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

/** Per site, so one cookie id never links a visitor across sites. */
export function cookieVisitorId(site: string, cookie: VisitorCookie): string {
  return createHash('sha256').update(`${site}\0${cookie.id}`).digest().readBigUInt64BE(0).toString()
}

export function cookielessVisitorId(salt: Buffer, site: string, truncatedIp: string, userAgent: string): string {
  return createHmac('sha256', salt).update(`${site}\0${truncatedIp}\0${userAgent}`).digest().readBigUInt64BE(0).toString()
}
