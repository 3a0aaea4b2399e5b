/**
 * Visitor self-service for the rights a privacy policy promises: `GET /api/privacy/me` exports what is
 * stored about this browser's visitor, `DELETE /api/privacy/me` erases it and expires the cookie. Only a
 * visitor who gave consent has data tied to them (through the cookie); a cookieless visitor has none.
 */
import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { cors } from 'hono/cors'
import type { Storage } from '../../sql/client.ts'
import { eraseVisitor, exportVisitor, record, type VisitorKey } from '../../sql/privacy.ts'
import { COOKIE_NAME, cookieVisitorId, expiredCookie, parseCookie } from '../visitor.ts'

export interface PrivacyRouteDeps {
  storage: Storage
  sites: string[]
  now: () => number
  cookieDays: number
  cluster: string | undefined
  allowedOrigin: (origin: string) => string | null
  secure: (url: string, forwardedProto: string | undefined) => boolean
}

const NO_DATA = {
  error: 'no data is tied to this browser: Cairn links data to a visitor only with their consent, through its cookie, and this browser has none',
}

export function privacyRoute(deps: PrivacyRouteDeps): Hono {
  const app = new Hono()
  app.use('/api/privacy/*', cors({ origin: deps.allowedOrigin, credentials: true, allowMethods: ['GET', 'DELETE'], maxAge: 86_400 }))

  /** The visitor ids this browser's cookie stands for, one per site. */
  const keysOf = (cookieValue: string | undefined): VisitorKey[] | undefined => {
    const cookie = parseCookie(cookieValue, deps.now(), deps.cookieDays)
    return cookie && deps.sites.map((site) => ({ site, visitorId: cookieVisitorId(site, cookie) }))
  }

  app.get('/api/privacy/me', async (c) => {
    const keys = keysOf(getCookie(c, COOKIE_NAME))
    if (!keys) return c.json(NO_DATA, 404)
    const data = await exportVisitor(deps.storage, keys)
    await record(deps.storage, 'export', keys, 'visitor')
    c.header('Content-Disposition', 'attachment; filename="my-cairn-data.json"')
    return c.json(data)
  })

  app.delete('/api/privacy/me', async (c) => {
    const keys = keysOf(getCookie(c, COOKIE_NAME))
    if (!keys) return c.json(NO_DATA, 404)
    await eraseVisitor(deps.storage, keys, 'visitor', deps.cluster)
    c.header('Set-Cookie', expiredCookie(deps.secure(c.req.url, c.req.header('x-forwarded-proto'))))
    return c.json({ erased: true })
  })
  return app
}
