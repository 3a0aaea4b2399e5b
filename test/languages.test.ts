/**
 * The dashboard in French and English, in Chromium: the language from the browser, the user's stored
 * choice and the URL; numbers, dates, durations and country names by Intl in fr-FR; flags as images;
 * only the active catalogue fetched; axe-core's WCAG 2.1 AA rules on every screen; and a pseudo-locale run
 * that finds any text on a screen that did not come from a catalogue. Screenshots go to test/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { accessibilityViolations } from './helpers/accessibility.ts'
import { ARTIFACTS, DESKTOP, DashboardBrowser } from './helpers/dashboard-browser.ts'
import { TestServer } from './helpers/server.ts'

const SITE = 'demo.example'
let server: TestServer
let browser: DashboardBrowser

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${SITE}=Europe/Paris`, 'other.example'] })
  await generateDemo(server.storage, { site: SITE, events: 30_000, days: 45, seed: 12 })
  const access = server.server.collector.access
  await addUser(access, 'marie@example.fr', 'mot de passe de Marie', 'viewer', SITE)
  await addUser(access, 'john@example.com', 'password of John 1', 'viewer', SITE)
  await addUser(access, 'pseudo@example.com', 'pseudo password 12', 'viewer', SITE)
  await addUser(access, 'pseudo-admin@example.com', 'pseudo admin password', 'admin', '*')
  await addUser(access, 'nobody@example.com', 'no sites password 1', 'viewer', 'other.example')
  await access.removeRole('nobody@example.com', 'other.example')
  browser = await DashboardBrowser.launch(server)
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** A browser whose languages (navigator.languages, Accept-Language) are `locale`'s. */
const french = (options: Parameters<Browser['newContext']>[0] = {}) => browser.newContext({ locale: 'fr-FR', viewport: DESKTOP, ...options })
const card = (page: Page, metric: string) => page.locator(`cairn-top-stats .value[data-metric="${metric}"]`)

async function login(page: Page, email: string, password: string, path = '/'): Promise<void> {
  await page.goto(server.url + path)
  await page.fill('#email', email)
  await page.fill('#password', password)
  await page.click('button[type=submit]')
}

