/**
 * Mail against a real SMTP server in the test process (test/helpers/smtp.ts), read with mailparser:
 * an invitation whose link sets a password that then logs in; a reset; the recipient's language; links
 * that work once, only until a newer one, and point at CAIRN_PUBLIC_URL whatever Host the request said;
 * tokens and the SMTP password never stored or logged in clear; without SMTP, the link is given to the
 * admin instead (mail-unconfigured.test.ts); SMTP down: the request answers at once, the mail is retried with backoff, counted in
 * /metrics and the settings' status, then delivered. Every new route refused without credentials, with
 * the wrong ones and from another origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { sha256 } from '../dashboard/server/auth/secrets.ts'
import type { Log } from '../collector/ingest/log.ts'
import { callApi, expectRefusal, json, loginCookie, passwordOf } from './helpers/admin-api.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'
import { TestSmtp } from './helpers/smtp.ts'
import { DESKTOP, DashboardBrowser } from './helpers/dashboard-browser.ts'

const SITE = uniqueSite('mail')
const OTHER = uniqueSite('mail-other')
const PUBLIC_URL = 'https://analytics.mail.test'
const OWNER = 'owner@mail.test'
const ROOT = 'root@mail.test'
const VIEWER = 'viewer@mail.test'
/** A script on the server's own machine sends no Origin; the browser's own pages send theirs (tested in csrf.test.ts). */
const SAME_ORIGIN = {}

let smtp: TestSmtp
let server: TestServer
const logged: string[] = []
const log: Log = { info: (m) => logged.push(m), error: (m) => logged.push(m) }
let owner = ''
let root = ''
let viewer = ''

beforeAll(async () => {
  smtp = await TestSmtp.start()
  server = await TestServer.start({
    sites: [SITE, OTHER],
    env: { CAIRN_SMTP_URL: smtp.url, CAIRN_MAIL_FROM: 'Cairn <analytics@mail.test>', CAIRN_PUBLIC_URL: PUBLIC_URL },
    log,
    // Enough attempts (at most 600 ms apart) to outlast a slow CI machine's browser check during the outage.
    mailer: { retryMs: 150, maxDelayMs: 600, attempts: 400 },
  })
  const access = server.server.collector.access
  await addUser(access, OWNER, passwordOf(OWNER), 'admin', SITE)
  await addUser(access, ROOT, passwordOf(ROOT), 'admin', '*')
  await addUser(access, VIEWER, passwordOf(VIEWER), 'viewer', SITE)
  owner = await loginCookie(server, OWNER, passwordOf(OWNER))
  root = await loginCookie(server, ROOT, passwordOf(ROOT))
}, 60_000)
afterAll(async () => {
  await server?.stop()
  await smtp?.stop()
})

const as = (cookie: string, extra: Record<string, string> = {}) => ({ cookie, ...SAME_ORIGIN, ...extra })
/** The link a mail carries (text and HTML alike), and its token. */
function linkIn(mail: { text?: string; html?: string | false }): { link: string; token: string } {
  const link = /https:\/\/analytics\.mail\.test\/\?token=(\S+)/.exec(mail.text ?? '')
  expect(link, mail.text).not.toBeNull()
  expect(mail.html || '').toContain(link![0].replace(/&/g, '&amp;'))
  return { link: link![0], token: decodeURIComponent(link![1]!) }
}

