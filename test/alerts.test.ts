/**
 * Traffic alerts against a real SMTP server (test/helpers/smtp.ts) and a real HTTP server taking the
 * webhooks: an alert defined through the API goes off on a simulated spike (visitors from many
 * addresses), as one mail per recipient in the alert's language and one webhook POST; not again within
 * the hour, even from a second watcher on the same database at the same moment (two collectors); again
 * the next hour while the spike lasts. A change alert against the same hour of the previous weeks, seeded
 * in the past: a rise and a fall fire, a flat hour, a small baseline and a threshold not reached do not,
 * by numbers this test computes in SQL of its own. Webhooks that fail, redirect or hang: a few attempts,
 * logged by origin only. No full address in anything sent. The routes refused without credentials, to
 * viewers, to other sites' admins and from another origin; bad fields named.
 *
 * The collector's own timer is stopped: the test calls `check()` itself, on a clock it moves.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Log } from '../collector/ingest/log.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { AlertWatcher, MIN_BASELINE } from '../dashboard/server/mail/alerts.ts'
import { Mailer } from '../dashboard/server/mail/mailer.ts'
import { callApi, expectRefusal, json, loginCookie, passwordOf } from './helpers/admin-api.ts'
import { Clock, DAY, MINUTE, TestServer, pageview, uniqueSite } from './helpers/server.ts'
import { TestSmtp } from './helpers/smtp.ts'

const HOUR = 60 * MINUTE
const WEEK = 7 * DAY
const SPIKE = uniqueSite('alert-spike')
const HOOKS = uniqueSite('alert-hooks')
const CHANGE = uniqueSite('alert-change')
const FLAT = uniqueSite('alert-flat')
const DROP = uniqueSite('alert-drop')
const SMALL = uniqueSite('alert-small')
const YOUNG = uniqueSite('alert-young')
const OTHER = uniqueSite('alert-other')
const PUBLIC_URL = 'https://analytics.alerts.test'
const FROM = 'Cairn <analytics@alerts.test>'
const OWNER = 'owner@alerts.test'
const ROOT = 'root@alerts.test'
const VIEWER = 'viewer@alerts.test'
const STRANGER = 'stranger@alerts.test'
/** A dotted quad anywhere: what no notification may carry (the sites' names have none). */
const IPV4 = /\b\d{1,3}(\.\d{1,3}){3}\b/

