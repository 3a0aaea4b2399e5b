/**
 * The dashboard's JSON API: login, sites, shared links, and the stats API (documented in
 * docs/stats-api.md). Credentials: the login cookie, `Authorization: Bearer <API key>`, or a shared
 * link's token in `X-Cairn-Share` (one site, read only).
 */
import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { LOGIN_COOKIE, principalOf } from './auth/credentials.ts'
import type { Storage } from '../../sql/client.ts'
import { Access, LOGIN_DAYS, authorize, canAdmin, canRead, type Principal } from './auth/access.ts'
import { LANGUAGES } from '../i18n/languages.ts'
import { anyOf, translator } from '../i18n/translate.ts'
import { forbidden, invalid, notFound, requestLanguage, tooMany, unauthenticated, type Said } from './http-error.ts'
import type { LoginAttempts } from './auth/attempts.ts'
import { toCsv } from './csv.ts'
import { integer, parseBreakdownOptions, parseRangeQuery } from './params.ts'
import { previousRange } from './range.ts'
import { BREAKDOWN_NAMES, aggregate, breakdown, breakdownOf, realtime, recentSessions, timeseries, type BreakdownName, type StatsQuery } from './stats.ts'

export interface DashboardOptions {
  storage: Storage
  sites: { name: string; timeZone: string }[]
  now: () => number
  /** Whether the request came over https (the server decides whom it believes about that). */
  isSecure: (url: string, forwardedProto: string | undefined) => boolean
  /** The brake on password guessing, shared with the SQL door. */
  attempts: LoginAttempts
  /** The client's truncated address. */
  addressOf: (c: Context) => string
  /** The visitor cookie's lifetime (CAIRN_COOKIE_DAYS). */
  cookieDays: number
}

type Env = { Variables: { principal: Principal | undefined } }