/** The dashboard is drawn: cards, rows, recent visits. */
async function loaded(page: Page): Promise<void> {
  await expect.poll(() => card(page, 'visitors').locator('data').count(), { timeout: 15_000 }).toBe(1)
  await expect.poll(() => page.locator('cairn-sessions time').count(), { timeout: 15_000 }).toBeGreaterThan(0)
  await expect.poll(() => page.locator('cairn-breakdown tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(20)
}

async function screen(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300)
  await page.screenshot({ path: ARTIFACTS + name, fullPage: true })
  expect(await accessibilityViolations(page), name).toEqual([])
}

describe('French', { timeout: 60_000 }, () => {
  let context: BrowserContext
  afterAll(() => context?.close())

  it('comes from the browser’s Accept-Language: login and dashboard, with only the French catalogue fetched', async () => {
    context = await french()
    const page = await context.newPage()
    const catalogues: string[] = []
    page.on('request', (r) => r.url().includes('/assets/i18n.') && catalogues.push(new URL(r.url()).pathname))
    await page.goto(server.url + '/')
    await expect.poll(() => page.locator('cairn-login h1').textContent(), { timeout: 15_000 }).toBe('Connexion à Cairn')
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr')
    await screen(page, 'login-fr-light.png')

    await login(page, 'marie@example.fr', 'mot de passe de Marie')
    await loaded(page)
    // Each page load asks for it (from the cache after the first); never for another language.
    expect(new Set(catalogues).size, catalogues.join(' ')).toBe(1)
    expect(catalogues[0]).toMatch(/^\/assets\/i18n\.fr\.[\w-]+\.js$/)
    expect(await page.locator('cairn-top-stats .label').first().textContent()).toBe('Visiteurs uniques')
    expect(await page.locator('cairn-app').evaluate((e) => e.shadowRoot!.querySelector('button.tool:last-of-type')!.textContent)).toBe('Se déconnecter')
    await screen(page, 'dashboard-fr-light.png')
  })

  it('writes numbers, dates, durations and countries as fr-FR does (1 234,5 · 29 nov. 2026 · 4 min 12 s)', async () => {
    const page = await context.newPage()
    const totals = page.waitForResponse((r) => r.url().includes('/aggregate?'))
    await page.goto(server.url + '/')
    const { results } = (await (await totals).json()) as { results: Record<string, number> }
    await loaded(page)

    // Visitors as independent SQL counts them, grouped with a narrow no-break space.
    const [row] = await server.rows<{ n: string }>(
      `SELECT uniqExact(visitor_id) AS n FROM cairn.events WHERE site = {site:String} AND name != 'engagement'
         AND toDate(timestamp, 'Europe/Paris') BETWEEN toDate(now(), 'Europe/Paris') - 29 AND toDate(now(), 'Europe/Paris')`,
      { site: SITE },
    )
    const visitors = Number(row!.n)
    expect(visitors).toBeGreaterThan(1000)
    expect(await card(page, 'visitors').textContent()).toBe(`${Math.floor(visitors / 1000)}\u202f${String(visitors % 1000).padStart(3, '0')}`)
    expect(await card(page, 'visitors').locator('data').getAttribute('value')).toBe(String(visitors))
    // A decimal comma.
    expect(await card(page, 'views_per_visit').textContent()).toBe(String(results.views_per_visit).replace('.', ','))
    expect(await card(page, 'bounce_rate').textContent()).toMatch(new RegExp(`^${results.bounce_rate}[\u00a0\u202f]%$`))
    // Durations by Intl.DurationFormat, in French units ("4min 12s").
    const seconds = results.visit_duration!
    expect(seconds).toBeGreaterThan(60)
    expect(seconds).toBeLessThan(3600)
    expect(await card(page, 'visit_duration').textContent()).toBe(`${Math.floor(seconds / 60)}min ${seconds % 60}s`)

    // The newest visit's start, in the site's time zone, as SQL has it.
    const [newest] = await server.rows<{ start: string }>(
      "SELECT toString(toTimeZone(max(start), 'Europe/Paris')) AS start FROM cairn.sessions WHERE site = {site:String}",
      { site: SITE },
    )
    const [day, time] = newest!.start.split(' ') as [string, string]
    const [y, m, d] = day.split('-').map(Number) as [number, number, number]
    const month = ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'][m - 1]
    expect(await page.locator('cairn-sessions time').first().textContent()).toBe(`${d} ${month} ${y}, ${time.slice(0, 5)}`)
    expect(await page.locator('cairn-sessions time').first().getAttribute('datetime')).toBe(newest!.start.replace(' ', 'T').slice(0, 19))

    // Country names in French, each with its flag as an image of the bundle (no emoji font needed).
    const countries = page.locator('cairn-breakdown').filter({ has: page.locator('h2', { hasText: 'Pays' }) })
    await expect.poll(() => countries.locator('data[value="US"]').textContent(), { timeout: 15_000 }).toBe('États-Unis')
    await expect.poll(() => countries.locator('data[value="DE"]').textContent(), { timeout: 15_000 }).toBe('Allemagne')
    const flags = await page.locator('img.flag').evaluateAll((images) => images.map((i) => ({ src: (i as HTMLImageElement).src, ok: (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0 })))
    expect(flags.length).toBeGreaterThan(10)
    expect(flags.filter((f) => !f.ok)).toEqual([])
    expect(await page.evaluate(() => /[\u{1F1E6}-\u{1F1FF}]/u.test(document.body.innerText + [...document.querySelectorAll('*')].map((e) => e.shadowRoot?.textContent ?? '').join('')))).toBe(false)

    // The graph's axis and legend too: a day of the range, in French.
    await page.locator('cairn-graph .plot').hover({ position: { x: 300, y: 150 } })
    await expect.poll(() => page.locator('cairn-graph .u-legend .u-series:first-child .u-value').textContent()).toMatch(/^[a-z]{3}\. \d{1,2} [a-zéû.]+ \d{4}$/)
    await page.close()
  })

  it('is drawn in the dark theme and on a phone', async () => {
    const dark = await french({ colorScheme: 'dark' })
    const page = await dark.newPage()
    await page.goto(server.url + '/')
    await expect.poll(() => page.locator('cairn-login h1').textContent(), { timeout: 15_000 }).toBe('Connexion à Cairn')
    await screen(page, 'login-fr-dark.png')
    await login(page, 'marie@example.fr', 'mot de passe de Marie')
    await loaded(page)
    expect(await page.locator('cairn-app').getAttribute('theme')).toBe('dark')
    await screen(page, 'dashboard-fr-dark.png')
    await dark.close()

    const phone = await french({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    const small = await phone.newPage()
    await small.goto(server.url + '/')
    await screen(small, 'login-fr-phone.png')
    await login(small, 'marie@example.fr', 'mot de passe de Marie')
    await loaded(small)
    expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await screen(small, 'dashboard-fr-phone.png')
    await phone.close()
  })

  it('says the server’s errors in French: a wrong password', async () => {
    const page = await context.newPage()
    await context.clearCookies()
    await login(page, 'marie@example.fr', 'pas le bon')
    await expect.poll(() => page.locator('cairn-login [role=alert]').textContent(), { timeout: 15_000 }).toBe('Connexion impossible\u00a0: adresse e-mail ou mot de passe incorrect')
    await page.close()
  })
})

describe('the choice of language', { timeout: 60_000 }, () => {
  it('is stored per user and beats the browser’s; the URL beats both', async () => {
    const context = await french()
    const page = await context.newPage()
    await login(page, 'john@example.com', 'password of John 1')
    await loaded(page)
    expect(await page.locator('cairn-top-stats .label').first().textContent()).toBe('Visiteurs uniques')

    // John picks English from the menu (each language is named in itself).
    const menu = page.locator('select.language')
    expect(await menu.locator('option').allTextContents()).toEqual(['English', 'Français'])
    const stored = page.waitForResponse((r) => r.url().endsWith('/api/auth/me') && r.request().method() === 'PATCH')
    await menu.selectOption('en')
    expect((await stored).status()).toBe(200)
    await expect.poll(() => page.locator('cairn-top-stats .label').first().textContent(), { timeout: 15_000 }).toBe('Unique visitors')
    expect(new URL(page.url()).searchParams.get('lang')).toBe('en')
    const [row] = await server.rows<{ language: string }>("SELECT language FROM cairn.user_settings FINAL WHERE email = 'john@example.com'")
    expect(row?.language).toBe('en')

    // A French browser, no lang in the URL: the stored choice.
    await page.goto(server.url + '/')
    await loaded(page)
    expect(await page.locator('cairn-top-stats .label').first().textContent()).toBe('Unique visitors')
    expect(await card(page, 'visitors').textContent()).toMatch(/^\d{1,3}(,\d{3})*$/)
    // A link sent in French.
    await page.goto(server.url + '/?lang=fr')
    await loaded(page)
    expect(await page.locator('cairn-top-stats .label').first().textContent()).toBe('Visiteurs uniques')
    await context.close()

    // Someone else's choice is theirs: Marie still gets her browser's French.
    const other = await french()
    const hers = await other.newPage()
    await login(hers, 'marie@example.fr', 'mot de passe de Marie')
    await loaded(hers)
    expect(await hers.locator('cairn-top-stats .label').first().textContent()).toBe('Visiteurs uniques')
    await other.close()
  })

  it('is changed only by its user, from Cairn’s own page, to a language Cairn has', async () => {
    const me = `${server.url}/api/auth/me`
    const json = { 'content-type': 'application/json', origin: server.url }
    expect((await fetch(me, { method: 'PATCH', headers: json, body: '{"language":"fr"}' })).status).toBe(401)
    expect((await fetch(me, { method: 'PATCH', headers: { ...json, cookie: 'cairn_login=forged' }, body: '{"language":"fr"}' })).status).toBe(401)
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'john@example.com', password: 'password of John 1' }) })
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
    const fromElsewhere = await fetch(me, { method: 'PATCH', headers: { ...json, cookie, origin: 'https://evil.example' }, body: '{"language":"fr"}' })
    expect(fromElsewhere.status).toBe(403)
    const asForm = await fetch(me, { method: 'PATCH', headers: { 'content-type': 'text/plain', cookie }, body: '{"language":"fr"}' })
    expect(asForm.status).toBe(415)
    const klingon = await fetch(me, { method: 'PATCH', headers: { ...json, cookie, 'accept-language': 'fr' }, body: '{"language":"tlh"}' })
    expect(klingon.status).toBe(400)
    expect(await klingon.json()).toEqual({ error: 'non valide\u00a0: language', errors: { language: 'doit valoir en ou fr' } })
    const [row] = await server.rows<{ language: string }>("SELECT language FROM cairn.user_settings FINAL WHERE email = 'john@example.com'")
    expect(row?.language).toBe('en')
    // A shared link's viewer has no account to keep it in.
    const { secret } = await server.server.collector.access.createShare(SITE, 'test')
    expect((await fetch(me, { method: 'PATCH', headers: { ...json, 'x-cairn-share': secret }, body: '{"language":"fr"}' })).status).toBe(403)
    // Back to the browser's choice.
    const cleared = await fetch(me, { method: 'PATCH', headers: { ...json, cookie }, body: '{"language":null}' })
    expect(await cleared.json()).toEqual({ email: 'john@example.com', language: null })
  })
})

