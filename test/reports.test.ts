/**
 * Scheduled reports against a real SMTP server (test/helpers/smtp.ts) and the real engine: a weekly report
 * for a site in Europe/Paris, due on Monday morning there, whose numbers are the stats API's for that week;
 * sent exactly once with two schedulers running at the same time and again after a restart; in the
 * recipient's language, with a PNG graph, a plain-text part and an unsubscribe link that works without
 * logging in (and one-click, RFC 8058); drawn in Chromium (test/artifacts/report-email.png). Preview and
 * "send now" for the site's admins only.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { Mailer } from '../dashboard/server/mail/mailer.ts'
import { Reports } from '../dashboard/server/mail/reports.ts'
import { silentLog } from '../collector/ingest/log.ts'
import { translator } from '../dashboard/i18n/translate.ts'
import { callApi, expectRefusal, json, loginCookie, passwordOf } from './helpers/admin-api.ts'
import { ARTIFACTS, DESKTOP, DashboardBrowser } from './helpers/dashboard-browser.ts'
import { Clock, TestServer, uniqueSite } from './helpers/server.ts'
import { TestSmtp } from './helpers/smtp.ts'

const run = promisify(execFile)
const SITE = uniqueSite('reports')
const OTHER = uniqueSite('reports-other')
const ZONE = 'Europe/Paris'
const PUBLIC_URL = 'https://analytics.reports.test'
const OWNER = 'owner@reports.test'
const VIEWER = 'viewer@reports.test'
const TO = 'marketing@reports.test'
/** Monday 30 November 2026, 08:00 in Paris: the week of 23–29 November is due. */
const MONDAY_8AM = Date.parse('2026-11-30T07:00:00Z')

let smtp: TestSmtp
let server: TestServer
const clock = new Clock(Date.parse('2026-11-16T10:00:00Z'))
let owner = ''

beforeAll(async () => {
  smtp = await TestSmtp.start()
  server = await TestServer.start({
    sites: [`${SITE}=${ZONE}`, OTHER],
    clock,
    env: { CAIRN_SMTP_URL: smtp.url, CAIRN_MAIL_FROM: 'Cairn <reports@reports.test>', CAIRN_PUBLIC_URL: PUBLIC_URL, TRUST_PROXY: 'true' },
    reportSettleMs: 400,
  })
  const access = server.server.collector.access
  await addUser(access, OWNER, passwordOf(OWNER), 'admin', SITE)
  await addUser(access, VIEWER, passwordOf(VIEWER), 'viewer', SITE)
  // The week before (16–22 Nov): 3 visitors; the reported week (23–29 Nov): 5 visitors, one a day, 2 from Google.
  // Each visitor consents (a cookie identifies them): the test's clock is weeks behind the engine's own,
  // by which the cookieless salts expire two days after their day (their TTL), so they would be gone.
  const visit = async (day: number, visitor: number, referrer: string | null, pages: string[]) => {
    clock.ms = Date.parse(`2026-11-${String(day).padStart(2, '0')}T10:00:00Z`) + visitor * 60_000
    let cookie = ''
    for (const path of pages) {
      const response = await server.post({ d: SITE, n: 'pageview', u: `https://${SITE}${path}`, r: referrer, c: true }, { 'x-forwarded-for': `10.7.${visitor}.1`, ...(cookie && { cookie }) })
      expect(response.status).toBe(202)
      cookie ||= response.headers.getSetCookie()[0]!.split(';')[0]!
    }
  }
  for (let v = 0; v < 3; v++) await visit(17 + v, v, null, ['/'])
  for (let v = 10; v < 15; v++) await visit(23 + (v - 10), v, v < 12 ? 'https://www.google.com/' : null, v % 2 ? ['/', '/pricing'] : ['/'])
  await server.flush()
  clock.ms = MONDAY_8AM
  owner = await loginCookie(server, OWNER, passwordOf(OWNER))
}, 60_000)
afterAll(async () => {
  await server?.stop()
  await smtp?.stop()
})

