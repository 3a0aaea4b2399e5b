/**
 * Cross-site request forgery: a page elsewhere must not make a logged-in browser change anything here.
 * `SameSite=Strict` keeps the login cookie off requests from other sites, but not from other origins of
 * the same site (the tracked site itself when Cairn runs on its subdomain), hence two more checks on every
 * request that can change state (any method but GET, HEAD and OPTIONS):
 *
 * - it must be sent as JSON (`Content-Type: application/json`, even without a body; DELETE excepted, as
 *   it always needs a preflight), or as bytes (`application/octet-stream`: an import's file): a form or a
 *   `text/plain` fetch from another origin cannot send either without a CORS preflight, which Cairn
 *   grants to no other origin;
 * - a browser's `Origin` (and `Sec-Fetch-Site`, where sent) must say the request comes from Cairn's own
 *   origin, or from one of `crossOrigin`'s for the paths that serve the tracked sites.
 *
 * Clients that are not browsers send no `Origin`; they authenticate with an API key, which no other page
 * can make a browser send.
 */
import type { MiddlewareHandler } from 'hono'
import { forbidden, notJson, type Said } from '../http-error.ts'

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface SameOriginOptions {
  /** Paths whose callers are the tracked sites' pages, and which of their origins are allowed. */
  crossOrigin?: Record<string, (origin: string) => boolean>
}

const refuse = (why: Said) => forbidden(why, { origin: why })

export function sameOrigin(options: SameOriginOptions = {}): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE.has(c.req.method)) return next()
    const origin = c.req.header('origin')
    const fetchSite = c.req.header('sec-fetch-site')
    const allowedElsewhere = options.crossOrigin?.[c.req.path]
    const own = origin !== undefined && URL.parse(origin)?.host === c.req.header('host')
    if (origin !== undefined && !own && !(allowedElsewhere && origin !== 'null' && allowedElsewhere(origin))) {
      throw refuse(['api.crossOrigin', { origin }])
    }
    if (!allowedElsewhere && (fetchSite === 'cross-site' || fetchSite === 'same-site')) throw refuse(['api.crossSite'])
    // DELETE is never a "simple" request: from another origin it needs the preflight anyway.
    if (c.req.method !== 'DELETE' && !/^application\/(json|octet-stream)\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
      throw notJson()
    }
    return next()
  }
}
