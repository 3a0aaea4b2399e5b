/**
 * Visitor self-service for the rights a privacy policy promises: `GET /api/privacy/me` exports what is
 * stored about this browser's visitor, `DELETE /api/privacy/me` erases it and expires the cookie. Only a
 * visitor who gave consent has data tied to them (through the cookie); a cookieless visitor has none.
 */
import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { cors } from 'hono/cors'
import type { Storage } from '../../../sql/client.ts'
import { anonymizeBefore, eraseVisitor, exportVisitor, record, restrictVisitor, visitorKey, type VisitorKey } from '../../../sql/privacy.ts'
import { principalOf } from '../../../dashboard/server/auth/credentials.ts'
import { authorize, canAdmin, type Access } from '../../../dashboard/server/auth/access.ts'
import { forbidden, HttpError, invalid } from '../../../dashboard/server/http-error.ts'
import { anyOf } from '../../../dashboard/i18n/translate.ts'
import { FIRST_DAY, LAST_DAY, isDay } from '../../../dashboard/server/range.ts'
import { COOKIE_NAME, cookieVisitorId, expiredCookie, parseCookie } from '../../ingest/visitor.ts'

export interface PrivacyRouteDeps {
  storage: Storage
  access: Access
  sites: string[]
  now: () => number
  cookieDays: number
  cluster: string | undefined
  /** The collector's set of restricted visitors, updated at once by a restriction made here. */
  restricted: Set<string>
  allowedOrigin: (origin: string) => string | null
  secure: (url: string, forwardedProto: string | undefined) => boolean
}

const NO_DATA = () => new HttpError(404, ['api.privacy.noData'])

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
    if (!keys) throw NO_DATA()
    const data = await exportVisitor(deps.storage, keys)
    await record(deps.storage, 'export', keys, 'visitor')
    c.header('Content-Disposition', 'attachment; filename="my-cairn-data.json"')
    return c.json(data)
  })

  app.delete('/api/privacy/me', async (c) => {
    const keys = keysOf(getCookie(c, COOKIE_NAME))
    if (!keys) throw NO_DATA()
    await eraseVisitor(deps.storage, keys, 'visitor', deps.cluster)
    c.header('Set-Cookie', expiredCookie(deps.secure(c.req.url, c.req.header('x-forwarded-proto'))))
    return c.json({ erased: true })
  })
  // The DPO's requests, for admins of the site (the same as `cairn privacy …`, while the server runs).
  app.post('/api/sites/:site/privacy', async (c) => {
    const site = c.req.param('site')
    const principal = authorize(await principalOf(c, deps.access), site, 'admin', (s) => deps.sites.includes(s))
    const body = (await c.req.json().catch(() => null)) as { action?: unknown; visitor_id?: unknown; before?: unknown } | null
    const by = principal.kind === 'user' ? principal.email : 'share'
    if (body?.action === 'anonymize') {
      if (!canAdmin(principal, '*')) throw forbidden(['api.privacy.anonymizeAdmin'])
      if (typeof body.before !== 'string' || !isDay(body.before)) throw invalid({ before: ['api.field.day', { first: FIRST_DAY, last: LAST_DAY }] })
      const monthStart = new Date(deps.now()).toISOString().slice(0, 8) + '01'
      if (body.before > monthStart) throw invalid({ before: ['api.field.beforeMonth', { day: monthStart }] })
      await anonymizeBefore(deps.storage, `${body.before} 00:00:00`, by, deps.cluster, deps.now())
      return c.json({ anonymized: body.before })
    }
    if (body?.action !== 'export' && body?.action !== 'erase' && body?.action !== 'restrict') throw invalid({ action: ['api.field.oneOf', { choices: anyOf(['export', 'erase', 'restrict', 'anonymize']) }] })
    if (typeof body.visitor_id !== 'string' || !/^\d{1,20}$/.test(body.visitor_id)) throw invalid({ visitor_id: ['api.field.visitorId'] })
    const keys = [{ site, visitorId: body.visitor_id }]
    if (body.action === 'export') {
      const data = await exportVisitor(deps.storage, keys)
      await record(deps.storage, 'export', keys, by)
      return c.json(data)
    }
    if (body.action === 'erase') await eraseVisitor(deps.storage, keys, by, deps.cluster)
    else {
      await restrictVisitor(deps.storage, keys, by)
      deps.restricted.add(visitorKey(site, body.visitor_id))
    }
    return c.json({ [body.action === 'erase' ? 'erased' : 'restricted']: body.visitor_id })
  })
  return app
}