describe('weekly reports', { timeout: 90_000 }, () => {
  it('are sent once, on Monday morning in the site’s time zone, by one of two schedulers, and not again after a restart', async () => {
    const subscribed = await callApi(server, 'POST', `/api/sites/${SITE}/reports`, { headers: { cookie: owner }, body: { email: TO, frequency: 'weekly', language: 'fr' } })
    expect(await json(subscribed)).toEqual({ email: TO, frequency: 'weekly', language: 'fr', mail: true })

    // Sunday night in Paris, and Monday 6:30 there: nothing is due yet (the week before was due before the subscription).
    for (const early of [MONDAY_8AM - 9 * 60 * 60_000, MONDAY_8AM - 90 * 60_000]) {
      clock.ms = early
      expect(await server.server.collector.reports.runDue()).toBe(0)
    }
    clock.ms = MONDAY_8AM

    // A second collector's scheduler on the same database, at the same moment.
    const mailer = new Mailer({ transport: smtp.url, from: 'Cairn <reports@reports.test>' }, silentLog)
    const second = new Reports({ storage: server.storage, mailer, sites: server.server.collector.sites, publicUrl: PUBLIC_URL, log: silentLog, now: clock.now, settleMs: 400 })
    const sent = await Promise.all([server.server.collector.reports.runDue(), second.runDue()])
    expect(sent.reduce((a, b) => a + b)).toBe(1)
    await smtp.next(TO)
    expect(smtp.to(TO)).toHaveLength(1)

    await server.restart()
    const again = new Reports({ storage: server.storage, mailer, sites: server.server.collector.sites, publicUrl: PUBLIC_URL, log: silentLog, now: clock.now, settleMs: 400 })
    expect(await Promise.all([server.server.collector.reports.runDue(), again.runDue()])).toEqual([0, 0])
    mailer.close()
    expect(smtp.to(TO)).toHaveLength(1)
    const [row] = await server.rows<{ n: string }>("SELECT countIf(sent_at IS NOT NULL) AS n FROM cairn.reports_sent WHERE period_start = '2026-11-23'")
    expect(row!.n).toBe('1')
  })

  it('say what the stats API says of that week, in French, with a PNG graph, a text part and one-click unsubscribe', async () => {
    const mail = smtp.to(TO)[0]!
    expect(mail.subject).toBe(`${SITE}\u00a0: la semaine du 23 nov. au 29 nov. 2026`)
    const api = await json<{ results: Record<string, number>; previous: { results: Record<string, number> } }>(
      await callApi(server, 'GET', `/api/stats/${SITE}/aggregate?period=custom&from=2026-11-23&to=2026-11-29&compare=previous`, { headers: { cookie: owner } }),
    )
    expect([api.results.visitors, api.previous.results.visitors]).toEqual([5, 3])
    const text = mail.text!
    const fr = new Intl.NumberFormat('fr')
    expect(text).toContain(`Visiteurs uniques: ${fr.format(api.results.visitors!)} (↑ 67\u00a0% par rapport à la période précédente)`)
    expect(text).toContain(`Pages vues: ${fr.format(api.results.pageviews!)}`)
    expect(text).toContain(`Visites: ${fr.format(api.results.visits!)}`)
    // Sources and pages as the breakdowns count them.
    const sources = await json<{ rows: { value: string; visitors: number }[] }>(await callApi(server, 'GET', `/api/stats/${SITE}/breakdown/source?period=custom&from=2026-11-23&to=2026-11-29`, { headers: { cookie: owner } }))
    for (const r of sources.rows) expect(text).toContain(`- ${r.value || translator('fr')('value.direct')} · ${r.visitors}`)
    expect(text).toContain('- /pricing · 2')
    expect(mail.html).toContain('<html lang="fr">')
    expect(mail.html).toContain('src="cid:visitors-chart"')
    const chart = mail.attachments.find((a) => a.cid === 'visitors-chart')!
    expect(chart.contentType).toBe('image/png')
    expect(chart.content.subarray(1, 4).toString()).toBe('PNG')

    // The unsubscribe link, in the text and in the header mail clients offer.
    const link = /https:\/\/analytics\.reports\.test\/reports\/unsubscribe\?token=\S+/.exec(text)![0]
    const header = (name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, '')
    expect(header('list-unsubscribe')).toBe(`<${link}>`)
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click')
    const path = link.slice(PUBLIC_URL.length)

    // Drawn in Chromium, the graph included.
    const browser = await DashboardBrowser.launch(server)
    try {
      const page = await (await browser.newContext({ viewport: DESKTOP })).newPage()
      await page.setContent((mail.html as string).replace('cid:visitors-chart', `data:image/png;base64,${chart.content.toString('base64')}`))
      expect(await page.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(560)
      expect(await page.locator('h1').textContent()).toBe(mail.subject)
      await page.screenshot({ path: `${ARTIFACTS}report-email.png`, fullPage: true })
    } finally {
      await browser.close()
    }

    // The page asks, without a login; a mail client's one-click post stops the report.
    const asked = await fetch(server.url + path)
    expect(asked.status).toBe(200)
    expect(await asked.text()).toContain(`Ne plus envoyer le rapport hebdomadaire de ${SITE} à ${TO}\u202f?`)
    const stopped = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://mail.example' }, body: 'List-Unsubscribe=One-Click' })
    expect(stopped.status).toBe(200)
    expect(await stopped.text()).toContain('ne recevra plus')
    expect((await json<{ reports: unknown[] }>(await callApi(server, 'GET', `/api/sites/${SITE}/reports`, { headers: { cookie: owner } }))).reports).toEqual([])
    expect((await fetch(server.url + path)).status).toBe(404)
  })

  it('are previewed and sent now by the site’s admins only', async () => {
    const preview = await callApi(server, 'GET', `/api/sites/${SITE}/reports/preview?frequency=weekly&lang=en`, { headers: { cookie: owner } })
    expect(preview.status).toBe(200)
    const html = await preview.text()
    expect(html).toContain(`${SITE}: the week of Nov 23 to Nov 29, 2026`)
    expect(html).toContain('src="data:image/png;base64,')
    expect(preview.headers.get('content-security-policy')).toContain("default-src 'none'")

    const now = await callApi(server, 'POST', `/api/sites/${SITE}/reports/send`, { headers: { cookie: owner }, body: { email: 'boss@reports.test', frequency: 'weekly', language: 'en' } })
    expect(await json(now)).toEqual({ email: 'boss@reports.test', frequency: 'weekly', from: '2026-11-23', to: '2026-11-29', mailed: true })
    const mail = await smtp.next('boss@reports.test')
    expect(mail.subject).toBe(`${SITE}: the week of Nov 23 to Nov 29, 2026`)
    // Not subscribed: nothing to unsubscribe from.
    expect(mail.text).not.toContain('/reports/unsubscribe')

    // The same from a terminal, through the running server's socket: `cairn reports send`.
    const cli = await run(process.execPath, ['collector/bin/cairn.js', 'reports', 'send', '--site', SITE, '--to', 'cli@reports.test', '--monthly'], {
      env: { ...process.env, CAIRN_DATA_DIR: server.dataDir, CAIRN_SITES: SITE, LANG: 'C' },
      cwd: new URL('..', import.meta.url).pathname,
    })
    expect(cli.stdout).toBe(`the monthly report of ${SITE} for 2026-10-01 to 2026-10-31 is on its way to cli@reports.test\n`)
    expect((await smtp.next('cli@reports.test')).subject).toBe(`${SITE}: October 2026`)

    const viewer = await loginCookie(server, VIEWER, passwordOf(VIEWER))
    for (const [method, path, body] of [
      ['GET', `/api/sites/${SITE}/reports`, undefined],
      ['POST', `/api/sites/${SITE}/reports`, { email: 'x@reports.test', frequency: 'weekly' }],
      ['GET', `/api/sites/${SITE}/reports/preview`, undefined],
      ['POST', `/api/sites/${SITE}/reports/send`, { email: 'x@reports.test' }],
      ['DELETE', `/api/sites/${SITE}/reports/weekly/${TO}`, undefined],
    ] as const) {
      await expectRefusal(await callApi(server, method, path, { body }), 401, `${method} ${path} without credentials`)
      await expectRefusal(await callApi(server, method, path, { headers: { cookie: 'cairn_login=forged' }, body }), 401, `${method} ${path} forged`)
      await expectRefusal(await callApi(server, method, path, { headers: { cookie: viewer }, body }), 403, `${method} ${path} as a viewer`)
      await expectRefusal(await callApi(server, method, path.replace(SITE, OTHER), { headers: { cookie: owner }, body }), 403, `${method} ${path} of another site`)
      if (method !== 'GET') await expectRefusal(await callApi(server, method, path, { headers: { cookie: owner, origin: 'https://evil.example' }, body }), 403, `${method} ${path} from another origin`)
    }
    await expectRefusal(await callApi(server, 'POST', `/api/sites/${SITE}/reports`, { headers: { cookie: owner }, body: { email: 'x@reports.test', frequency: 'daily' } }), 400, 'a daily report')
    expect(smtp.to('x@reports.test')).toEqual([])
  })
})
