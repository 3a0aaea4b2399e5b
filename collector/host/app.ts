/**
 * The collector: storage, migrations, salts, sessions and the batch writer behind one Hono app.
 * `close()` flushes what is queued and releases ClickHouse.
 */
import { Sealer } from '../../dashboard/server/rollups.ts'
import { Hono, type Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { openReadOnly, openStorage, type Storage, type Transport } from '../../sql/client.ts'
import { clickhouseDoor } from '../../dashboard/server/door/route.ts'
import { migrate } from '../../sql/migrate.ts'
import { applyRetention } from '../../sql/retention.ts'
import { clickhouseOptions, type Config } from './config.ts'
import { operatorRequests } from './socket.ts'
import { Counters } from '../ingest/counters.ts'
import { EventWriter } from '../ingest/writer.ts'
import { Spool } from '../ingest/spool.ts'
import { join } from 'node:path'
import { CountryLookup } from '../ingest/geo.ts'
import { consoleLog, type Log } from '../ingest/log.ts'
import { EVENT_PATH, eventRoute } from '../ingest/route.ts'
import { originOfSites } from '../ingest/sites.ts'
import { SiteList, seedSites } from '../../sql/sites.ts'
import { getRequestListener } from '@hono/node-server'
import type { IncomingMessage, RequestListener } from 'node:http'
import { privacyRoute } from './routes/privacy.ts'
import { healthRoute } from './routes/health.ts'
import { restrictedVisitors } from '../../sql/privacy.ts'
import { trackerRoute } from './routes/tracker.ts'
import { operatorRoute } from './routes/operator.ts'
import { importsRoute } from './routes/imports.ts'
import { recoverImports } from '../../sql/imports.ts'
import { rm } from 'node:fs/promises'
import { dashboardRoute } from './routes/dashboard.ts'
import { Salts } from '../ingest/salts.ts'
import { RateLimiter } from '../ingest/rate-limit.ts'
import { dashboardApi } from '../../dashboard/server/routes.ts'
import { Mailer, type MailerOptions } from '../../dashboard/server/mail/mailer.ts'
import { AlertWatcher } from '../../dashboard/server/mail/alerts.ts'
import type { Reports } from '../../dashboard/server/mail/reports.ts'
import type { Access } from '../../dashboard/server/auth/access.ts'
import { LoginAttempts } from '../../dashboard/server/auth/attempts.ts'
import { sameOrigin } from '../../dashboard/server/auth/same-origin.ts'
import { HttpError, notFound } from '../../dashboard/server/http-error.ts'
import { clientAddress, isSecure, truncateIp } from '../ingest/address.ts'
import { Sessions } from '../ingest/sessions.ts'
import { UserAgentParser } from '../ingest/user-agent.ts'

export interface CollectorOptions {
  /** The clock, injectable so tests can move through days and months. */
  now?: () => number
  log?: Log
  /** Wraps the embedded engine's transport for the storage the collector writes with (tests use it to cut ClickHouse off). */
  wrapTransport?: (transport: Transport) => Transport
  /** False for a `cairn` command working on the data directory itself: the API only, no built files needed. */
  serveFiles?: boolean
  /** How the mailer retries (tests shorten the delays). */
  mailer?: MailerOptions
  /** How long a report's claim waits for other collectors' (tests shorten it). */
  reportSettleMs?: number
  /**
   * False: no rollups sealed in the background (tests that compare the API with SQL seal when they mean to,
   * through `sealer.tick()`, so that no figure turns into an estimate under them).
   */
  sealRollups?: boolean
}

export interface Collector {
  /** Every route but ingest. */
  app: Hono
  /** What the HTTP server calls: ingest directly, the rest through Hono. */
  listener: RequestListener
  storage: Storage
  access: Access
  sites: SiteList
  counters: Counters
  writer: EventWriter
  mailer: Mailer
  /** The traffic alerts' watcher (it runs by itself; tests call `check()`). */
  alerts: AlertWatcher
  /** The report scheduler (it runs by itself; tests call `runDue()`). */
  reports: Reports
  /** The rollups' sealer (it runs by itself unless `sealRollups` is false; tests call `tick()`). */
  sealer: Sealer
  close(): Promise<void>
}

const MAINTENANCE_INTERVAL_MS = 60_000

export async function createCollector(config: Config, options: CollectorOptions = {}): Promise<Collector> {
  const now = options.now ?? Date.now
  const log = options.log ?? consoleLog()
  // First: a missing build is reported before anything is opened.
  const files = options.serveFiles === false ? undefined : { scripts: trackerRoute(), pages: dashboardRoute() }
  const storage = openStorage({ ...clickhouseOptions(config), wrapTransport: options.wrapTransport })
  try {
    await migrate(storage, log.info, undefined, config.clickhouseCluster)
    await applyRetention(storage, config.retentionMonths, log.info, config.clickhouseCluster)
  } catch (error) {
    await storage.close()
    throw error
  }
  const sites = new SiteList(storage)
  try {
    const created = await seedSites(storage, config.seedSites)
    if (created.length > 0) log.info(`sites created from CAIRN_SITES: ${created.join(', ')}`)
    await sites.refresh()
  } catch (error) {
    await storage.close()
    throw error
  }
  sites.start((error) => log.error(`reading the sites failed, will retry: ${error.message}`))
  const readOnly = openReadOnly(clickhouseOptions(config))
  const salts = new Salts(storage, now, config.clickhouseCluster)
  await salts.rotate()
  const sessions = new Sessions()
  const reloaded = await sessions.reload(storage, now())
  if (reloaded > 0) log.info(`resumed ${reloaded} open sessions`)
  // Events a previous process acknowledged but had not written: written before anything new comes in;
  // if ClickHouse refuses now, they wait in the spool like any other batch.
  const spool = new Spool(join(config.dataDir, 'spool'))
  const writer = new EventWriter(storage, log, undefined, spool)
  writer.adopt(spool.leftovers())
  if (writer.queued > 0) await writer.flush()
  writer.start()
  const counters = new Counters()
  const restricted = await restrictedVisitors(storage)
  // An import a stopped process left halfway is rolled back; its files go. Only on the embedded engine,
  // which this process alone holds: on a ClickHouse server another Cairn may be running one (one left by
  // a stopped server stays listed until its admins delete it).
  const importsDir = join(config.dataDir, 'imports')
  if (!config.clickhouseUrl) {
    const rolledBack = await recoverImports(storage)
    if (rolledBack.length > 0) log.info(`rolled back ${rolledBack.length} import(s) a stopped server left halfway`)
    await rm(importsDir, { recursive: true, force: true })
  }

  // Background queries in flight, awaited on close: closing the engine under a running query crashes it.
  const inFlight = new Set<Promise<unknown>>()
  const track = (work: Promise<unknown>) => {
    inFlight.add(work)
    void work.finally(() => inFlight.delete(work))
  }
  const maintenance = setInterval(() => {
    sessions.sweep(now())
    // Restrictions may be recorded by another Cairn server or the CLI.
    track(restrictedVisitors(storage).then(
      (latest) => latest.forEach((key) => restricted.add(key)),
      (error: Error) => log.error(`reading restrictions failed, will retry: ${error.message}`),
    ))
    track(salts.rotate().catch((error: Error) => log.error(`salt rotation failed, will retry: ${error.message}`)))
  }, MAINTENANCE_INTERVAL_MS)
  maintenance.unref()

  /** The client's address, truncated as on ingest: what the guessing brake counts by. */
  const addressOf = (c: Context) => {
    const socket = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress
    return truncateIp(clientAddress(socket, (name) => c.req.header(name), config.trustProxy), config.ipv4Prefix, config.ipv6Prefix)
  }
  const attempts = new LoginAttempts(now)
  const mailer = new Mailer(config.mail, log, options.mailer)
  const alerts = new AlertWatcher({ storage, mailer, log, now, publicUrl: config.publicUrl })
  // A cairn command's own API (serveFiles: false) sends no alerts: the server does.
  if (options.serveFiles !== false) alerts.start()
  const isOperator = (c: Context) => operatorRequests.has((c.env as { incoming?: object } | undefined)?.incoming ?? {})
  const dashboard = dashboardApi({
    storage,
    sites,
    now,
    isSecure: (url, proto) => isSecure(url, proto, config.trustProxy > 0),
    attempts,
    addressOf,
    cookieDays: config.cookieDays,
    retentionMonths: config.retentionMonths,
    truncation: { ipv4: config.ipv4Prefix, ipv6: config.ipv6Prefix },
    cluster: config.clickhouseCluster,
    operator: isOperator,
    flush: () => writer.flush(),
    mailer,
    publicUrl: config.publicUrl,
    log,
    reportSettleMs: options.reportSettleMs,
  })
  // A cairn command's own API (serveFiles: false) sends no reports either: the server does.
  if (options.serveFiles !== false) dashboard.reports.start()
  // Nor does it seal rollups, the server's background work (dashboard/server/rollups.ts).
  const sealer = new Sealer({ storage, sites: () => sites.all(), now, log })
  if (options.serveFiles !== false && options.sealRollups !== false) sealer.start()
  const userAgents = new UserAgentParser()
  const ingest = eventRoute({ settings: config, now, salts, sessions, writer, userAgents, countries: new CountryLookup(), counters, restricted, log, sites,
    maxQueued: config.spoolMaxEvents, rateLimiter: new RateLimiter(config.rateLimit.perSecond, config.rateLimit.burst, now) })
  const app = new Hono()
  let siteOrigin = originOfSites(sites.allHosts())
  sites.onChange(() => (siteOrigin = originOfSites(sites.allHosts())))
  // Before every route: nothing changes state from another origin (the visitor's own erasure excepted).
  app.use('/api/*', sameOrigin({ crossOrigin: { '/api/privacy/me': (origin) => siteOrigin(origin) !== null } }))
  app.route('/', healthRoute({ storage, counters, writer, sessions, userAgents, mailer }))
  app.route('/', privacyRoute({
    storage,
    access: dashboard.access,
    restricted,
    sites,
    operator: isOperator,
    now,
    cookieDays: config.cookieDays,
    cluster: config.clickhouseCluster,
    allowedOrigin: (origin) => siteOrigin(origin),
    secure: (url, proto) => isSecure(url, proto, config.trustProxy > 0),
  }))
  app.route('/', operatorRoute({ storage, sites, operator: isOperator, flush: () => writer.flush(), now, cluster: config.clickhouseCluster }))
  app.route('/', importsRoute({
    storage,
    access: dashboard.access,
    sites,
    operator: isOperator,
    context: {
      storage, embedded: !config.clickhouseUrl, workDir: importsDir, limitBytes: config.importMaxBytes, retentionMonths: config.retentionMonths,
      cluster: config.clickhouseCluster,
    },
  }))
  if (files) app.route('/', files.scripts)

  app.route('/', dashboard.app)
  // Before the dashboard's pages, which own GET / unless it carries a ClickHouse query.
  app.route('/', clickhouseDoor({ storage: readOnly, access: dashboard.access, attempts, addressOf }))
  if (files) app.route('/', files.pages)
  app.notFound((c) => notFound(['api.notFound.route', { method: c.req.method, path: c.req.path }]).response(c))
  app.onError((error, c) => {
    if (error instanceof HttpError) return error.response(c)
    if (error instanceof HTTPException) return error.getResponse()
    // ClickHouse quotes the query in its messages, values and all: the log gets its code and type only.
    const { code, type } = error as { code?: unknown; type?: unknown }
    const what = typeof code === 'string' && /^\d+$/.test(code) ? `ClickHouse error ${code}${typeof type === 'string' ? ` (${type})` : ''}` : error.message
    log.error(`unhandled error on ${c.req.method} ${c.req.path}: ${what}`)
    return new HttpError(500, ['api.internal']).response(c)
  })

  const rest = getRequestListener(app.fetch)
  return {
    app,
    listener: (req, res) => (req.url === EVENT_PATH || req.url?.startsWith(`${EVENT_PATH}?`) ? ingest(req, res) : rest(req, res)),
    storage,
    access: dashboard.access,
    sites,
    counters,
    writer,
    mailer,
    alerts,
    reports: dashboard.reports,
    sealer,
    async close() {
      clearInterval(maintenance)
      await sealer.stop()
      await dashboard.reports.stop()
      await alerts.stop()
      mailer.close()
      await sites.stop()
      await Promise.allSettled([...inFlight])
      try {
        await writer.close()
      } finally {
        await readOnly.close()
        await storage.close()
      }
    },
  }
}
