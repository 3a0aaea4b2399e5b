/**
 * The settings in Chromium, against the real server and its storage: an admin of every site adds a site
 * and sees its first event arrive, invites a viewer (who then sees that site and no other), creates and
 * revokes an API key and a shared link (each works, then is refused), answers an erasure request (the
 * rows leave the storage), turns on two-factor authentication and logs in again with a code. Then every
 * screen, light, dark and on a phone, is photographed into test/artifacts/ and checked by axe-core
 * (WCAG 2.1 A and AA), and once more in French.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { addUser } from '../dashboard/server/auth/users.ts'
import { writeClaims } from '../sql/alerts.ts'
import { SETTINGS_TABS, type SettingsTab } from '../dashboard/ui/state.ts'
import { seriousViolations } from './helpers/accessibility.ts'
import { ARTIFACTS, DESKTOP, DashboardBrowser, LOOKS, PHONE, focusedElement } from './helpers/dashboard-browser.ts'
import { TestServer, pageview, uniqueSite } from './helpers/server.ts'

const run = promisify(execFile)
const SITE = 'settings.example'
const ADDED = uniqueSite('added')
const ADMIN = { email: 'root@example.com', password: 'root password 123' }
const VIEWER = 'viewer@example.com'

let server: TestServer
let browser: DashboardBrowser
/** The admin's TOTP, known once enrolled: every later login needs a code. */
let totp: TOTP | undefined

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${SITE}=Europe/Paris`] })
  await addUser(server.server.collector.access, ADMIN.email, ADMIN.password, 'admin', '*')
  browser = await DashboardBrowser.launch(server)
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** A code of the step after the current one: a code is accepted once, and the server allows a step of drift. */
const nextCode = () => totp!.generate({ timestamp: Date.now() + 30_000 })

/** A browser context logged in as the admin, with the cookie of the login that used a code: a code is good only once. */
const asAdmin = (options: Parameters<Browser['newContext']>[0]) => browser.loggedInContext(options, 'the admin logged in with two factors')

/** What shows that a screen has its data: a table, its empty state, or its form. */
const READY: Record<SettingsTab, string> = {
  sites: 'cairn-settings-sites table',
  goals: 'cairn-settings-goals table, cairn-settings-goals p.none',
  reports: 'cairn-settings-reports table, cairn-settings-reports p.none',
  alerts: 'cairn-settings-alerts table, cairn-settings-alerts p.none',
  people: 'cairn-settings-people table, cairn-settings-people p.none',
  keys: 'cairn-settings-keys table, cairn-settings-keys p.none',
  links: 'cairn-settings-links table, cairn-settings-links p.none',
  requests: 'cairn-settings-requests table, cairn-settings-requests p.none',
  imports: 'cairn-settings-imports ul.imports, cairn-settings-imports p.none',
  retention: 'cairn-settings-retention .figure',
  account: 'cairn-settings-account #current',
}

async function openScreen(page: Page, tab: SettingsTab, query = ''): Promise<void> {
  await page.goto(`${server.url}/?view=settings&tab=${tab}&manage=${ADDED}${query}`)
  await page.locator(READY[tab]).first().waitFor({ timeout: 15_000 })
  await expect.poll(() => page.locator('cairn-settings .loading').count(), { timeout: 15_000 }).toBe(0)
}

/** Moves to a screen through the settings' menu, as a reader does. */
async function goTo(page: Page, tab: SettingsTab): Promise<void> {
  await page.locator(`cairn-settings nav a[data-tab="${tab}"]`).click()
  await expect.poll(() => new URL(page.url()).searchParams.get('tab')).toBe(tab)
  await page.locator(READY[tab]).first().waitFor({ timeout: 15_000 })
}

const stats = (site: string, headers: Record<string, string>) => fetch(`${server.url}/api/stats/${site}/aggregate?period=7d`, { headers })

describe('the settings, for an admin of every site', { timeout: 90_000 }, () => {
  let context: BrowserContext
  let page: Page
  beforeAll(async () => {
    context = await browser.newContext({ viewport: DESKTOP })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
    page = await context.newPage()
  })
  afterAll(() => context?.close())

  it('adds a site, refusing a bad time zone next to its field, then sees its first event arrive', async () => {
    await browser.logIn(page, ADMIN, '/?period=7d')
    // The header leads to the settings; the dashboard's state stays in the URL.
    await page.locator('cairn-app a[data-link="settings"]').click()
    await page.locator(READY.sites).waitFor()
    const url = new URL(page.url())
    expect([url.searchParams.get('view'), url.searchParams.get('tab'), url.searchParams.get('period')]).toEqual(['settings', 'sites', '7d'])
    expect(await page.title()).toBe('Sites – Cairn settings')

    await page.locator('cairn-settings-sites header button.primary').click()
    expect(await focusedElement(page)).toBe('input#add-site')
    await page.fill('#add-site', ADDED)
    await page.fill('#add-timezone', 'Mars/Olympus')
    await page.fill('#add-exclude_paths', '/admin/**')
    await page.locator('form.add button[type=submit]').click()
    // The server's words, next to the field, which says it is invalid and points at them.
    const zone = page.locator('#add-timezone')
    await expect.poll(() => zone.getAttribute('aria-invalid')).toBe('true')
    expect(await zone.getAttribute('aria-describedby')).toContain('add-timezone-error')
    expect(await page.locator('#add-timezone-error').textContent()).toContain('Mars/Olympus')
    expect(await page.locator('form.add [role=alert]').count()).toBe(1)

    await page.fill('#add-timezone', 'Europe/Berlin')
    await page.locator('form.add button[type=submit]').click()
    await expect.poll(() => page.locator('#detail-heading').textContent()).toBe(ADDED)
    expect(await focusedElement(page)).toBe('h3#detail-heading')
    expect(new URL(page.url()).searchParams.get('manage')).toBe(ADDED)
    await expect.poll(() => page.locator('.installation').getAttribute('data-state'), { timeout: 15_000 }).toBe('none')
    const snippet = `<script defer data-site="${ADDED}" src="${server.url}/cairn.js"></script>`
    expect(await page.locator('#snippet').inputValue()).toBe(snippet)
    expect(await page.locator('#edit-exclude_paths').inputValue()).toBe('/admin/**')
    // The row in the list, and the dashboard's menu of sites (from the same GET /api/sites).
    await expect.poll(() => page.locator('cairn-settings-sites tbody tr').count()).toBe(2)

    // Copy: the clipboard holds the snippet, and a status says so.
    await page.locator('cairn-settings-sites .detail cairn-copy button').click()
    await expect.poll(() => page.locator('.detail cairn-copy [role=status]').textContent()).toBe('Copied to the clipboard.')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet)

    // An event for it, then the check again.
    expect((await server.post(pageview(ADDED, '/first'))).status).toBe(202)
    await server.flush()
    await page.locator('.check button').click()
    await expect.poll(() => page.locator('.installation').getAttribute('data-state'), { timeout: 15_000 }).toBe('received')
    expect(await page.locator('.installation').textContent()).toMatch(/Last event received (now|\d+ seconds? ago)\.\s+1 event in the last 24 hours\./)

    // Back to the dashboard as it was left: same period, now with the new site in its menu.
    await page.locator('cairn-app a[data-link="dashboard"]').click()
    await expect.poll(() => page.locator('cairn-app #site option').allTextContents()).toContain(ADDED)
    expect(new URL(page.url()).searchParams.get('view')).toBe(null)
    expect(new URL(page.url()).searchParams.get('period')).toBe('7d')
    await page.goBack()
    await page.locator(READY.sites).waitFor()
  })

  it('downloads the site’s whole history as a zip from its settings', async () => {
    await openScreen(page, 'sites')
    const downloading = page.waitForEvent('download')
    await page.locator('cairn-settings-sites a.export').click()
    const file = await downloading
    expect(file.suggestedFilename()).toMatch(new RegExp(`^cairn-${ADDED.replaceAll('.', '\\.')}-\\d{4}-\\d\\d-\\d\\d\\.zip$`))
    const { stdout } = await run('unzip', ['-l', (await file.path())!])
    expect(stdout).toContain('README.md')
    expect(stdout).toMatch(/events\/\d{4}-\d\d\.parquet/)
  })

  it('invites a viewer by a link (shown, as this Cairn cannot mail), whose page sets the password; then they log in and see only that site', async () => {
    await goTo(page, 'people')
    expect(await page.locator('cairn-settings #site').inputValue()).toBe(ADDED)
    // The admin of every site is listed, by their role on every site.
    await expect.poll(() => page.locator('cairn-settings-people tbody tr').count()).toBe(1)
    await page.fill('#add-email', VIEWER)
    await page.selectOption('#add-role', 'viewer')
    expect(await page.locator('cairn-settings-people input[name=how][value=invite]').isChecked()).toBe(true)
    await page.locator('cairn-settings-people').getByRole('button', { name: 'Add', exact: true }).click()
    await page.locator('#password-once').waitFor()
    const link = await page.locator('#password-once').inputValue()
    expect(link).toMatch(/\/\?token=cairn_invite_/)
    expect(await page.locator('cairn-settings-people .once').textContent()).toContain(`send this link to ${VIEWER} yourself`)
    const row = page.locator(`cairn-settings-people tr[data-email="${VIEWER}"]`)
    await row.waitFor()
    expect(await row.locator('td').nth(2).textContent()).toBe('No')

    // The link's page, in another browser: the password chosen there logs in.
    const other = await browser.newContext({ viewport: DESKTOP })
    const viewer = await other.newPage()
    await viewer.goto(server.url + new URL(link).pathname + new URL(link).search)
    await expect.poll(() => viewer.locator('cairn-login h1').textContent(), { timeout: 15_000 }).toBe('Welcome to Cairn')
    expect(await viewer.locator('cairn-login p.intro').textContent()).toBe(`Choose the password of ${VIEWER}.`)
    await expect.poll(() => focusedElement(viewer)).toBe('input#new-password')
    expect(await seriousViolations(viewer)).toEqual([])
    await viewer.screenshot({ path: `${ARTIFACTS}login-link.png` })
    await viewer.keyboard.type('viewer chose this')
    await viewer.keyboard.press('Enter')
    await expect.poll(() => viewer.locator('cairn-login p.done').textContent(), { timeout: 15_000 }).toBe('Your password is set: log in with it.')
    expect(new URL(viewer.url()).searchParams.get('token')).toBeNull()
    await expect.poll(() => viewer.locator('#email').inputValue()).toBe(VIEWER)
    await viewer.fill('#password', 'viewer chose this')
    await viewer.click('cairn-login button[type=submit]')
    await expect.poll(() => viewer.locator('cairn-app #site option').allTextContents(), { timeout: 15_000 }).toEqual([ADDED])
    expect(await viewer.locator('cairn-app a[data-link="settings"]').count()).toBe(0)
    expect(await viewer.locator('cairn-app a[data-link="account"]').count()).toBe(1)
    // The link again: used up, its page says so.
    const again = await (await browser.newContext({ viewport: DESKTOP })).newPage()
    await again.goto(server.url + new URL(link).pathname + new URL(link).search)
    await expect.poll(() => again.locator('cairn-login h1').textContent(), { timeout: 15_000 }).toBe('This link does not work any more')
    // Forgot a password: this Cairn cannot mail, and says whom to ask.
    await again.locator('cairn-login button.back').click()
    await again.locator('cairn-login button.forgot').click()
    await expect.poll(() => focusedElement(again)).toBe('input#reset-email')
    await again.keyboard.type(VIEWER)
    await again.keyboard.press('Enter')
    await expect.poll(() => again.locator('cairn-login p.done').textContent(), { timeout: 15_000 }).toBe('Cairn cannot send mail here: ask an administrator to reset your password.')
    expect(await seriousViolations(again)).toEqual([])
    await again.screenshot({ path: `${ARTIFACTS}login-forgot.png` })
    await again.context().close()
    await other.close()

    // Or created with a password: a generated one is shown once.
    await page.fill('#add-email', `second.${VIEWER}`)
    await page.locator('cairn-settings-people input[name=how][value=password]').check()
    await page.locator('#add-password').waitFor()
    await page.locator('cairn-settings-people').getByRole('button', { name: 'Add', exact: true }).click()
    await expect.poll(() => page.locator('cairn-settings-people .once').textContent(), { timeout: 15_000 }).toContain('it will not be shown again')
    expect(await page.locator('#password-once').inputValue()).toMatch(/^[\w-]{10,}$/)
  })

  it('adds a weekly report’s recipient in French and removes it; says that this Cairn cannot mail yet', async () => {
    await goTo(page, 'reports')
    await page.locator('cairn-settings-reports p.none').waitFor({ timeout: 15_000 })
    expect(await page.locator('cairn-settings-reports p.no-mail').textContent()).toContain('CAIRN_SMTP_URL is not set')
    await page.fill('#report-email', 'not an address')
    await page.locator('#report-email').press('Enter')
    await expect.poll(() => page.locator('#report-email').getAttribute('aria-invalid')).toBe('true')
    await page.fill('#report-email', 'marketing@example.com')
    await page.selectOption('#report-language', 'fr')
    await page.locator('#report-email').press('Enter')
    const row = page.locator('cairn-settings-reports tr[data-recipient="weekly:marketing@example.com"]')
    await row.waitFor({ timeout: 15_000 })
    expect(await row.locator('td').allTextContents()).toEqual(['marketing@example.com', 'Weekly', 'Français', expect.any(String)])
    expect(await row.locator('button.send').count()).toBe(0)
    const [stored] = await server.rows<{ language: string }>('SELECT language FROM cairn.report_subscriptions FINAL WHERE site = {site:String} AND NOT deleted', { site: ADDED })
    expect(stored!.language).toBe('fr')
    expect(await page.locator('cairn-settings-reports a.preview').first().getAttribute('href')).toBe(`/api/sites/${ADDED}/reports/preview?frequency=weekly&lang=en`)
    await row.locator('button.remove').click()
    await expect.poll(() => page.locator('cairn-settings-reports [role=status]').textContent(), { timeout: 15_000 }).toBe('marketing@example.com will not get the weekly report any more.')
    await expect.poll(() => page.locator('cairn-settings-reports p.none').count()).toBe(1)
  })

  it('adds a “current visitors” alert and a change alert (a webhook that is not https refused next to its field first), changes one, removes one after a confirmation', async () => {
    await goTo(page, 'alerts')
    const screen = page.locator('cairn-settings-alerts')
    await screen.locator('p.none').waitFor({ timeout: 15_000 })
    // This Cairn has no SMTP: the screen says its alerts reach their webhook only.
    expect(await screen.locator('p.no-mail').textContent()).toContain('alerts reach their webhook only')
    const submit = screen.locator('form.alert button[type=submit]')
    const stored = () =>
      server.rows<{ id: string; name: string; kind: string; threshold: number; direction: string; recipients: string[]; webhook: string; language: string }>(
        'SELECT id, name, kind, threshold, direction, recipients, webhook, language FROM cairn.alerts FINAL WHERE site = {site:String} AND NOT deleted ORDER BY created_at, id',
        { site: ADDED },
      )

    // Current visitors, sent to two people (comma and line separated, one twice) and to a webhook over http: refused.
    await page.fill('#alert-name', 'Spike')
    await page.fill('#alert-visitors', '500')
    await page.fill('#alert-recipients', 'ops@example.com, Oncall@example.com\nops@example.com')
    await page.fill('#alert-webhook', 'http://hooks.example.com/services/T0/B0/secret')
    await submit.click()
    const webhook = page.locator('#alert-webhook')
    await expect.poll(() => webhook.getAttribute('aria-invalid')).toBe('true')
    expect(await webhook.getAttribute('aria-describedby')).toBe('alert-webhook-hint alert-webhook-error')
    expect(await page.locator('#alert-webhook-error').textContent()).toContain('https://')
    expect(await page.locator('#alert-visitors').getAttribute('aria-invalid')).toBe('false')
    expect(await screen.locator('form.alert [role=alert]').count()).toBe(1)
    await expect.poll(() => focusedElement(page)).toBe('input#alert-webhook')
    expect(await stored()).toEqual([])
    // What was typed is still there: only the webhook needs fixing.
    await webhook.fill('https://hooks.example.com/services/T0/B0/secret')
    await webhook.press('Enter')
    await expect.poll(() => screen.locator('[role=status]').textContent(), { timeout: 15_000 }).toBe('The alert “Spike” is added.')
    await expect.poll(() => focusedElement(page)).toBe('input#alert-name')
    expect(await page.locator('#alert-name').inputValue()).toBe('')
    expect(await page.locator('#alert-webhook').inputValue()).toBe('')

    // A fall of 60 % against the previous weeks, for a Slack webhook only, in French.
    await page.fill('#alert-name', 'Drop')
    await page.selectOption('#alert-kind', 'change')
    expect(await page.locator('#alert-visitors').count()).toBe(0)
    await page.selectOption('#alert-direction', 'fall')
    await page.fill('#alert-percent', '60')
    await page.fill('#alert-webhook', 'https://hooks.slack.com/services/T000/B000/XXXX')
    await page.selectOption('#alert-language', 'fr')
    await submit.click()
    await expect.poll(() => screen.locator('[role=status]').textContent(), { timeout: 15_000 }).toBe('The alert “Drop” is added.')
    await expect.poll(() => screen.locator('tbody tr').count()).toBe(2)
    const [spike, drop] = await stored()
    expect(spike).toMatchObject({ name: 'Spike', kind: 'visitors_above', threshold: 500, direction: '', recipients: ['ops@example.com', 'oncall@example.com'], webhook: 'https://hooks.example.com/services/T0/B0/secret', language: 'en' })
    expect(drop).toMatchObject({ name: 'Drop', kind: 'change', threshold: 60, direction: 'fall', recipients: [], webhook: 'https://hooks.slack.com/services/T000/B000/XXXX', language: 'fr' })

    // The list says what each watches and whom it tells; of a webhook, only its host (its path is its secret).
    const spikeRow = screen.locator(`tr[data-alert="${spike!.id}"]`)
    const dropRow = screen.locator(`tr[data-alert="${drop!.id}"]`)
    expect(await spikeRow.locator('td').allTextContents()).toEqual(['Spike', '500 current visitors or more', expect.any(String), 'English', 'Never', expect.any(String)])
    expect(await spikeRow.locator('ul.to li').allTextContents()).toEqual(['ops@example.com', 'oncall@example.com', 'Webhook at hooks.example.com'])
    expect(await dropRow.locator('td.watches').textContent()).toBe('A fall of 60% or more in this hour’s visitors against the previous 4 weeks')
    expect(await dropRow.locator('td').nth(3).textContent()).toBe('Français')
    expect(await screen.locator('table').textContent()).not.toContain('secret')

    // Once it has gone off (a collector's claim for this hour), the list says when.
    const firedAt = Date.now() - 10 * 60_000
    await writeClaims(server.storage, [{ site: ADDED, alertId: spike!.id, hour: firedAt - (firedAt % 3_600_000), firedBy: 'test', firedAt }])
    await page.reload()
    await page.locator(READY.alerts).first().waitFor({ timeout: 15_000 })
    expect(await spikeRow.locator('td.last time').getAttribute('datetime')).toBe(new Date(firedAt).toISOString())

    // Changed: the form filled with the alert, then a rise or a fall of 40 %.
    await dropRow.locator('button.edit').click()
    await expect.poll(() => focusedElement(page)).toBe('input#alert-name')
    expect(await page.locator('#alert-heading').textContent()).toBe('Change the alert “Drop”')
    expect([await page.locator('#alert-kind').inputValue(), await page.locator('#alert-direction').inputValue(), await page.locator('#alert-percent').inputValue(), await page.locator('#alert-language').inputValue()]).toEqual(['change', 'fall', '60', 'fr'])
    await page.selectOption('#alert-direction', 'either')
    await page.fill('#alert-percent', '40')
    await screen.getByRole('button', { name: 'Save changes' }).click()
    await expect.poll(() => screen.locator('[role=status]').textContent(), { timeout: 15_000 }).toBe('The alert “Drop” is saved.')
    // The focus goes back to the alert's own Edit button.
    await expect.poll(() => dropRow.locator('button.edit').evaluate((b) => (b.getRootNode() as ShadowRoot).activeElement === b)).toBe(true)
    expect(await page.locator('#alert-heading').textContent()).toBe('Add an alert')
    expect(await dropRow.locator('td.watches').textContent()).toBe('A rise or a fall of 40% or more in this hour’s visitors against the previous 4 weeks')
    expect((await stored())[1]).toMatchObject({ id: drop!.id, kind: 'change', threshold: 40, direction: 'either', language: 'fr' })

    // Removed after a confirmation: Escape first leaves it in place.
    await spikeRow.locator('button.remove').click()
    await expect.poll(() => focusedElement(page)).toMatch(/in dialog$/)
    expect(await page.locator('#remove-alert h2').textContent()).toBe('Remove the alert “Spike”?')
    await page.keyboard.press('Escape')
    await expect.poll(() => focusedElement(page)).toBe('button')
    expect(await stored()).toHaveLength(2)
    await spikeRow.locator('button.remove').click()
    await page.locator('#remove-alert button[type=submit]').click()
    await expect.poll(() => screen.locator('[role=status]').textContent(), { timeout: 15_000 }).toBe('The alert “Spike” is removed.')
    await expect.poll(() => spikeRow.count()).toBe(0)
    expect((await stored()).map((a) => a.name)).toEqual(['Drop'])
  })

  it('creates an API key that works, and revokes it after a confirmation: then it is refused', async () => {
    await goTo(page, 'keys')
    await page.fill('#key-name', 'weekly report')
    await page.locator('#key-name').press('Enter')
    await page.locator('#key-once').waitFor()
    const key = await page.locator('#key-once').inputValue()
    expect((await stats(ADDED, { authorization: `Bearer ${key}` })).status).toBe(200)

    const revoke = page.locator('cairn-settings-keys tbody tr button.danger')
    await expect.poll(() => revoke.count()).toBe(1)
    // The dialog takes the focus, Escape closes it, and the focus comes back.
    await revoke.click()
    await expect.poll(() => focusedElement(page)).toMatch(/in dialog$/)
    await page.keyboard.press('Escape')
    await expect.poll(() => focusedElement(page)).toBe('button')
    expect(await page.locator('#revoke-key').evaluate((d) => (d as HTMLDialogElement).open)).toBe(false)
    expect((await stats(ADDED, { authorization: `Bearer ${key}` })).status).toBe(200)

    await revoke.click()
    await page.locator('#revoke-key button[type=submit]').click()
    await expect.poll(() => page.locator('cairn-settings-keys p.none').count()).toBe(1)
    expect(await page.locator('cairn-settings-keys [role=status]').first().textContent()).toContain('is revoked')
    expect((await stats(ADDED, { authorization: `Bearer ${key}` })).status).toBe(401)
  })

  it('creates a shared link that opens the dashboard, and revokes it: then it does not', async () => {
    await goTo(page, 'links')
    await page.locator('cairn-settings-links').getByRole('button', { name: 'Create a shared link' }).click()
    await page.locator('#link-once').waitFor()
    const link = await page.locator('#link-once').inputValue()
    expect(link.startsWith(`${server.url}/share/`)).toBe(true)
    const token = decodeURIComponent(new URL(link).pathname.slice('/share/'.length))
    expect((await stats(ADDED, { 'x-cairn-share': token })).status).toBe(200)

    await page.locator('cairn-settings-links tbody tr button.danger').click()
    await page.locator('#revoke-link button[type=submit]').click()
    await expect.poll(() => page.locator('cairn-settings-links p.none').count()).toBe(1)
    expect((await stats(ADDED, { 'x-cairn-share': token })).status).toBe(401)
    // Opened in a browser, it says so.
    const visitor = await browser.newContext()
    const shared = await visitor.newPage()
    await shared.goto(link)
    await shared.locator('cairn-app [role=alert]').waitFor({ timeout: 15_000 })
    await visitor.close()
  })

  it('exports a visitor’s data as a file, then erases it after a confirmation: the rows leave the storage', async () => {
    expect((await server.post(pageview(ADDED, '/second'))).status).toBe(202)
    await server.flush()
    const [visitor] = await server.rows<{ id: string; n: string }>('SELECT toString(visitor_id) AS id, count() AS n FROM cairn.events WHERE site = {site:String} GROUP BY visitor_id', { site: ADDED })
    expect(Number(visitor!.n)).toBe(2)

    await goTo(page, 'requests')
    // An empty field is refused next to it.
    await page.locator('cairn-settings-requests button[data-action="erase"]').click()
    await expect.poll(() => page.locator('cairn-settings-requests #visitor').getAttribute('aria-invalid')).toBe('true')

    await page.fill('cairn-settings-requests #visitor', visitor!.id)
    const downloading = page.waitForEvent('download')
    await page.locator('cairn-settings-requests button[data-action="export"]').click()
    const file = await downloading
    expect(file.suggestedFilename()).toBe(`${ADDED}-visitor-${visitor!.id}.json`)
    const exported = JSON.parse(readFileSync((await file.path())!, 'utf8')) as { events: { pathname?: string }[] }
    expect(exported.events).toHaveLength(2)

    await page.locator('cairn-settings-requests button[data-action="erase"]').click()
    await page.locator('#erase-visitor button[type=submit]').click()
    await expect.poll(() => page.locator('cairn-settings-requests p.status').textContent(), { timeout: 30_000 }).toContain(`visitor ${visitor!.id}`)
    const [left] = await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND visitor_id = {id:UInt64}', { site: ADDED, id: visitor!.id })
    expect(Number(left!.n)).toBe(0)
    // The log below, newest first: the erasure, then the export.
    await expect.poll(async () => (await page.locator('cairn-settings-requests tbody tr td:nth-child(2)').allTextContents()).sort(), { timeout: 15_000 }).toEqual(['Erasure', 'Export'])
  })

  it('turns on two-factor authentication with the key shown, and logs in again with a code', async () => {
    await page.locator('cairn-app a[data-link="account"]').click()
    await page.locator(READY.account).waitFor()
    await page.locator('cairn-settings-account button.primary', { hasText: 'Set up two-factor authentication' }).click()
    await page.locator('#totp-secret').waitFor()
    expect(await page.locator('cairn-settings-account .qr').getAttribute('role')).toBe('img')
    expect(await page.locator('cairn-settings-account .qr svg').count()).toBe(1)
    const secret = (await page.locator('#totp-secret').inputValue()).replace(/\s/g, '')
    totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 })

    // A wrong code first: refused next to the field.
    await page.fill('#totp-code', '000000' === totp.generate() ? '111111' : '000000')
    await page.locator('#totp-code').press('Enter')
    await expect.poll(() => page.locator('#totp-code').getAttribute('aria-invalid')).toBe('true')

    await page.fill('#totp-code', totp.generate())
    await page.locator('cairn-settings-account').getByRole('button', { name: 'Turn on' }).click()
    await page.locator('#recovery-codes').waitFor()
    const codes = (await page.locator('#recovery-codes').inputValue()).split('\n')
    expect(codes).toHaveLength(10)

    await page.locator('cairn-app button.tool', { hasText: 'Log out' }).click()
    await page.locator('cairn-login #email').waitFor()
    await page.fill('#email', ADMIN.email)
    await page.fill('#password', ADMIN.password)
    await page.click('button[type=submit]')
    const code = page.locator('cairn-login #code')
    await code.waitFor()
    expect([await code.getAttribute('autocomplete'), await code.getAttribute('inputmode')]).toEqual(['one-time-code', 'numeric'])
    expect(await focusedElement(page)).toBe('input#code')
    await page.fill('#code', nextCode())
    await page.click('cairn-login button[type=submit]')
    // Back where the reader was: the account screen, now saying two-factor is on.
    await page.locator(READY.account).waitFor({ timeout: 15_000 })
    expect(await page.locator('cairn-settings-account #two-factor-heading + p').textContent()).toContain('is on')
    await browser.keepLogin(context)
  })
})

describe('every settings screen', { timeout: 90_000 }, () => {
  it.each(LOOKS)('is drawn %s, photographed, and has no serious or critical WCAG 2.1 AA violation', async (name, options) => {
    const context = await asAdmin(options)
    const page = await context.newPage()
    const problems: string[] = []
    for (const tab of SETTINGS_TABS) {
      await openScreen(page, tab)
      if (name === 'dark') expect(await page.locator('cairn-app').getAttribute('theme')).toBe('dark')
      await page.screenshot({ path: `${ARTIFACTS}settings-${tab}-${name}.png`, fullPage: true })
      problems.push(...(await seriousViolations(page)).map((v) => `${tab}: ${v}`))
      if (name === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth), tab).toBeLessThanOrEqual(PHONE.width)
    }
    // A dialog, too.
    await openScreen(page, 'sites')
    await page.locator(`cairn-settings-sites button[data-remove="${ADDED}"]`).click()
    await page.locator('#remove-site[open]').waitFor()
    problems.push(...(await seriousViolations(page)).map((v) => `dialog: ${v}`))
    expect(problems).toEqual([])
    await context.close()
  })

  it('removes a site once its domain is typed, erasing its data when asked', async () => {
    const context = await asAdmin({ viewport: DESKTOP })
    const page = await context.newPage()
    const doomed = uniqueSite('doomed')
    await openScreen(page, 'sites')
    const added = await page.evaluate((site) => fetch('/api/sites', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ site, timezone: 'UTC' }) }).then((r) => r.status), doomed)
    expect(added).toBe(201)
    expect((await server.post(pageview(doomed))).status).toBe(202)
    await server.flush()
    await openScreen(page, 'sites')
    const remove = page.locator(`cairn-settings-sites button[data-remove="${doomed}"]`)
    await remove.click()
    // A slip is refused next to the field, and nothing is removed.
    await page.fill('#remove-confirm', 'doomed')
    await page.locator('#remove-site button[type=submit]').click()
    await expect.poll(() => page.locator('#remove-confirm').getAttribute('aria-invalid')).toBe('true')
    await page.fill('#remove-confirm', doomed)
    await page.locator('#remove-site input[name=erase]').check()
    await page.locator('#remove-site button[type=submit]').click()
    await expect.poll(() => page.locator('cairn-settings-sites header + [role=status]').textContent(), { timeout: 30_000 }).toBe(`${doomed} was removed; its data was erased.`)
    expect(await remove.count()).toBe(0)
    // The focus, its button gone, is on the screen's heading (once the dialog closes, after the list is drawn again).
    await expect.poll(() => focusedElement(page)).toBe('h2')
    const [left] = await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site: doomed })
    expect(Number(left!.n)).toBe(0)
    await context.close()
  })

  it('is in French with lang=fr, French typography included, without violations', async () => {
    const context = await asAdmin({ locale: 'fr-FR', viewport: DESKTOP })
    const page = await context.newPage()
    const problems: string[] = []
    for (const tab of SETTINGS_TABS) {
      await openScreen(page, tab, '&lang=fr')
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr')
      problems.push(...(await seriousViolations(page)).map((v) => `${tab}: ${v}`))
    }
    expect(await page.locator('cairn-settings nav a').allTextContents()).toEqual(['Sites', 'Objectifs', 'Rapports par courriel', 'Alertes', 'Personnes', 'Clés d’API', 'Liens partagés', 'Demandes des personnes', 'Imports', 'Conservation', 'Votre compte'])
    await page.screenshot({ path: `${ARTIFACTS}settings-account-fr-light.png`, fullPage: true })
    expect(problems).toEqual([])

    // A refusal in French, next to its field: the server speaks the page's language.
    await openScreen(page, 'sites', '&lang=fr')
    await page.locator('cairn-settings-sites header button.primary').click()
    await page.fill('#add-site', 'pas un domaine')
    await page.locator('form.add button[type=submit]').click()
    await expect.poll(() => page.locator('#add-site').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#add-site-error').textContent()).toMatch(/nom de domaine/)
    await context.close()
  })
})