describe('invitations', { timeout: 60_000 }, () => {
  it('mails a link in the inviter’s language that sets the password of a new person, who then logs in and sees only that site', async () => {
    const email = 'nina@mail.test'
    // A Host header set by whoever asks does not make the link: CAIRN_PUBLIC_URL does.
    const invited = await callApi(server, 'POST', `/api/sites/${SITE}/invitations`, { headers: as(owner, { 'accept-language': 'fr-FR', 'x-forwarded-host': 'evil.example' }), body: { email, role: 'viewer' } })
    expect(invited.status).toBe(201)
    expect(await json(invited)).toEqual({ email, role: 'viewer', existed: false, mailed: true })

    const mail = await smtp.next(email)
    expect(mail.from?.text).toBe('"Cairn" <analytics@mail.test>')
    expect(mail.subject).toBe(`Votre accès aux statistiques de ${SITE}`)
    expect(mail.text).toContain(`${OWNER} vous donne accès aux statistiques d’audience de ${SITE} sur Cairn.`)
    expect(mail.html).toContain('<html lang="fr">')
    expect(mail.text).not.toContain('evil.example')
    const { token } = linkIn(mail)

    // Only the token's hash is stored; the log has neither the token nor the address.
    const rows = await server.rows<Record<string, string>>('SELECT * FROM cairn.mail_tokens')
    expect(JSON.stringify(rows)).not.toContain(token)
    expect(rows.map((r) => r.token_hash)).toContain(sha256(token))
    expect(logged.join('\n')).not.toContain(token)

    // Until the link is used, no password logs in; the page knows whom the link is for.
    expect(await json(await callApi(server, 'GET', `/api/auth/token?token=${encodeURIComponent(token)}`))).toEqual({ email, purpose: 'invite' })
    await expectRefusal(await callApi(server, 'POST', '/api/auth/token', { headers: SAME_ORIGIN, body: { token, password: 'short' } }), 400, 'short password')
    const set = await callApi(server, 'POST', '/api/auth/token', { headers: SAME_ORIGIN, body: { token, password: 'nina chose this one' } })
    expect(set.status).toBe(200)
    expect(await json(set)).toEqual({ email })
    const cookie = await loginCookie(server, email, 'nina chose this one')
    expect(cookie).not.toBe('')
    const sites = await json<{ sites: { site: string }[] }>(await callApi(server, 'GET', '/api/sites', { headers: { cookie } }))
    expect(sites.sites.map((s) => s.site)).toEqual([SITE])

    // Once only.
    await expectRefusal(await callApi(server, 'POST', '/api/auth/token', { headers: SAME_ORIGIN, body: { token, password: 'someone else’s try' } }), 404, 'used twice')
    expect(await loginCookie(server, email, 'someone else’s try')).toBe('')
    expect((await callApi(server, 'GET', `/api/auth/token?token=${encodeURIComponent(token)}`)).status).toBe(404)
  })

  it('gives an existing person the role without a mail or a new password', async () => {
    const before = smtp.to(VIEWER).length
    const invited = await callApi(server, 'POST', `/api/sites/${OTHER}/invitations`, { headers: as(root), body: { email: VIEWER, role: 'viewer' } })
    expect(await json(invited)).toEqual({ email: VIEWER, role: 'viewer', existed: true, mailed: false })
    expect(await loginCookie(server, VIEWER, passwordOf(VIEWER))).not.toBe('')
    expect(smtp.to(VIEWER).length).toBe(before)
  })

  it('are refused without credentials, with the wrong ones, to a site one does not administer, and from another origin', async () => {
    const path = `/api/sites/${SITE}/invitations`
    const body = { email: 'mallory@mail.test', role: 'admin' }
    viewer = await loginCookie(server, VIEWER, passwordOf(VIEWER))
    await expectRefusal(await callApi(server, 'POST', path, { headers: SAME_ORIGIN, body }), 401, 'no credentials')
    await expectRefusal(await callApi(server, 'POST', path, { headers: as('cairn_login=forged'), body }), 401, 'forged cookie')
    await expectRefusal(await callApi(server, 'POST', path, { headers: as(viewer), body }), 403, 'a viewer')
    await expectRefusal(await callApi(server, 'POST', `/api/sites/${OTHER}/invitations`, { headers: as(owner), body }), 403, 'another site')
    await expectRefusal(await callApi(server, 'POST', path, { headers: { cookie: owner, origin: 'https://evil.example' }, body }), 403, 'another origin')
    await expectRefusal(await callApi(server, 'POST', `/api/users/${VIEWER}/reset-link`, { headers: as(owner) }), 403, 'reset link by a site admin')
    await expectRefusal(await callApi(server, 'GET', '/api/mail', { headers: as(owner) }), 403, 'mail status by a site admin')
    await expectRefusal(await callApi(server, 'GET', '/api/mail'), 401, 'mail status without credentials')
    await expectRefusal(await callApi(server, 'POST', '/api/auth/reset', { headers: { origin: 'https://evil.example' }, body: { email: VIEWER } }), 403, 'reset from another origin')
    expect(smtp.to('mallory@mail.test')).toEqual([])
    expect((await server.rows<{ n: string }>("SELECT count() AS n FROM cairn.users WHERE email = 'mallory@mail.test'"))[0]!.n).toBe('0')
  })
})