/** The webhooks' side: every POST kept; /fail answers 500, /redirect 302 to /moved, /silent never answers. */
class Hooks {
  readonly received: { path: string; url: string; type: string | undefined; body: Record<string, unknown>; raw: string }[] = []
  readonly hits: Record<string, number> = {}
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Hooks> {
    const server = createServer()
    const hooks = new Hooks(server)
    server.on('request', (req: IncomingMessage, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const url = req.url ?? ''
        const path = url.split('?')[0]!
        hooks.hits[path] = (hooks.hits[path] ?? 0) + 1
        if (path === '/silent') return
        if (path === '/fail') return void res.writeHead(500).end()
        if (path === '/redirect') return void res.writeHead(302, { location: '/moved' }).end()
        const raw = Buffer.concat(chunks).toString('utf8')
        hooks.received.push({ path, url, type: req.headers['content-type'], body: JSON.parse(raw) as Record<string, unknown>, raw })
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return hooks
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  to(path: string) {
    return this.received.filter((r) => r.path === path)
  }

  stop(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

let smtp: TestSmtp
let hooks: Hooks
let server: TestServer
let second: AlertWatcher
let secondMailer: Mailer
const logged: string[] = []
const log: Log = { info: (m) => logged.push(m), error: (m) => logged.push(m) }
// The spike at minute 56 of an hour: 4 minutes later the hour changes while its visitors are still current.
const clock = new Clock(Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR + 56 * MINUTE)
let owner = ''
let root = ''
let viewer = ''
let stranger = ''

beforeAll(async () => {
  smtp = await TestSmtp.start()
  hooks = await Hooks.start()
  server = await TestServer.start({
    // UTC, so that this test's own reckoning can count weeks in milliseconds.
    sites: [SPIKE, HOOKS, ...[CHANGE, FLAT, DROP, SMALL, YOUNG].map((s) => `${s}=UTC`), OTHER],
    clock,
    env: { TRUST_PROXY: 'true', CAIRN_SMTP_URL: smtp.url, CAIRN_MAIL_FROM: FROM, CAIRN_PUBLIC_URL: PUBLIC_URL },
    log,
    mailer: { retryMs: 150, maxDelayMs: 600, attempts: 40 },
  })
  // Checks happen when the test says, not when the minute's timer does.
  await server.server.collector.alerts.stop()
  // A second collector's watcher: same database, same clock, its own mailer.
  secondMailer = new Mailer({ transport: smtp.url, from: FROM }, log)
  second = new AlertWatcher({ storage: server.storage, mailer: secondMailer, log, now: clock.now, publicUrl: PUBLIC_URL })
  const access = server.server.collector.access
  await addUser(access, OWNER, passwordOf(OWNER), 'admin', SPIKE)
  await addUser(access, ROOT, passwordOf(ROOT), 'admin', '*')
  await addUser(access, VIEWER, passwordOf(VIEWER), 'viewer', SPIKE)
  await addUser(access, STRANGER, passwordOf(STRANGER), 'admin', OTHER)
  const cookies = await Promise.all([OWNER, ROOT, VIEWER, STRANGER].map((e) => loginCookie(server, e, passwordOf(e))))
  ;[owner, root, viewer, stranger] = cookies as [string, string, string, string]
}, 60_000)
afterAll(async () => {
  secondMailer?.close()
  await server?.stop()
  await smtp?.stop()
  await hooks?.stop()
})

const as = (cookie: string, extra: Record<string, string> = {}) => ({ cookie, ...extra })
const check = () => server.server.collector.alerts.check()

async function define(cookie: string, site: string, alert: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await callApi(server, 'POST', `/api/sites/${site}/alerts`, { headers: as(cookie, headers), body: alert })
  expect(response.status, await response.clone().text()).toBe(201)
  return json(response)
}

/** Visitors from `count` addresses (each its own /24, so each its own visitor), now. */
async function visit(site: string, count: number, block: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect((await server.post(pageview(site, '/launch'), { 'x-forwarded-for': `10.${block}.${i}.23` })).status).toBe(202)
  }
}

/** Nothing a notification says names an address. */
function expectNoAddress(texts: (string | false | undefined)[]): void {
  for (const text of texts) {
    expect(text || '').not.toMatch(IPV4)
    expect(text || '').not.toContain('10.1.')
  }
}
const mailTexts = (m: ParsedMail) => [m.subject, m.text, m.html]

describe('a visitors_above alert', { timeout: 90_000 }, () => {
  const ids: string[] = []

  it('is defined through the API, in the language asked or the request’s', async () => {
    const fr = await define(owner, SPIKE, { name: 'Pic de trafic', kind: 'visitors_above', threshold: 10, recipients: ['Ana@alerts.test', 'ben@alerts.test'], webhook: `${hooks.url}/hook?token=s3cret-token`, language: 'fr' })
    expect(fr).toMatchObject({ name: 'Pic de trafic', kind: 'visitors_above', threshold: 10, recipients: ['ana@alerts.test', 'ben@alerts.test'], webhook: `${hooks.url}/hook?token=s3cret-token`, language: 'fr', last_fired_at: null })
    expect(fr).not.toHaveProperty('direction')
    const en = await define(owner, SPIKE, { name: 'Exactly twelve', kind: 'visitors_above', threshold: 12, recipients: ['carl@alerts.test'] }, { 'accept-language': 'en-GB' })
    expect(en.language).toBe('en')
    const high = await define(owner, SPIKE, { name: 'Not reached', kind: 'visitors_above', threshold: 13, recipients: ['dora@alerts.test'] })
    ids.push(fr.id as string, en.id as string, high.id as string)
    const listed = await json<{ alerts: { id: string }[] }>(await callApi(server, 'GET', `/api/sites/${SPIKE}/alerts`, { headers: as(owner) }))
    expect(listed.alerts.map((a) => a.id)).toEqual(ids)
  })

  it('goes off on a spike: one mail per recipient in the alert’s language, one webhook POST, nothing below the threshold', async () => {
    await visit(SPIKE, 12, 1)
    // An engaged-time beacon is not a visitor arriving: a 13th address sending only that does not count.
    expect((await server.post({ n: 'engagement', u: `https://${SPIKE}/launch`, d: SPIKE, e: 5_000 }, { 'x-forwarded-for': '10.1.99.23' })).status).toBe(202)
    await server.flush()
    expect(await check()).toBe(4)

    const link = `${PUBLIC_URL}/?site=${encodeURIComponent(SPIKE)}`
    for (const to of ['ana@alerts.test', 'ben@alerts.test']) {
      const mails = smtp.to(to)
      expect(mails.map((m) => m.subject)).toEqual([`${SPIKE}\u00a0: 12 visiteurs en ce moment`])
      expect(mails[0]!.text).toContain(`${SPIKE} compte 12 visiteurs en ce moment`)
      expect(mails[0]!.text).toContain(link)
      expect(mails[0]!.html).toContain('<html lang="fr">')
      expect(mails[0]!.headers.get('auto-submitted')).toBe('auto-generated')
      expect(mails[0]!.from?.text).toBe('"Cairn" <analytics@alerts.test>')
    }
    const carl = smtp.to('carl@alerts.test')
    expect(carl.map((m) => m.subject)).toEqual([`${SPIKE}: 12 current visitors`])
    expect(carl[0]!.text).toContain('at or above this alert’s threshold of 12')
    expect(smtp.to('dora@alerts.test')).toEqual([])

    const [hook, ...more] = hooks.to('/hook')
    expect(more).toEqual([])
    expect(hook!.url).toBe('/hook?token=s3cret-token')
    expect(hook!.type).toBe('application/json')
    expect(hook!.body).toEqual({
      text: `Alerte Cairn «\u00a0Pic de trafic\u00a0»\u00a0: ${SPIKE} compte 12 visiteurs en ce moment (seuil\u00a0: 10). ${link}`,
      site: SPIKE,
      alert: { id: ids[0], name: 'Pic de trafic', kind: 'visitors_above' },
      value: 12,
      threshold: 10,
      hour: new Date(Math.floor(clock.ms / HOUR) * HOUR).toISOString(),
      at: new Date(clock.ms).toISOString(),
      url: link,
    })
    expectNoAddress([...smtp.mails.flatMap(mailTexts), hook!.raw])
  })

  it('is not sent again within the hour, by this collector or another checking at the same moment', async () => {
    expect(await Promise.all([check(), second.check()])).toEqual([0, 0])
    clock.advance(2 * MINUTE)
    expect(await Promise.all([check(), second.check()])).toEqual([0, 0])
    expect(smtp.to('ana@alerts.test')).toHaveLength(1)
    expect(hooks.to('/hook')).toHaveLength(1)
    const listed = await json<{ alerts: { id: string; last_fired_at: string | null }[] }>(await callApi(server, 'GET', `/api/sites/${SPIKE}/alerts`, { headers: as(owner) }))
    expect(listed.alerts.map((a) => a.last_fired_at)).toEqual([new Date(clock.ms - 2 * MINUTE).toISOString(), new Date(clock.ms - 2 * MINUTE).toISOString(), null])
  })

  it('goes off again the next hour while the spike lasts, once, though two collectors race for it', async () => {
    // Minute 60: the spike's visitors (minute 56) are still in the last 5 minutes.
    clock.advance(2 * MINUTE)
    expect(clock.ms % HOUR).toBe(0)
    const counts = await Promise.all([check(), second.check()])
    expect(counts.sort()).toEqual([0, 4])
    for (const to of ['ana@alerts.test', 'ben@alerts.test', 'carl@alerts.test']) expect(smtp.to(to), to).toHaveLength(2)
    expect(hooks.to('/hook')).toHaveLength(2)
    expect(hooks.to('/hook')[1]!.body.hour).toBe(new Date(clock.ms).toISOString())
    const claims = await server.rows<{ n: string }>(
      'SELECT count() AS n FROM cairn.alerts_fired WHERE site = {site:String} AND hour = fromUnixTimestamp({hour:Int64})',
      { site: SPIKE, hour: clock.ms / 1000 },
    )
    // Each of the two alerts that hold was claimed once or twice (a watcher that sees a claim makes none), and sent once.
    expect(['2', '3', '4']).toContain(claims[0]!.n)
  })

  it('is removed', async () => {
    for (const id of ids) expect((await callApi(server, 'DELETE', `/api/sites/${SPIKE}/alerts/${id}`, { headers: as(owner) })).status).toBe(204)
    expect(await json(await callApi(server, 'GET', `/api/sites/${SPIKE}/alerts`, { headers: as(owner) }))).toEqual({ alerts: [], mail: true })
    expect(await check()).toBe(0)
  })
})

describe('webhooks', { timeout: 90_000 }, () => {
  it('that fail, redirect or hang are tried a few times and logged by their origin only; without SMTP, recipients are skipped, said once', async () => {
    const unconfigured = new Mailer(undefined, log)
    const watcher = new AlertWatcher({ storage: server.storage, mailer: unconfigured, log, now: clock.now, publicUrl: PUBLIC_URL }, { settleMs: 300, webhook: { timeoutMs: 300, retryMs: 50, attempts: 3 } })
    const defined = []
    for (const path of ['/fail', '/redirect', '/silent', '/hook']) {
      defined.push(await define(root, HOOKS, { name: `to ${path}`, kind: 'visitors_above', threshold: 1, recipients: ['eve@alerts.test'], webhook: `${hooks.url}${path}?token=hook-secret-${path.slice(1)}` }))
    }
    const before = { hook: hooks.to('/hook').length, log: logged.length }
    await visit(HOOKS, 1, 2)
    await server.flush()
    // Only the working webhook counts as delivered; the mails were not sent at all.
    expect(await watcher.check()).toBe(1)
    expect(hooks.to('/hook')).toHaveLength(before.hook + 1)
    expect(hooks.hits['/fail']).toBe(3)
    expect(hooks.hits['/silent']).toBe(3)
    // A redirect is a refusal: not followed, not tried again.
    expect(hooks.hits['/redirect']).toBe(1)
    expect(hooks.hits['/moved']).toBeUndefined()
    expect(smtp.to('eve@alerts.test')).toEqual([])

    // Another alert the same hour: the missing SMTP is not said again.
    defined.push(await define(root, HOOKS, { name: 'one more', kind: 'visitors_above', threshold: 1, recipients: ['eve@alerts.test'], webhook: `${hooks.url}/hook` }))
    expect(await watcher.check()).toBe(1)
    const lines = logged.slice(before.log)
    expect(lines.filter((l) => l.includes('mail is not configured'))).toHaveLength(1)
    expect(lines).toEqual(expect.arrayContaining([
      `alert webhook to ${hooks.url} failed, attempt 1 of 3: answered 500; next in 0.05 s`,
      `alert webhook to ${hooks.url} given up after 3 attempts: answered 500`,
      `alert webhook to ${hooks.url} given up after 1 attempt: answered 302, a redirect, not followed`,
      `alert webhook to ${hooks.url} given up after 3 attempts: no answer in time`,
    ]))
    expect(lines.join('\n')).not.toMatch(/hook-secret|\/fail|\/silent|\/redirect|eve@/)
    for (const alert of defined) expect((await callApi(server, 'DELETE', `/api/sites/${HOOKS}/alerts/${alert.id as string}`, { headers: as(root) })).status).toBe(204)
    unconfigured.close()
  })
})

describe('a change alert', { timeout: 120_000 }, () => {
  // Minute 20 of an hour: "this hour so far" is 20 minutes, compared with the same 20 minutes of past weeks.
  let hourStart = 0
  let row = 0
  const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
  /** `count` visitors in week `k`'s window (minutes 0–19 of the same hour), each with two events, plus some that do not count. */
  const week = (site: string, k: number, count: number) => {
    const start = hourStart - k * WEEK
    const rows = []
    for (let i = 0; i < count; i++) {
      const visitor = String(k * 1_000 + i + 1)
      for (const minute of [i % 19, (i % 19) + 0.5]) rows.push({ site, timestamp: at(start + minute * MINUTE), name: 'pageview', visitor_id: visitor, session_id: visitor, session_start: at(start), pathname: '/' })
    }
    // Later in that hour (past the part compared), and engaged-time beacons: neither counts.
    for (let i = 0; i < 7; i++) {
      const visitor = String(k * 1_000 + 500 + i)
      rows.push({ site, timestamp: at(start + (25 + i * 4) * MINUTE), name: 'pageview', visitor_id: visitor, session_id: visitor, session_start: at(start), pathname: '/' })
      rows.push({ site, timestamp: at(start + 3 * MINUTE), name: 'engagement', visitor_id: String(k * 1_000 + 700 + i), session_id: visitor, session_start: at(start), pathname: '/', engagement_ms: 1000 })
    }
    row += rows.length
    return rows
  }

  /** This test's own reckoning, in UTC milliseconds: the visitors of each window, and the average of the weeks the site already had data. */
  async function expected(site: string): Promise<{ current: number; baseline: number | undefined }> {
    const now = clock.ms
    const counts = await server.rows<{ k: number; visitors: string }>(
      `SELECT k, uniqExact(visitor_id) AS visitors FROM cairn.events ARRAY JOIN [0, 1, 2, 3, 4] AS k
       WHERE site = {site:String} AND name != 'engagement'
         AND toUnixTimestamp64Milli(timestamp) BETWEEN {start:Int64} - k * {week:Int64} AND {now:Int64} - k * {week:Int64}
       GROUP BY k ORDER BY k`,
      { site, start: hourStart, now, week: WEEK },
    )
    const [{ first }] = (await server.rows<{ first: string }>('SELECT toUnixTimestamp64Milli(min(timestamp)) AS first FROM cairn.events WHERE site = {site:String}', { site })) as [{ first: string }]
    const firstDay = Math.floor(Number(first) / DAY) * DAY
    const of = (k: number) => Number(counts.find((c) => Number(c.k) === k)?.visitors ?? 0)
    const weeks = [1, 2, 3, 4].filter((k) => hourStart - k * WEEK >= firstDay).map(of)
    return { current: of(0), baseline: weeks.length ? weeks.reduce((a, b) => a + b, 0) / weeks.length : undefined }
  }

  beforeAll(async () => {
    hourStart = Math.floor(clock.ms / HOUR) * HOUR + 3 * HOUR
    clock.ms = hourStart + 20 * MINUTE
    const seeded = [
      ...[18, 22, 20, 20].flatMap((n, i) => week(CHANGE, i + 1, n)),
      ...[20, 20, 20, 20].flatMap((n, i) => week(FLAT, i + 1, n)),
      ...[20, 20, 20, 20].flatMap((n, i) => week(DROP, i + 1, n)),
      ...[5, 4, 6, 5].flatMap((n, i) => week(SMALL, i + 1, n)),
      // A site counted for one week only: the three weeks before it had no data and are left out.
      ...week(YOUNG, 1, 20),
    ]
    await server.storage.insert({ table: 'cairn.events', values: seeded, format: 'JSONEachRow' })
    expect(row).toBe(seeded.length)
    await visit(CHANGE, 30, 3)
    await visit(FLAT, 21, 4)
    await visit(DROP, 8, 5)
    await visit(SMALL, 15, 6)
    await visit(YOUNG, 30, 7)
    await server.flush()
  }, 120_000)

  it('fires on a rise or a fall past its threshold, not on a flat hour, a small baseline or a threshold not reached', async () => {
    const numbers = Object.fromEntries(await Promise.all([CHANGE, FLAT, DROP, SMALL, YOUNG].map(async (s) => [s, await expected(s)] as const)))
    expect(numbers).toEqual({
      [CHANGE]: { current: 30, baseline: 20 },
      [FLAT]: { current: 21, baseline: 20 },
      [DROP]: { current: 8, baseline: 20 },
      [SMALL]: { current: 15, baseline: 5 },
      [YOUNG]: { current: 30, baseline: 20 },
    })
    expect(numbers[SMALL]!.baseline!).toBeLessThan(MIN_BASELINE)

    const hook = (name: string) => `${hooks.url}/change?alert=${name}`
    const alerts = {
      rise40: await define(root, CHANGE, { name: 'rise40', kind: 'change', direction: 'rise', threshold: 40, recipients: ['fay@alerts.test'], webhook: hook('rise40') }),
      // Exactly +50 %: "by 50 % or more" holds.
      either50: await define(root, CHANGE, { name: 'either50', kind: 'change', threshold: 50, recipients: ['gus@alerts.test'], language: 'fr' }),
      rise60: await define(root, CHANGE, { name: 'rise60', kind: 'change', direction: 'rise', threshold: 60, webhook: hook('rise60') }),
      fall20: await define(root, CHANGE, { name: 'fall20', kind: 'change', direction: 'fall', threshold: 20, webhook: hook('fall20') }),
      flat: await define(root, FLAT, { name: 'flat', kind: 'change', direction: 'either', threshold: 25, webhook: hook('flat') }),
      drop: await define(root, DROP, { name: 'drop', kind: 'change', direction: 'fall', threshold: 50, webhook: hook('drop') }),
      dropRise: await define(root, DROP, { name: 'dropRise', kind: 'change', direction: 'rise', threshold: 10, webhook: hook('dropRise') }),
      small: await define(root, SMALL, { name: 'small', kind: 'change', direction: 'rise', threshold: 10, webhook: hook('small') }),
      young: await define(root, YOUNG, { name: 'young', kind: 'change', direction: 'rise', threshold: 40, recipients: ['hal@alerts.test'] }),
    }
    expect(alerts.either50.direction).toBe('either')

    // rise40: a mail and a webhook; either50, young: a mail; drop: a webhook.
    expect(await check()).toBe(5)
    const fired = hooks.to('/change').map((h) => h.body.alert as { name: string })
    expect(fired.map((a) => a.name).sort()).toEqual(['drop', 'rise40'])

    const rise = hooks.to('/change').find((h) => (h.body.alert as { name: string }).name === 'rise40')!
    const change = (site: string) => Math.round(((numbers[site]!.current - numbers[site]!.baseline!) / numbers[site]!.baseline!) * 1000) / 10
    expect(rise.body).toMatchObject({ site: CHANGE, value: numbers[CHANGE]!.current, baseline: numbers[CHANGE]!.baseline, change_percent: change(CHANGE), threshold: 40, alert: { kind: 'change', direction: 'rise' } })
    expect(rise.body.text).toBe(`Cairn alert “rise40”: ${CHANGE} has had 30 visitors since ${new Intl.DateTimeFormat('en', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(hourStart)}, 50% more than on average at the same time on the previous four weeks (threshold 40%). ${PUBLIC_URL}/?site=${encodeURIComponent(CHANGE)}`)
    const drop = hooks.to('/change').find((h) => (h.body.alert as { name: string }).name === 'drop')!
    expect(drop.body).toMatchObject({ site: DROP, value: 8, baseline: 20, change_percent: change(DROP), threshold: 50, alert: { direction: 'fall' } })
    expect(change(DROP)).toBe(-60)

    expect(smtp.to('fay@alerts.test').map((m) => m.subject)).toEqual([`${CHANGE}: 50% more visitors than usual this hour`])
    const percent = new Intl.NumberFormat('fr', { style: 'percent' }).format(0.5)
    const gus = smtp.to('gus@alerts.test')
    expect(gus.map((m) => m.subject)).toEqual([`${CHANGE}\u00a0: ${percent} de visiteurs en plus que d’habitude cette heure-ci`])
    expect(gus[0]!.text).toContain(`contre 20 en moyenne au même moment des quatre semaines précédentes\u00a0: ${percent} de plus`)
    expect(smtp.to('hal@alerts.test')).toHaveLength(1)
    expectNoAddress([...smtp.mails.flatMap(mailTexts), ...hooks.received.map((h) => h.raw)])

    // Once an hour.
    expect(await check()).toBe(0)
    expect(hooks.to('/change')).toHaveLength(2)
  })
})

describe('the alerts API', { timeout: 60_000 }, () => {
  const path = `/api/sites/${SPIKE}/alerts`
  const valid = { name: 'Spike', kind: 'visitors_above', threshold: 50, recipients: ['ops@alerts.test'] }

  it('is refused without credentials, to viewers, to other sites’ admins and from another origin', async () => {
    const made = await define(owner, SPIKE, valid)
    const one = `${path}/${made.id as string}`
    await expectRefusal(await callApi(server, 'GET', path), 401, 'GET without credentials')
    await expectRefusal(await callApi(server, 'POST', path, { body: valid }), 401, 'POST without credentials')
    await expectRefusal(await callApi(server, 'PATCH', one, { body: { threshold: 5 } }), 401, 'PATCH without credentials')
    await expectRefusal(await callApi(server, 'DELETE', one), 401, 'DELETE without credentials')
    await expectRefusal(await callApi(server, 'GET', path, { headers: as('cairn_login=forged') }), 401, 'forged cookie')
    // The recipients and the webhook's secret are for the site's admins: a viewer does not even read them.
    await expectRefusal(await callApi(server, 'GET', path, { headers: as(viewer) }), 403, 'GET as a viewer')
    await expectRefusal(await callApi(server, 'POST', path, { headers: as(viewer), body: valid }), 403, 'POST as a viewer')
    await expectRefusal(await callApi(server, 'DELETE', one, { headers: as(viewer) }), 403, 'DELETE as a viewer')
    await expectRefusal(await callApi(server, 'GET', path, { headers: as(stranger) }), 403, 'another site’s admin')
    await expectRefusal(await callApi(server, 'PATCH', one, { headers: as(stranger), body: { recipients: ['mallory@alerts.test'] } }), 403, 'PATCH by another site’s admin')
    await expectRefusal(await callApi(server, 'POST', path, { headers: as(owner, { origin: 'https://evil.example' }), body: valid }), 403, 'another origin')
    await expectRefusal(await callApi(server, 'DELETE', one, { headers: as(owner, { origin: 'https://evil.example' }) }), 403, 'DELETE from another origin')
    const listed = await json<{ alerts: { id: string; recipients: string[] }[] }>(await callApi(server, 'GET', path, { headers: as(owner) }))
    expect(listed.alerts).toEqual([expect.objectContaining({ id: made.id, recipients: ['ops@alerts.test'], threshold: 50 })])
  })

  it('names each field at fault', async () => {
    const fields = async (body: Record<string, unknown>, what: string) => Object.keys((await expectRefusal(await callApi(server, 'POST', path, { headers: as(owner), body }), 400, what)).errors as object).sort()
    expect(await fields({ ...valid, webhook: 'http://hooks.example.com/x' }, 'http webhook')).toEqual(['webhook'])
    expect(await fields({ ...valid, webhook: 'not a url' }, 'not a URL')).toEqual(['webhook'])
    expect(await fields({ ...valid, webhook: 'ftp://hooks.example.com/x' }, 'ftp webhook')).toEqual(['webhook'])
    expect(await fields({ ...valid, webhook: 42 }, 'a number')).toEqual(['webhook'])
    expect(await fields({ ...valid, recipients: ['nobody'] }, 'a bad address')).toEqual(['recipients'])
    expect(await fields({ ...valid, recipients: 'ops@alerts.test' }, 'not a list')).toEqual(['recipients'])
    expect(await fields({ ...valid, recipients: [] }, 'nobody to tell')).toEqual(['recipients'])
    expect(await fields({ name: '', kind: 'sometimes', threshold: 5, recipients: ['ops@alerts.test'], language: 'de' }, 'three at once')).toEqual(['kind', 'language', 'name'])
    expect(await fields({ ...valid, threshold: 0 }, 'zero')).toEqual(['threshold'])
    expect(await fields({ ...valid, threshold: 2.5 }, 'a fraction')).toEqual(['threshold'])
    expect(await fields({ ...valid, kind: 'change', direction: 'sideways', threshold: 20 }, 'a direction')).toEqual(['direction'])
    expect(await fields({ ...valid, kind: 'change', direction: 'fall', threshold: 150 }, 'a fall past 100 %')).toEqual(['threshold'])
    const french = await expectRefusal(await callApi(server, 'POST', path, { headers: as(owner, { 'accept-language': 'fr' }), body: { ...valid, webhook: 'http://hooks.example.com/x' } }), 400)
    expect((french.errors as Record<string, string>).webhook).toMatch(/^doit être une adresse https:\/\//)

    // https anywhere, http on this machine only.
    expect((await define(owner, SPIKE, { ...valid, recipients: [], webhook: 'https://hooks.example.com/services/T0/B0/x' })).webhook).toBe('https://hooks.example.com/services/T0/B0/x')
  })

  it('changes and removes an alert; a changed kind needs its own threshold', async () => {
    const made = await define(owner, SPIKE, valid)
    const one = `${path}/${made.id as string}`
    const changed = await callApi(server, 'PATCH', one, { headers: as(owner), body: { threshold: 75, recipients: ['ops@alerts.test', 'oncall@alerts.test'] } })
    expect(await json(changed)).toMatchObject({ id: made.id, name: 'Spike', threshold: 75, recipients: ['ops@alerts.test', 'oncall@alerts.test'] })
    await expectRefusal(await callApi(server, 'PATCH', one, { headers: as(owner), body: { kind: 'change' } }), 400, 'kind without threshold')
    expect(await json(await callApi(server, 'PATCH', one, { headers: as(owner), body: { kind: 'change', threshold: 30 } }))).toMatchObject({ kind: 'change', direction: 'either', threshold: 30 })
    await expectRefusal(await callApi(server, 'PATCH', `${path}/nope`, { headers: as(owner), body: { threshold: 5 } }), 404, 'unknown id')
    await expectRefusal(await callApi(server, 'PATCH', `/api/sites/${OTHER}/alerts/${made.id as string}`, { headers: as(root), body: { threshold: 5 } }), 404, 'another site’s id')
    expect((await callApi(server, 'DELETE', one, { headers: as(owner) })).status).toBe(204)
    await expectRefusal(await callApi(server, 'DELETE', one, { headers: as(owner) }), 404, 'deleted twice')
  })
})
