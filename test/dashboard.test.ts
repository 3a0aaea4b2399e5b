/**
 * The dashboard in Chromium: log in, read the cards and the graph, filter by clicking a source, reload
 * into the same view. Screenshots of both themes go to test/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { ARTIFACTS, DESKTOP, DashboardBrowser } from './helpers/dashboard-browser.ts'
import { TestServer } from './helpers/server.ts'

const SITE = 'demo.example'
let server: TestServer
let browser: DashboardBrowser

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${SITE}=Europe/Paris`, 'other.example'] })
  await generateDemo(server.storage, { site: SITE, events: 30_000, days: 45, seed: 11 })
  await addUser(server.server.collector.access, 'marketing@example.com', 'marketing password', 'viewer', SITE)
  browser = await DashboardBrowser.launch(server)
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** Visitors over the last 30 local days, as SQL counts them (the documented definition). */
async function visitorsSql(filter = '1'): Promise<number> {
  const [row] = await server.rows<{ n: string }>(
    `SELECT uniqExact(visitor_id) AS n FROM cairn.events WHERE site = {site:String} AND name != 'engagement' AND ${filter}
       AND toDate(timestamp, 'Europe/Paris') BETWEEN toDate(now(), 'Europe/Paris') - 29 AND toDate(now(), 'Europe/Paris')`,
    { site: SITE },
  )
  return Number(row!.n)
}

const card = (page: Page, metric: string) => page.locator(`cairn-top-stats .value[data-metric="${metric}"]`)

async function login(page: Page): Promise<void> {
  await page.goto(server.url + '/')
  await page.fill('#email', 'marketing@example.com')
  await page.fill('#password', 'marketing password')
  await page.click('button[type=submit]')
}

describe('dashboard', () => {
  it('logs in, shows the numbers SQL gives, filters by a source, and keeps the view on reload', async () => {
    const page = await browser.newPage({ viewport: DESKTOP })
    const statsRequests: string[] = []
    page.on('request', (r) => r.url().includes('/api/stats/') && statsRequests.push(r.url()))
    await login(page)

    await expect.poll(() => card(page, 'visitors').textContent(), { timeout: 15_000 }).not.toBe('…')
    expect(await card(page, 'visitors').textContent()).toBe((await visitorsSql()).toLocaleString('en'))
    await expect.poll(() => page.locator('cairn-graph .plot canvas').count()).toBe(1)
    // The graph has one point per day of the range.
    expect(new URL(page.url()).searchParams.get('site')).toBe(SITE)
    await page.screenshot({ path: ARTIFACTS + 'dashboard-light.png', fullPage: true })

    statsRequests.length = 0
    await page.locator('cairn-breakdown button.label', { hasText: 'Google' }).first().click()
    await expect.poll(() => new URL(page.url()).searchParams.get('source')).toBe('Google')
    await expect.poll(() => page.locator('.chip').count()).toBe(1)
    expect(await page.locator('.chip').textContent()).toContain('Google')
    const googleVisitors = (await visitorsSql("referrer_source = 'Google'")).toLocaleString('en')
    await expect.poll(() => card(page, 'visitors').textContent(), { timeout: 15_000 }).toBe(googleVisitors)
    // Every panel asked again, with the filter.
    // 6 breakdown panels, consent, recent visits, cards and graph.
    await expect.poll(() => statsRequests.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(10)
    const kinds = new Set(statsRequests.map((u) => new URL(u).pathname.split('/').slice(4).join('/')))
    for (const kind of ['aggregate', 'timeseries', 'breakdown/source', 'breakdown/page', 'breakdown/download', 'breakdown/country', 'breakdown/browser', 'breakdown/event', 'breakdown/consent', 'sessions']) {
      expect(kinds, kind).toContain(kind)
    }
    for (const url of statsRequests.filter((u) => !u.includes('/realtime'))) expect(new URL(url).searchParams.get('source'), url).toBe('Google')

    const filtered = page.url()
    await page.reload()
    expect(page.url()).toBe(filtered)
    await expect.poll(() => card(page, 'visitors').textContent(), { timeout: 15_000 }).toBe(googleVisitors)
    expect(await page.locator('.chip').textContent()).toContain('Google')

    // Removing the chip returns to the unfiltered view.
    await page.click('.chip button')
    await expect.poll(() => card(page, 'visitors').textContent(), { timeout: 15_000 }).toBe((await visitorsSql()).toLocaleString('en'))
    await page.close()
  })

  it('renders the dark theme', async () => {
    const page = await browser.newPage({ viewport: DESKTOP, colorScheme: 'dark' })
    await login(page)
    await expect.poll(() => card(page, 'visitors').textContent(), { timeout: 15_000 }).not.toBe('…')
    expect(await page.locator('cairn-app').getAttribute('theme')).toBe('dark')
    await page.waitForTimeout(500)
    await page.screenshot({ path: ARTIFACTS + 'dashboard-dark.png', fullPage: true })
    await page.close()
  })

  it('is usable on a phone', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    await login(page)
    await expect.poll(() => card(page, 'visitors').textContent(), { timeout: 15_000 }).not.toBe('…')
    // One column: panels are as wide as the screen, and nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await page.screenshot({ path: ARTIFACTS + 'dashboard-phone.png', fullPage: true })
    await page.close()
  })

  it('shows visitors’ text as text: control and bidi characters written out, each value isolated', async () => {
    // U+202E (right-to-left override) would show "Signup.exe" as "Signexe.pu", and reorder what follows.
    await server.post({ n: 'Invoice\u202Efdp.exe', u: `https://${SITE}/bidi?utm_source=news\u202Eletter`, d: SITE })
    await server.flush()
    const page = await browser.newPage({ viewport: DESKTOP })
    await login(page)
    const events = page.locator('cairn-breakdown', { has: page.locator('h2', { hasText: 'Events' }) })
    const label = events.locator('button.label', { hasText: 'Invoice' })
    await expect.poll(() => label.count(), { timeout: 15_000 }).toBe(1)
    expect(await label.textContent()).toBe('Invoice⟨U+202E⟩fdp.exe')
    expect(await label.locator('bdi').count()).toBe(1)
    expect(await label.getAttribute('title')).toBe('Filter by Invoice⟨U+202E⟩fdp.exe')
    // No raw control character anywhere on the page.
    const markup = () =>
      page.evaluate(() => {
        const parts = [document.documentElement.outerHTML]
        const walk = (root: ParentNode) => root.querySelectorAll('*').forEach((e) => e.shadowRoot && (parts.push(e.shadowRoot.innerHTML), walk(e.shadowRoot)))
        walk(document)
        return parts.join('\n')
      })
    // Once the recent visits show the visit's source too:
    await expect.poll(markup, { timeout: 15_000 }).toContain('news⟨U+202E⟩letter')
    expect(await markup()).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/)
    await label.click()
    await expect.poll(() => page.locator('.chip').textContent()).toContain('Invoice⟨U+202E⟩fdp.exe')
    await page.close()
  })

  it('shows a shared link\'s site without a login', async () => {
    const { secret } = await server.server.collector.access.createShare(SITE, 'test')
    const page = await browser.newPage()
    await page.goto(`${server.url}/share/${secret}`)
    await expect.poll(() => card(page, 'visitors').textContent(), { timeout: 15_000 }).toBe((await visitorsSql()).toLocaleString('en'))
    expect(await page.locator('#site option').allTextContents()).toEqual([SITE])
    await page.close()
  })
})
