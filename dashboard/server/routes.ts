/**
 * The dashboard's JSON API: the stats API (docs/stats-api.md) here, and the admin API behind the
 * settings screens and the CLI (docs/admin-api.md) from `admin/`. Credentials: the login cookie,
 * `Authorization: Bearer <API key>`, a shared link's token in `X-Cairn-Share` (one site, read only), or
 * the server's Unix socket (the operator).
 */
import { Hono, type Context } from 'hono'
import { principalOf } from './auth/credentials.ts'
import type { Storage } from '../../sql/client.ts'
import type { SiteList } from '../../sql/sites.ts'
import { Access, authorize, type Principal } from './auth/access.ts'
import { SecondFactors } from './auth/second-factor.ts'
import { accountRoute } from './admin/account.ts'
import { goalsRoute } from './admin/goals.ts'
import { keysRoute } from './admin/keys.ts'
import { linksRoute } from './admin/links.ts'
import { peopleRoute } from './admin/people.ts'
import { invitationsRoute } from './admin/invitations.ts'
import { MailTokens } from './auth/tokens.ts'
import type { MailLog, Mailer } from './mail/mailer.ts'
import { Reports } from './mail/reports.ts'
import { reportsRoute } from './admin/reports.ts'
import { sitesRoute } from './admin/sites.ts'
import { exportRoute } from './admin/export.ts'
import { sharedWhileRunning } from './batch.ts'
import { segmentsRoute } from './admin/segments.ts'
import { annotationsRoute } from './admin/annotations.ts'
import { alertsRoute } from './admin/alerts.ts'
import { anyOf, translator } from '../i18n/translate.ts'
import { invalid, requestLanguage, type Said } from './http-error.ts'
import type { LoginAttempts } from './auth/attempts.ts'
import { toCsv } from './csv.ts'
import { MERGE_DEPTH, importedState, withImportedAggregate, withImportedBreakdown, withImportedSeries } from './imported.ts'
import { conversions, goalSummary } from './conversions.ts'
import { PROPERTY_METRICS, propertyBreakdown, propertyKeys } from './properties.ts'
import { readFunnels, readGoals, type Goal } from '../../sql/goals.ts'
import { IMPORTED_BREAKDOWNS } from '../../sql/dimensions.ts'
import { FUNNEL_BREAKDOWNS, FUNNEL_WITHIN, funnel, type FunnelBreakdown, type FunnelWithin } from './funnel.ts'
import { integer, parseBreakdownOptions, parseRangeQuery } from './params.ts'
import { localDate, previousRange } from './range.ts'
import { BREAKDOWN_NAMES, GOAL_METRICS, aggregateWithEstimates, breakdownOf, breakdownWithEstimates, realtime, recentSessions, timeseriesWithEstimates, type BreakdownName, type StatsQuery } from './stats.ts'

export interface DashboardOptions {
  storage: Storage
  sites: SiteList
  now: () => number
  /** Whether the request came over https (the server decides whom it believes about that). */
  isSecure: (url: string, forwardedProto: string | undefined) => boolean
  /** The brake on password guessing, shared with the SQL door. */
  attempts: LoginAttempts
  /** The client's truncated address. */
  addressOf: (c: Context) => string
  /** The visitor cookie's lifetime (CAIRN_COOKIE_DAYS) and the events' (CAIRN_RETENTION_MONTHS). */
  cookieDays: number
  retentionMonths: number
  /** The bits of an address Cairn keeps (exclusion ranges cannot be narrower). */
  truncation: { ipv4: number; ipv6: number }
  cluster: string | undefined
  /** Whether a request came through the server's Unix socket: then it acts as the operator. */
  operator: (c: Context) => boolean
  /** Writes the events accepted so far to ClickHouse (before a site's data is erased). */
  flush: () => Promise<void>
  mailer: Mailer
  /** The dashboard's address in mailed links (CAIRN_PUBLIC_URL). */
  publicUrl: string
  /** Where the report scheduler says what failed. */
  log: MailLog
  /** How long a report's claim waits for other collectors' (reports.ts; tests shorten it). */
  reportSettleMs?: number
}