describe('password resets', { timeout: 60_000 }, () => {
  it('mail a one-hour link to a known address only, answering the same for an unknown one; a newer link replaces the older', async () => {
    const email = 'rita@mail.test'
    await addUser(server.server.collector.access, email, passwordOf(email), 'viewer', SITE)
    const asked = await callApi(server, 'POST', '/api/auth/reset', { headers: SAME_ORIGIN, body: { email } })
    const unknown = await callApi(server, 'POST', '/api/auth/reset', { headers: SAME_ORIGIN, body: { email: 'nobody@mail.test' } })
    expect([asked.status, unknown.status]).toEqual([202, 202])
    expect(await asked.text()).toBe(await unknown.text())

    const first = linkIn(await smtp.next(email))
    const mail = (await smtp.next(email))
    expect(mail.subject).toBe('A new password for Cairn')
    expect(mail.text).toContain('The link works once, for 60 minutes.')
    // A second request: the first link stops working.
    await callApi(server, 'POST', '/api/auth/reset', { headers: SAME_ORIGIN, body: { email } })
    const second = linkIn(await smtp.next(email, (m) => !m.text?.includes(first.token)))
    expect(second.token).not.toBe(first.token)
    await expectRefusal(await callApi(server, 'POST', '/api/auth/token', { headers: SAME_ORIGIN, body: { token: first.token, password: 'rita new password' } }), 404, 'older link')

    expect((await callApi(server, 'POST', '/api/auth/token', { headers: SAME_ORIGIN, body: { token: second.token, password: 'rita new password' } })).status).toBe(200)
    expect(await loginCookie(server, email, passwordOf(email))).toBe('')
    expect(await loginCookie(server, email, 'rita new password')).not.toBe('')
    expect(smtp.to('nobody@mail.test')).toEqual([])
  })

  it('are sent by an admin of every site, in the person’s own language', async () => {
    const email = 'yves@mail.test'
    await addUser(server.server.collector.access, email, passwordOf(email), 'viewer', SITE)
    const yves = await loginCookie(server, email, passwordOf(email))
    expect((await callApi(server, 'PATCH', '/api/auth/me', { headers: as(yves), body: { language: 'fr' } })).status).toBe(200)
    const sent = await callApi(server, 'POST', `/api/users/${email}/reset-link`, { headers: as(root, { 'accept-language': 'en' }) })
    expect(await json(sent)).toEqual({ email, mailed: true })
    const mail = await smtp.next(email)
    expect(mail.subject).toBe('Un nouveau mot de passe pour Cairn')
    linkIn(mail)
  })
})

describe('when SMTP fails', { timeout: 60_000 }, () => {
  it('answers at once, retries with backoff, shows it in /metrics and the settings, then delivers; ingest and stats go on meanwhile', async () => {
    smtp.down = true
    const outage = Date.now()
    const email = 'olga@mail.test'
    const invited = await callApi(server, 'POST', `/api/sites/${SITE}/invitations`, { headers: as(owner), body: { email, role: 'viewer' } })
    expect(await json(invited)).toMatchObject({ mailed: true })
    // The mail is still undelivered when the request has answered, and the server serves on.
    expect(smtp.to(email)).toEqual([])
    expect((await server.post({ d: SITE, n: 'pageview', u: `https://${SITE}/during-outage` })).status).toBe(202)
    expect((await callApi(server, 'GET', `/api/stats/${SITE}/aggregate?period=today`, { headers: { cookie: owner } })).status).toBe(200)
    await expect.poll(() => smtp.refused, { timeout: 15_000 }).toBeGreaterThanOrEqual(3)

    const status = await json<{ configured: boolean; pending: number; failures: number; last_error: string | null }>(await callApi(server, 'GET', '/api/mail', { headers: as(root) }))
    expect(status).toMatchObject({ configured: true, pending: 1 })
    expect(status.failures).toBeGreaterThanOrEqual(3)
    expect(status.last_error).toMatch(/451/)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(Number(/^cairn_mail_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3)
    expect(metrics).toMatch(/^cairn_mail_pending 1$/m)

    // The settings say so too (for an admin of every site), in the reports' screen.
    const browser = await DashboardBrowser.launch(server)
    try {
      const page = await (await browser.newContext({ viewport: DESKTOP })).newPage()
      await browser.logIn(page, { email: ROOT, password: passwordOf(ROOT) }, `/?view=settings&tab=reports&manage=${SITE}`)
      const shown = page.locator('cairn-settings-reports p.mail-status')
      await expect.poll(() => shown.textContent(), { timeout: 15_000 }).toContain('Mail: 1 mail waiting for another attempt.')
      expect(await shown.textContent()).toMatch(/Last failure, .*451/)
    } finally {
      await browser.close()
    }

    smtp.down = false
    const mail = await smtp.next(email)
    linkIn(mail)
    await expect.poll(async () => /^cairn_mail_pending (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]).toBe('0')
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^cairn_mail_sent_total\{kind="invite"\} [1-9]/m)
    // Retried with backoff (150, 300, 600, 600… ms apart): no more attempts than those delays allow, none given up.
    expect(smtp.refused).toBeLessThanOrEqual(4 + (Date.now() - outage) / 600)
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^cairn_mail_given_up_total 0$/m)
    // The log says what failed, never to whom or with which password.
    const text = logged.join('\n')
    expect(text).toMatch(/mail \(invite\) failed, attempt 1 of 400/)
    expect(text).not.toContain(email)
    expect(text).not.toContain(smtp.password)
  })
})
