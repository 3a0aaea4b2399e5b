/**
 * Visitor self-service for the rights a privacy policy promises: `GET /api/privacy/me` exports what is
 * stored about this browser's visitor, `DELETE /api/privacy/me` erases it and expires the cookie. Only a
 * visitor who gave consent has data tied to them (through the cookie); a cookieless visitor has none.
 */
import { Hono, type Context } from 'hono'
import { getCookie } from 'hono/cookie'
import { cors } from 'hono/cors'
import type { Storage } from '../../../sql/client.ts'
import type { SiteList } from '../../../sql/sites.ts'
import { anonymizeBefore, eraseVisitor, exportVisitor, record, requestLog, restrictVisitor, visitorKey, type VisitorKey } from '../../../sql/privacy.ts'
import { principalOf } from '../../../dashboard/server/auth/credentials.ts'
import { authorize, canAdmin, type Access } from '../../../dashboard/server/auth/access.ts'
import { forbidden, HttpError, invalid } from '../../../dashboard/server/http-error.ts'
import { anyOf } from '../../../dashboard/i18n/translate.ts'
import { FIRST_DAY, LAST_DAY, isDay } from '../../../dashboard/server/range.ts'
import { jsonBody } from '../../../dashboard/server/params.ts'
import { COOKIE_NAME, cookieVisitorId, expiredCookie, parseCookie } from '../../ingest/visitor.ts'

export interface PrivacyRouteDeps {
  storage: Storage
  access: Access
  sites: SiteList
  now: () => number
  cookieDays: number
  cluster: string | undefined
  /** The collector's set of restricted visitors, updated at once by a restriction made here. */
  restricted: Set<string>
  /** Whether a request came through the server's Unix socket (the CLI). */
  operator: (c: Context) => boolean
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
    return cookie && deps.sites.all().map(({ site }) => ({ site, visitorId: cookieVisitorId(site, cookie) }))
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
  /** The DPO's requests, for admins of the site: the settings screen and `cairn privacy …` (docs/admin-api.md). */
  const admin = async (c: Context, site: string) => authorize(deps.operator(c) ? { kind: 'operator' } : await principalOf(c, deps.access), site, 'admin', (s) => deps.sites.has(s))

  app.get('/api/sites/:site/privacy', async (c) => {
    const site = c.req.param('site')
    await admin(c, site)
    return c.json({ requests: await requestLog(deps.storage, site) })
  })

  app.post('/api/sites/:site/privacy', async (c) => {
    const site = c.req.param('site')
    const principal = await admin(c, site)
    const body = await jsonBody(c)
    // The operator (the CLI) names who asked (`--by`); a person is who they are.
    const by = principal.kind === 'user' ? principal.email : typeof body.by === 'string' && body.by.trim() ? body.by.trim().slice(0, 200) : 'operator'
    if (body.action === 'anonymize') {
      if (!canAdmin(principal, '*')) throw forbidden(['api.privacy.anonymizeAdmin'])
      if (typeof body.before !== 'string' || !isDay(body.before)) throw invalid({ before: ['api.field.day', { first: FIRST_DAY, last: LAST_DAY }] })
      const monthStart = new Date(deps.now()).toISOString().slice(0, 8) + '01'
      if (body.before > monthStart) throw invalid({ before: ['api.field.beforeMonth', { day: monthStart }] })
      const months = await anonymizeBefore(deps.storage, `${body.before} 00:00:00`, by, deps.cluster, deps.now())
      return c.json({ anonymized: body.before, months })
    }
    if (body.action !== 'export' && body.action !== 'erase' && body.action !== 'restrict') throw invalid({ action: ['api.field.oneOf', { choices: anyOf(['export', 'erase', 'restrict', 'anonymize']) }] })
    let visitorId: string
    if (body.cookie !== undefined) {
      // The cookie's id, even from an expired cookie: the visitor asks about data already stored.
      const id = typeof body.cookie === 'string' ? /^([0-9a-f]{32})\./.exec(body.cookie.trim().replace(/^cairn_id=/, ''))?.[1] : undefined
      if (!id) throw invalid({ cookie: ['api.field.cookie'] })
      visitorId = cookieVisitorId(site, { id, depositedAt: 0 })
    } else if (typeof body.visitor_id === 'string' && /^\d{1,20}$/.test(body.visitor_id)) visitorId = body.visitor_id
    else throw invalid({ visitor_id: ['api.field.visitorId'] })
    const keys = [{ site, visitorId }]
    if (body.action === 'export') {
      const data = await exportVisitor(deps.storage, keys)
      await record(deps.storage, 'export', keys, by)
      return c.json(data)
    }
    if (body.action === 'erase') await eraseVisitor(deps.storage, keys, by, deps.cluster)
    else {
      await restrictVisitor(deps.storage, keys, by)
      deps.restricted.add(visitorKey(site, visitorId))
    }
    return c.json({ [body.action === 'erase' ? 'erased' : 'restricted']: visitorId })
  })
  return app
}