type Env = { Variables: { principal: Principal | undefined } }

export function dashboardApi(options: DashboardOptions): { app: Hono<Env>; access: Access; reports: Reports } {
  const access = new Access(options.storage, options.now)
  const secondFactors = new SecondFactors(options.storage, options.now)
  const { sites } = options
  const app = new Hono<Env>()

  app.use('/api/*', async (c, next) => {
    c.set('principal', options.operator(c) ? { kind: 'operator' } : await principalOf(c, access))
    await next()
  })

  app.route('/', accountRoute({ access, secondFactors, attempts: options.attempts, addressOf: options.addressOf, isSecure: options.isSecure }))
  app.route('/', sitesRoute({ storage: options.storage, sites, truncation: options.truncation, cookieDays: options.cookieDays, retentionMonths: options.retentionMonths, cluster: options.cluster, now: options.now, flush: options.flush }))
  app.route('/', exportRoute({ storage: options.storage, sites, now: options.now }))
  app.route('/', peopleRoute({ access, sites, secondFactors }))
  const reports = new Reports({ storage: options.storage, mailer: options.mailer, sites, publicUrl: options.publicUrl, log: options.log, now: options.now, settleMs: options.reportSettleMs })
  app.route('/', reportsRoute({ reports, mailer: options.mailer, sites }))
  app.route('/', invitationsRoute({ access, tokens: new MailTokens(options.storage, options.now), mailer: options.mailer, sites, publicUrl: options.publicUrl, attempts: options.attempts, addressOf: options.addressOf }))
  app.route('/', keysRoute(access))
  app.route('/', linksRoute(access, sites))
  app.route('/', segmentsRoute({ storage: options.storage, sites, now: options.now }))
  app.route('/', annotationsRoute({ storage: options.storage, sites, now: options.now }))
  app.route('/', alertsRoute({ storage: options.storage, sites, now: options.now, mailConfigured: options.mailer.configured }))
  app.route('/', goalsRoute(options.storage, sites))

  const guard = (c: Context<Env>, site: string, need: 'read' | 'admin') => authorize(c.get('principal'), site, need, (s) => sites.has(s))

  /** `format=json|csv`, checked before any query runs. */
  const formatOf = (c: Context<Env>): 'json' | 'csv' => {
    const format = c.req.query('format') ?? 'json'
    if (format !== 'json' && format !== 'csv') throw invalid({ format: ['api.field.oneOf', { choices: anyOf(['json', 'csv']) }] })
    return format
  }

  /** Rows as a CSV download for people: headers in the request's language, the value's column first. */
  const csv = (c: Context<Env>, file: string, valueHeader: (say: ReturnType<typeof translator>) => string, metrics: readonly string[], rows: Record<string, unknown>[]) => {
    const language = requestLanguage(c)
    const say = translator(language)
    c.header('Content-Type', 'text/csv; charset=utf-8')
    c.header('Content-Disposition', `attachment; filename="${file}.csv"`)
    c.header('Content-Language', language)
    return c.body(toCsv(rows, ['value', ...metrics], [valueHeader(say), ...metrics.map((m) => say(`metric.${m}`))]))
  }

  /**
   * The site's goals, read once for the requests that ask at the same time (a dashboard load's panels):
   * they then go on together, which lets their goal-filtered breakdowns share one query (batch.ts).
   */
  const goalsReading = sharedWhileRunning<Goal[]>()
  const goalsOf = (site: string): Promise<Goal[]> => goalsReading(site, () => readGoals(options.storage, site))

  /** The goal filter (`goal=<id>`): one of the site's goals, or a 400 naming it. */
  const goalOf = async (c: Context<Env>, site: string): Promise<Goal | undefined> => {
    const id = c.req.query('goal')
    if (id === undefined) return undefined
    const goal = (await goalsOf(site)).find((g) => g.id === id)
    if (!goal) throw invalid({ goal: ['api.field.goal'] })
    return goal
  }

  const statsQuery = (c: Context<Env>, site: string) => {
    const timeZone = sites.get(site)!.timeZone
    const nowMs = options.now()
    const { range, compare, filters } = parseRangeQuery(c.req.query(), timeZone, nowMs)
    // `exact=true`, and any CSV (data people take elsewhere), never read an estimate.
    const exact = c.req.query('exact') ?? 'false'
    if (exact !== 'true' && exact !== 'false') throw invalid({ exact: ['api.field.oneOf', { choices: anyOf(['true', 'false']) }] })
    const query: StatsQuery = { site, timeZone, range, filters, today: localDate(nowMs, timeZone), exact: exact === 'true' || c.req.query('format') === 'csv' }
    // `imported=false`: without the imported days' figures (imported.ts).
    const imported = c.req.query('imported') ?? 'true'
    if (imported !== 'true' && imported !== 'false') throw invalid({ imported: ['api.field.oneOf', { choices: anyOf(['true', 'false']) }] })
    return { query, previous: compare ? { ...query, range: previousRange(range) } : undefined, importedWanted: imported === 'true' }
  }

  /** A stats route: the site's read access is checked before the handler runs. */
  const stats = (path: string, handler: (c: Context<Env>, site: string) => Promise<Response>) =>
    app.get(`/api/stats/:site/${path}`, (c) => {
      const site = c.req.param('site')!
      guard(c, site, 'read')
      return handler(c, site)
    })

  stats('aggregate', async (c, site) => {
    const { query, previous, importedWanted } = statsQuery(c, site)
    const goal = await goalOf(c, site)
    // With a goal filter, the conversions beside the usual numbers: unique, total, and the rate.
    const withConversions = async (q: StatsQuery) => {
      const [{ results, approximate, sums }, converted, imported] = await Promise.all([
        aggregateWithEstimates(options.storage, q, goal), goal && goalSummary(options.storage, q, goal), importedState(options.storage, q, importedWanted, goal !== undefined),
      ])
      const figures = imported === 'included' ? await withImportedAggregate(options.storage, q, results, sums) : results
      return { range: q.range, results: { ...figures, ...converted?.totals }, imported, ...(approximate.length > 0 && { approximate }) }
    }
    const [now, before] = await Promise.all([withConversions(query), previous && withConversions(previous)])
    return c.json({ ...now, ...(before && { previous: before }) })
  })

  stats('timeseries', async (c, site) => {
    const { query, previous, importedWanted } = statsQuery(c, site)
    const goal = await goalOf(c, site)
    // With a goal filter, each point also has the bucket's conversions and conversion rate.
    const series = async (q: StatsQuery) => {
      const [{ points: own, approximate, sums }, converted, state] = await Promise.all([
        timeseriesWithEstimates(options.storage, q, goal), goal && goalSummary(options.storage, q, goal), importedState(options.storage, q, importedWanted, goal !== undefined),
      ])
      // An hourly graph has no imported points: the export's are days.
      const imported = state === 'included' && q.range.interval === 'hour' ? 'unsupported' : state
      const points = imported === 'included' ? await withImportedSeries(options.storage, q, own, sums) : own
      return {
        range: q.range,
        points: converted ? points.map((p, i) => ({ ...p, conversions: converted.points[i]!.conversions, conversion_rate: converted.points[i]!.conversion_rate })) : points,
        imported,
        ...(approximate.length > 0 && { approximate }),
      }
    }
    const [now, before] = await Promise.all([series(query), previous && series(previous)])
    return c.json({ ...now, ...(before && { previous: before }) })
  })

  stats('breakdown/:name', async (c, site) => {
    const name = c.req.param('name') as BreakdownName
    if (!BREAKDOWN_NAMES.includes(name)) throw invalid({ breakdown: ['api.field.oneOf', { choices: anyOf(BREAKDOWN_NAMES) }] })
    const { query, importedWanted } = statsQuery(c, site)
    const format = formatOf(c)
    const goal = await goalOf(c, site)
    const metrics = goal ? GOAL_METRICS : breakdownOf(name).breakdown.metrics
    const paging = parseBreakdownOptions(c.req.query(), metrics)
    const state = await importedState(options.storage, query, importedWanted, goal !== undefined)
    const imported = state === 'included' && !IMPORTED_BREAKDOWNS.includes(name) ? 'unsupported' : state
    // Imported rows merged in: the events' first rows deep enough for the page to be right (imported.ts).
    const { rows, approximate } = imported === 'included'
      ? await breakdownWithEstimates(options.storage, query, name, { ...paging, offset: 0, limit: paging.offset + paging.limit + MERGE_DEPTH, withBounces: true })
        .then(async (own) => ({ ...own, rows: await withImportedBreakdown(options.storage, query, name, paging, own.rows) }))
      : await breakdownWithEstimates(options.storage, query, name, paging, goal)
    // The value's column is named by the dimension ("Source", "Pays"), so a sheet of several exports says what each is.
    if (format === 'csv') return csv(c, `${site}-${name}-${query.range.from}-${query.range.to}`, (say) => say(`dimension.${name}.label`), metrics, rows)
    return c.json({ range: query.range, metrics, rows, imported, ...(approximate.length > 0 && { approximate }) })
  })

  stats('goals', async (c, site) => {
    const { query } = statsQuery(c, site)
    const result = await conversions(options.storage, query, await readGoals(options.storage, site))
    return c.json({ range: query.range, ...result })
  })

  stats('funnel', async (c, site) => {
    const { query } = statsQuery(c, site)
    const goals = await readGoals(options.storage, site)
    // A saved funnel (`funnel=<id>`), or steps given in the query.
    const saved = c.req.query('funnel') === undefined ? undefined : (await readFunnels(options.storage, site)).find((f) => f.id === c.req.query('funnel'))
    if (c.req.query('funnel') !== undefined && !saved) throw invalid({ funnel: ['api.field.funnel'] })
    const ids = saved?.steps ?? (c.req.query('steps') ?? '').split(',').filter(Boolean)
    const steps = ids.map((id) => goals.find((g) => g.id === id))
    const errors: Record<string, Said> = {}
    if (ids.length < 2 || ids.length > 8 || steps.some((g) => !g)) errors.steps = ['api.field.funnelSteps', { min: 2, max: 8 }]
    else if (steps.some((g) => g!.kind === 'engagement')) errors.steps = ['api.field.funnelEngagement']
    const within = (c.req.query('within') ?? saved?.within ?? 'visit') as FunnelWithin
    if (!FUNNEL_WITHIN.includes(within)) errors.within = ['api.field.oneOf', { choices: anyOf(FUNNEL_WITHIN) }]
    const by = c.req.query('by') as FunnelBreakdown | undefined
    if (by !== undefined && !FUNNEL_BREAKDOWNS.includes(by)) errors.by = ['api.field.oneOf', { choices: anyOf(FUNNEL_BREAKDOWNS) }]
    if (Object.keys(errors).length > 0) throw invalid(errors)
    return c.json({ range: query.range, within, ...(await funnel(options.storage, query, steps as Goal[], within, by)) })
  })

  stats('properties', async (c, site) => {
    const { query } = statsQuery(c, site)
    return c.json({ range: query.range, properties: await propertyKeys(options.storage, query) })
  })

  stats('properties/:key', async (c, site) => {
    const { query } = statsQuery(c, site)
    const key = c.req.param('key')!
    const format = formatOf(c)
    const rows = await propertyBreakdown(options.storage, query, key, parseBreakdownOptions(c.req.query(), PROPERTY_METRICS))
    // The value's column is named by the property's own key.
    if (format === 'csv') return csv(c, `${site}-property-${key.replace(/[^\w.-]/g, '_')}-${query.range.from}-${query.range.to}`, () => key, PROPERTY_METRICS, rows)
    return c.json({ range: query.range, key, metrics: PROPERTY_METRICS, rows })
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

  return { app, access, reports }
}