export function dashboardApi(options: DashboardOptions): { app: Hono<Env>; access: Access } {
  const access = new Access(options.storage, options.now)
  const sites = new Map(options.sites.map((s) => [s.name, s]))
  const app = new Hono<Env>()
  const secure = (c: Context) => options.isSecure(c.req.url, c.req.header('x-forwarded-proto'))

  app.use('/api/*', async (c, next) => {
    c.set('principal', await principalOf(c, access))
    await next()
  })

  app.post('/api/auth/login', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { email?: unknown; password?: unknown } | null
    if (!body || typeof body.email !== 'string' || typeof body.password !== 'string') throw invalid({ body: ['api.field.loginBody'] })
    const address = options.addressOf(c)
    // Past the limit the answer comes before any password is checked, so it is the same for a right one.
    const wait = options.attempts.retryAfter(body.email, address)
    if (wait > 0) throw tooMany(wait)
    const principal = await access.authenticate(body.email, body.password)
    if (!principal) {
      options.attempts.failed(body.email, address)
      throw unauthenticated(['api.wrongPassword'])
    }
    const token = await access.startLogin(body.email)
    // Strictly necessary: it keeps a user logged in, nothing else. No consent needed, no tracking.
    setCookie(c, LOGIN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure: secure(c), path: '/', maxAge: LOGIN_DAYS * 86_400 })
    return c.json({ email: body.email })
  })

  app.post('/api/auth/logout', async (c) => {
    const token = getCookie(c, LOGIN_COOKIE)
    if (token) await access.endLogin(token)
    deleteCookie(c, LOGIN_COOKIE, { path: '/', secure: secure(c), httpOnly: true, sameSite: 'Strict' })
    return c.body(null, 204)
  })

  const guard = (c: Context<Env>, site: string, need: 'read' | 'admin') => authorize(c.get('principal'), site, need, (s) => sites.has(s))

  app.get('/api/auth/me', async (c) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    return c.json(principal.kind === 'share' ? { share: true, site: principal.site } : { email: principal.email, language: (await access.language(principal.email)) ?? null })
  })

  /** The user's own settings: the dashboard's language ('' or null: the browser's). */
  app.patch('/api/auth/me', async (c) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    if (principal.kind !== 'user') throw forbidden(['api.forbidden.shareSettings'])
    const body = (await c.req.json().catch(() => null)) as { language?: unknown } | null
    const language = body?.language ?? ''
    if (language !== '' && !LANGUAGES.includes(language as never)) throw invalid({ language: ['api.field.oneOf', { choices: anyOf(LANGUAGES) }] })
    await access.setLanguage(principal.email, language as string)
    return c.json({ email: principal.email, language: language || null })
  })

  app.get('/api/sites', (c) => {
    const principal = c.get('principal')
    if (!principal) throw unauthenticated()
    return c.json({
      // How long a consenting visitor's cookie lives, for the consent panel's note.
      cookie_days: options.cookieDays,
      sites: options.sites
        .filter((s) => canRead(principal, s.name))
        .map((s) => ({ site: s.name, timezone: s.timeZone, admin: canAdmin(principal, s.name) })),
    })
  })

  app.get('/api/sites/:site/shares', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'admin')
    return c.json({ shares: await access.shares(site) })
  })

  app.post('/api/sites/:site/shares', async (c) => {
    const site = c.req.param('site')
    const principal = guard(c, site, 'admin') as Extract<Principal, { kind: 'user' }>
    const { secret, prefix } = await access.createShare(site, principal.email)
    return c.json({ prefix, path: `/share/${secret}` }, 201)
  })

  app.delete('/api/sites/:site/shares/:prefix', async (c) => {
    const site = c.req.param('site')
    guard(c, site, 'admin')
    if (!(await access.revokeShare(site, c.req.param('prefix')))) throw notFound(['api.notFound.share'])
    return c.body(null, 204)
  })

  const statsQuery = (c: Context<Env>, site: string) => {
    const { range, compare, filters } = parseRangeQuery(c.req.query(), sites.get(site)!.timeZone, options.now())
    const query: StatsQuery = { site, timeZone: sites.get(site)!.timeZone, range, filters }
    return { query, previous: compare ? { ...query, range: previousRange(range) } : undefined }
  }

  /** A stats route: the site's read access is checked before the handler runs. */
  const stats = (path: string, handler: (c: Context<Env>, site: string) => Promise<Response>) =>
    app.get(`/api/stats/:site/${path}`, (c) => {
      const site = c.req.param('site')!
      guard(c, site, 'read')
      return handler(c, site)
    })

  stats('aggregate', async (c, site) => {
    const { query, previous } = statsQuery(c, site)
    const [results, before] = await Promise.all([aggregate(options.storage, query), previous && aggregate(options.storage, previous)])
    return c.json({ range: query.range, results, ...(before && { previous: { range: previous!.range, results: before } }) })
  })

  stats('timeseries', async (c, site) => {
    const { query, previous } = statsQuery(c, site)
    const [points, before] = await Promise.all([timeseries(options.storage, query), previous && timeseries(options.storage, previous)])
    return c.json({ range: query.range, points, ...(before && { previous: { range: previous!.range, points: before } }) })
  })

  stats('breakdown/:name', async (c, site) => {
    const name = c.req.param('name') as BreakdownName
    if (!BREAKDOWN_NAMES.includes(name)) throw invalid({ breakdown: ['api.field.oneOf', { choices: anyOf(BREAKDOWN_NAMES) }] })
    const { query } = statsQuery(c, site)
    const format = c.req.query('format') ?? 'json'
    if (format !== 'json' && format !== 'csv') throw invalid({ format: ['api.field.oneOf', { choices: anyOf(['json', 'csv']) }] })
    const rows = await breakdown(options.storage, query, name, parseBreakdownOptions(c.req.query(), name))
    const metrics = breakdownOf(name).breakdown.metrics
    if (format === 'csv') {
      c.header('Content-Type', 'text/csv; charset=utf-8')
      c.header('Content-Disposition', `attachment; filename="${site}-${name}-${query.range.from}-${query.range.to}.csv"`)
      // Headers for people, in the request's language: the dimension's label ("Source", "Pays"), then the
      // metrics'. The value's column is named by the dimension, so a sheet of several exports says what each is.
      const language = requestLanguage(c)
      const say = translator(language)
      c.header('Content-Language', language)
      return c.body(toCsv(rows, ['value', ...metrics], [say(`dimension.${name}.label`), ...metrics.map((m) => say(`metric.${m}`))]))
    }
    return c.json({ range: query.range, metrics, rows })
  })

  stats('realtime', async (c, site) => c.json({ visitors: await realtime(options.storage, site, options.now()) }))

  stats('sessions', async (c, site) => {
    const { query } = statsQuery(c, site)
    const errors: Record<string, Said> = {}
    const limit = integer(c.req.query('limit'), 20, 1, 100, 'limit', errors)
    const offset = integer(c.req.query('offset'), 0, 0, 100_000, 'offset', errors)
    if (Object.keys(errors).length > 0) throw invalid(errors)
    return c.json({ range: query.range, sessions: await recentSessions(options.storage, query, limit, offset) })
  })

  return { app, access }
}