/**
 * Every text and label on the screen, outside what is data (visitors' values in <bdi>, numbers in <data>,
 * dates in <time>, site names, language names, decorative glyphs), must be inside a pseudo-locale
 * message's ⟦…⟧; returns what is not.
 */
function unmarked(page: Page): Promise<{ outside: string[]; balanced: boolean; title: string }> {
  return page.evaluate(() => {
    const skip = 'bdi, data, time, script, style, [aria-hidden="true"], option[lang], #site option, option.data, .u-value'
    const outside: string[] = []
    let depth = 0
    const walk = (node: Node) => {
      if (node.nodeType === Node.TEXT_NODE) {
        let reported = false
        for (const ch of (node as Text).data) {
          if (ch === '⟦') depth++
          else if (ch === '⟧') depth--
          else if (depth === 0 && ch.trim() && !reported) {
            outside.push((node as Text).data.trim())
            reported = true
          }
        }
        return
      }
      if (node instanceof Element) {
        if (node.matches(skip)) return
        for (const name of ['aria-label', 'title', 'placeholder', 'alt', 'aria-description']) {
          const value = node.getAttribute(name)
          if (value && !(value.startsWith('⟦') && value.endsWith('⟧')) && value !== node.textContent?.trim()) outside.push(`${node.localName}[${name}="${value}"]`)
        }
        if (node.shadowRoot) walk(node.shadowRoot)
      }
      for (const child of node.childNodes) walk(child)
    }
    walk(document.body)
    return { outside, balanced: depth === 0, title: document.title }
  })
}

describe('a pseudo-locale run', { timeout: 90_000 }, () => {
  it('finds no text on any screen that did not come from a catalogue', async () => {
    const context = await browser.newContext({ viewport: DESKTOP })
    const page = await context.newPage()
    const clean = { outside: [], balanced: true, title: '⟦Cairn⟧' }

    // The login, and its error.
    await login(page, 'pseudo@example.com', 'wrong password', '/?lang=en-XA')
    await page.locator('cairn-login [role=alert]').waitFor()
    expect(await unmarked(page)).toEqual(clean)

    // The dashboard, with a filter, a custom range and a panel's second tab.
    await login(page, 'pseudo@example.com', 'pseudo password 12', '/?lang=en-XA')
    await loaded(page)
    await page.locator('cairn-breakdown button.label', { hasText: 'Google' }).first().click()
    await expect.poll(() => page.locator('.chip').count()).toBe(1)
    await page.locator('cairn-app select[aria-label="⟦Date range⟧"]').selectOption('custom')
    await page.locator('cairn-breakdown nav button').nth(1).click()
    await loaded(page)
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en-XA')
    expect(await unmarked(page)).toEqual(clean)

    // The exact figures switch, on.
    await page.goto(`${server.url}/?lang=en-XA&exact=true`)
    await loaded(page)
    expect(await page.locator('#exact').isChecked()).toBe(true)
    expect(await unmarked(page)).toEqual(clean)

    // An error state: a range the API refuses.
    await page.goto(`${server.url}/?lang=en-XA&period=custom&from=2026-02-01&to=2026-01-01`)
    await expect.poll(() => page.locator('cairn-graph [role=alert]').count(), { timeout: 15_000 }).toBe(1)
    expect(await unmarked(page)).toEqual(clean)
    await context.close()

    // A user without sites, and a shared link that no longer works.
    const nobody = await browser.newContext()
    const empty = await nobody.newPage()
    await login(empty, 'nobody@example.com', 'no sites password 1', '/?lang=en-XA')
    await expect.poll(() => empty.locator('cairn-app code').textContent(), { timeout: 15_000 }).toBe('cairn users add')
    expect(await unmarked(empty)).toEqual(clean)
    await empty.goto(`${server.url}/share/cairn_share_revoked?lang=en-XA`)
    await empty.locator('cairn-app [role=alert]').waitFor()
    expect(await unmarked(empty)).toEqual(clean)
    await nobody.close()

    // Every settings screen, with the add-site form open and a refusal in it.
    const admin = await browser.newContext({ viewport: DESKTOP })
    const settings = await admin.newPage()
    await login(settings, 'pseudo-admin@example.com', 'pseudo admin password', '/?lang=en-XA&view=settings&tab=sites')
    await settings.locator('cairn-settings-sites table').waitFor({ timeout: 15_000 })
    await settings.locator('cairn-settings-sites header button').click()
    await settings.fill('#add-site', 'not a domain')
    await settings.locator('form.add button[type=submit]').click()
    await settings.locator('#add-site-error').waitFor()
    expect(await unmarked(settings)).toEqual({ ...clean, title: '⟦⟦Sites⟧ – Cairn settings⟧' })
    for (const tab of ['goals', 'reports', 'alerts', 'people', 'keys', 'links', 'requests', 'retention', 'account']) {
      await settings.locator(`cairn-settings nav a[data-tab="${tab}"]`).click()
      await expect.poll(() => settings.locator('cairn-settings .loading').count(), { timeout: 15_000 }).toBe(0)
      await expect.poll(() => settings.locator('cairn-settings .screen > *:last-child').evaluate((e) => e.shadowRoot?.querySelector('h2') !== null), { timeout: 15_000 }).toBe(true)
      expect((await unmarked(settings)).outside, tab).toEqual([])
    }

    // The goals' screen with a goal of each kind listed, and its form open on a refusal.
    const goals = [
      { kind: 'page', pattern: '/thank-you' },
      { kind: 'event', event_name: 'Signup', prop_key: 'plan', prop_value: 'pro' },
      { kind: 'download' },
      { kind: 'outbound', pattern: 'https://github.com/**' },
      { kind: 'scroll', pattern: '/pricing', threshold: 75 },
      { kind: 'engagement', pattern: '/pricing', threshold: 30, name: 'Pricing studied' },
    ]
    for (const goal of goals) {
      const status = await settings.evaluate((body) => fetch('/api/sites/demo.example/goals', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status), goal)
      expect(status).toBe(201)
    }
    await settings.goto(`${server.url}/?lang=en-XA&view=settings&tab=goals&manage=${SITE}`)
    await expect.poll(() => settings.locator('cairn-settings-goals tbody tr').count(), { timeout: 15_000 }).toBe(goals.length)
    await settings.locator('cairn-settings-goals header button.add').click()
    await settings.selectOption('#goal-kind', 'event')
    await settings.locator('form.goal button[type=submit]').click()
    await settings.locator('#goal-event_name-error').waitFor()
    expect(await unmarked(settings)).toEqual({ ...clean, title: '⟦⟦Goals⟧ – Cairn settings⟧' })
    await settings.selectOption('#goal-kind', 'scroll')
    expect((await unmarked(settings)).outside).toEqual([])

    // The alerts' screen with an alert of each kind listed (recipients, a webhook, another language), and
    // its form on the other kind with a refusal.
    const alerts = [
      { name: 'Spike', kind: 'visitors_above', threshold: 1500, recipients: ['ops@example.com'], webhook: 'https://hooks.example.com/services/T0/B0/X', language: 'fr' },
      { name: 'Drop', kind: 'change', direction: 'fall', threshold: 40, recipients: ['ops@example.com', 'ceo@example.com'] },
    ]
    for (const alert of alerts) {
      const status = await settings.evaluate((body) => fetch('/api/sites/demo.example/alerts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status), alert)
      expect(status).toBe(201)
    }
    await settings.goto(`${server.url}/?lang=en-XA&view=settings&tab=alerts&manage=${SITE}`)
    await expect.poll(() => settings.locator('cairn-settings-alerts tbody tr').count(), { timeout: 15_000 }).toBe(alerts.length)
    await settings.selectOption('#alert-kind', 'change')
    await settings.locator('form.alert button[type=submit]').click()
    await settings.locator('#alert-name-error').waitFor({ timeout: 15_000 })
    expect(await unmarked(settings)).toEqual({ ...clean, title: '⟦⟦Alerts⟧ – Cairn settings⟧' })
    await settings.locator('cairn-settings-alerts tbody tr button.edit').first().click()
    expect((await unmarked(settings)).outside).toEqual([])

    // The dashboard of an admin: the goals panel, the segments' menu open with its form, an annotation
    // listed and the form to add one.
    const annotated = await settings.evaluate(() => fetch('/api/sites/demo.example/annotations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ day: new Date().toISOString().slice(0, 10), text: 'Campaign launched' }) }).then((r) => r.status))
    expect(annotated).toBe(201)
    await settings.goto(`${server.url}/?lang=en-XA&source=Google`)
    await loaded(settings)
    await expect.poll(() => settings.locator('cairn-goals tbody tr').count(), { timeout: 15_000 }).toBe(goals.length)
    await settings.locator('cairn-graph .notes li').waitFor({ timeout: 15_000 })
    await settings.locator('cairn-graph .notes button.add').click()
    await settings.locator('cairn-segments button.toggle').click()
    await settings.locator('#segment-name').press('Enter')
    await settings.locator('#segment-name-error').waitFor({ timeout: 15_000 })
    expect(await settings.locator('#annotation-text').count()).toBe(1)
    expect(await unmarked(settings)).toEqual(clean)
    // A saved segment in force, and the goals panel's empty state for an admin.
    await settings.fill('#segment-name', 'From Google')
    await settings.locator('#segment-name').press('Enter')
    await settings.locator('cairn-segments li').waitFor({ timeout: 15_000 })
    expect(await unmarked(settings)).toEqual(clean)
    // The goal filter (a goal clicked), a property's filter, the custom properties and a funnel with its form open.
    const funnel = await settings.evaluate(async () => {
      const { goals } = (await fetch('/api/sites/demo.example/goals').then((r) => r.json())) as { goals: { id: string; kind: string }[] }
      const steps = goals.filter((g) => g.kind === 'page' || g.kind === 'event').map((g) => g.id)
      return fetch('/api/sites/demo.example/funnels', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Thanks then signup', steps }) }).then((r) => r.status)
    })
    expect(funnel).toBe(201)
    await settings.goto(`${server.url}/?lang=en-XA&prop.plan=pro`)
    await settings.locator('cairn-goals button.label', { hasText: 'Signup' }).click()
    await expect.poll(() => settings.locator('.chip').count(), { timeout: 15_000 }).toBe(2)
    await settings.locator('cairn-funnel ol.steps > li').nth(1).waitFor({ timeout: 15_000 })
    await settings.locator('cairn-properties tbody tr').first().waitFor({ timeout: 15_000 })
    await settings.locator('cairn-funnel header button.add').click()
    await settings.locator('#funnel-step-1').waitFor({ timeout: 15_000 })
    await expect.poll(() => settings.locator('cairn-breakdown th.conversion_rate').count(), { timeout: 15_000 }).toBeGreaterThan(0)
    await expect.poll(() => settings.locator('cairn-top-stats .value[data-metric="conversion_rate"] data').count(), { timeout: 15_000 }).toBe(1)
    expect(await unmarked(settings)).toEqual(clean)
    await settings.goto(`${server.url}/?lang=en-XA&site=other.example`)
    await settings.locator('cairn-goals a.define').waitFor({ timeout: 15_000 })
    expect(await unmarked(settings)).toEqual(clean)
    await admin.close()
  })
})
