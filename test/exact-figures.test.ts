/**
 * Estimated and exact figures in Chromium, against the real server. The "Exact figures" switch puts
 * exact=true in the URL and on every stats request the dashboard makes (a CSV download's too), with the
 * keyboard, and keeps it on reload. On a site big enough for the API to estimate its visitors over a sealed
 * 30 days (dashboard/server/rollups.ts), exactly the figures the answers name as approximate are marked ≈
 * (cards, tables, graph), the switch is offered, and once on nothing is marked. Those screens are drawn
 * light, dark and on a phone into test/artifacts/ (estimates-*.png) and checked by axe-core (WCAG 2.1 AA).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { localDate, resolveRange } from '../dashboard/server/range.ts'
import { sealRange, sealablePart } from '../dashboard/server/rollups.ts'
import { accessibilityViolations } from './helpers/accessibility.ts'
import { ARTIFACTS, DESKTOP, DashboardBrowser, LOOKS, PHONE, focusedElement } from './helpers/dashboard-browser.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'

const SITE = uniqueSite('exact')
/** Visitors enough for 30 days of them to be past the sketches' exact range (~2,000 ids). */
const BIG = uniqueSite('estimated')
const ZONE = 'Europe/Paris'
const READER = { email: 'reader@exact.test', password: 'reader password 12' }

let server: TestServer
let browser: DashboardBrowser

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${SITE}=${ZONE}`, `${BIG}=${ZONE}`] })
  await generateDemo(server.storage, { site: SITE, events: 20_000, days: 40, seed: 7 })
  await generateDemo(server.storage, { site: BIG, events: 200_000, days: 35, seed: 8 })
  // The last 30 days' settled days sealed, as the server's sealer does: loads merge them with the last two days.
  const today = localDate(Date.now(), ZONE)
  await sealRange(server.storage, sealablePart({ site: BIG, timeZone: ZONE, range: resolveRange('30d', today), filters: {}, today })!)
  await addUser(server.server.collector.access, READER.email, READER.password, 'viewer', SITE)
  await addUser(server.server.collector.access, READER.email, undefined, 'viewer', BIG)
  browser = await DashboardBrowser.launch(server)
}, 180_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const card = (page: Page, metric: string) => page.locator(`cairn-top-stats .value[data-metric="${metric}"]`)

/** Every stats request the page makes from now on, as URLs. */
function statsRequests(page: Page): URL[] {
  const seen: URL[] = []
  page.on('request', (r) => r.url().includes('/api/stats/') && seen.push(new URL(r.url())))
  return seen
}

/** The panels have their numbers: cards, rows, the graph, recent visits. */
async function loaded(page: Page): Promise<void> {
  await expect.poll(() => card(page, 'visitors').locator('data').count(), { timeout: 15_000 }).toBe(1)
  await expect.poll(() => page.locator('cairn-breakdown tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(20)
  await expect.poll(() => page.locator('cairn-graph .plot canvas').count(), { timeout: 15_000 }).toBe(1)
  await expect.poll(() => page.locator('cairn-sessions time').count(), { timeout: 15_000 }).toBeGreaterThan(0)
  await expect.poll(() => page.locator('cairn-breakdown p.muted', { hasText: 'Loading' }).count(), { timeout: 15_000 }).toBe(0)
}

/** The kinds of stats requests a dashboard load makes (the route after the site), each once. */
const kinds = (urls: URL[]) => [...new Set(urls.map((u) => u.pathname.split('/').slice(4).join('/')))].sort()

describe('the exact figures switch', { timeout: 60_000 }, () => {
  let context: BrowserContext
  let page: Page
  beforeAll(async () => {
    context = await browser.newContext({ viewport: DESKTOP })
    page = await context.newPage()
  })
  afterAll(() => context?.close())

  it('puts exact=true in the URL and on every stats request, from the keyboard, and keeps it on reload', async () => {
    const requests = statsRequests(page)
    await browser.logIn(page, READER, `/?site=${SITE}&period=12mo&exact=true`)
    await loaded(page)
    const exact = page.locator('#exact')
    expect(await exact.isChecked()).toBe(true)
    expect(await page.locator('cairn-app label:has(#exact)').textContent()).toContain('Exact figures')
    expect(await exact.getAttribute('aria-describedby')).toBe('exact-hint')
    expect(await page.locator('#exact-hint').textContent()).toBe('Figures marked ≈ are estimates, within 1%; exact ones take longer to count.')
    expect(new URL(page.url()).searchParams.get('exact')).toBe('true')
    // Every panel asked, each with exact=true (the live visitors too, the next time they are counted).
    const panels = requests.filter((u) => !u.pathname.endsWith('/realtime'))
    expect(kinds(panels)).toEqual(expect.arrayContaining(['aggregate', 'timeseries', 'breakdown/source', 'breakdown/page', 'breakdown/country', 'breakdown/consent', 'sessions', 'goals', 'properties']))
    for (const url of panels) expect(url.searchParams.get('exact'), url.href).toBe('true')

    // Off with the keyboard: the switch stays where it is, with the focus, and the requests lose exact.
    await exact.focus()
    requests.length = 0
    await page.keyboard.press('Space')
    await expect.poll(() => new URL(page.url()).searchParams.has('exact')).toBe(false)
    expect(await exact.isChecked()).toBe(false)
    await expect.poll(() => kinds(requests), { timeout: 15_000 }).toEqual(expect.arrayContaining(['aggregate', 'timeseries', 'breakdown/source']))
    await loaded(page)
    expect(await focusedElement(page)).toBe('input#exact')
    for (const url of requests) expect(url.searchParams.has('exact'), url.href).toBe(false)

    // On again: every panel asks again, with exact=true; a CSV download too.
    requests.length = 0
    await page.keyboard.press('Space')
    await expect.poll(() => new URL(page.url()).searchParams.get('exact')).toBe('true')
    await expect.poll(() => kinds(requests), { timeout: 15_000 }).toEqual(expect.arrayContaining(['aggregate', 'timeseries', 'breakdown/source', 'breakdown/page', 'breakdown/consent', 'sessions', 'goals', 'properties']))
    await loaded(page)
    for (const url of requests) expect(url.searchParams.get('exact'), url.href).toBe('true')
    const csv = page.waitForRequest((r) => r.url().includes('format=csv'))
    await page.locator('cairn-breakdown').first().locator('button.csv').click()
    expect(new URL((await csv).url()).searchParams.get('exact')).toBe('true')

    // The view, exact figures included, survives a reload. Back in history it is off again, and since
    // nothing this small site shows is an estimate, the switch is no longer offered.
    const url = page.url()
    await page.reload()
    await loaded(page)
    expect(page.url()).toBe(url)
    expect(await page.locator('#exact').isChecked()).toBe(true)
    // (history.back(): Playwright's goBack waits for a load that going back within the page never fires.)
    await page.evaluate(() => history.back())
    await expect.poll(() => new URL(page.url()).searchParams.has('exact')).toBe(false)
    await expect.poll(() => page.locator('#exact').count()).toBe(0)
    await browser.keepLogin(context)
  })

  it('is not offered while every figure shown is exact and it is off', async () => {
    const other = await browser.loggedInContext({ viewport: DESKTOP }, 'the reader logged in')
    const fresh = await other.newPage()
    const requests = statsRequests(fresh)
    const totals = fresh.waitForResponse((r) => r.url().includes('/aggregate?'))
    await fresh.goto(`${server.url}/?site=${SITE}&period=7d`)
    const answer = (await (await totals).json()) as { approximate?: string[] }
    await loaded(fresh)
    // A week of a small site is counted exactly, so nothing is marked and the switch stays away.
    expect(answer.approximate ?? []).toEqual([])
    expect(await fresh.locator('#exact').count()).toBe(0)
    expect(await fresh.locator('cairn-top-stats .estimate, cairn-breakdown .estimate').count()).toBe(0)
    for (const url of requests) expect(url.searchParams.has('exact'), url.href).toBe(false)
    await other.close()
  })
})

/** The latest answer of each stats route the page asked (by the route after the site), with the URL it was asked at. */
function answers(page: Page): Map<string, { url: URL; body: { approximate?: string[]; previous?: { approximate?: string[] } } }> {
  const latest = new Map<string, { url: URL; body: { approximate?: string[] } }>()
  page.on('response', (r) => {
    const url = new URL(r.url())
    if (!url.pathname.startsWith('/api/stats/') || r.status() !== 200 || url.searchParams.has('format')) return
    // A response still arriving when the test closes the page has no body left to read: not an answer shown.
    r.json().then((body) => latest.set(kinds([url])[0]!, { url, body }), () => {})
  })
  return latest
}

/** What the page marks ≈, wherever it is: cards, table cells, consent, the graph's note. */
const marks = (page: Page) => page.locator('.estimate, .estimate-note')

describe('estimates', { timeout: 90_000 }, () => {
  it('are marked ≈ exactly where the API says a figure is one, and nowhere once exact figures are on', async () => {
    const context = await browser.loggedInContext({ viewport: DESKTOP }, 'the reader logged in')
    const page = await context.newPage()
    const answered = answers(page)
    await page.goto(`${server.url}/?site=${BIG}&period=30d`)
    await loaded(page)
    await expect.poll(() => answered.get('breakdown/consent')?.url.searchParams.get('period'), { timeout: 15_000 }).toBe('30d')
    const approximate = (route: string) => answered.get(route)!.body.approximate ?? []

    // The cards: the API estimated the visitors of the whole 30 days (sealed days merged with the last two).
    expect(approximate('aggregate')).toContain('visitors')
    const cards = await page.locator('cairn-top-stats .value[data-metric]').evaluateAll((values) => values.map((v) => v.getAttribute('data-metric')!))
    expect(cards.length).toBeGreaterThanOrEqual(8)
    for (const metric of cards) expect(await card(page, metric).locator('.estimate').count(), metric).toBe(approximate('aggregate').includes(metric) ? 1 : 0)
    // "≈" to the eye (with its tooltip), the words to a screen reader; the number itself is unchanged.
    const mark = card(page, 'visitors').locator('.estimate')
    expect(await mark.locator('[aria-hidden="true"]').textContent()).toBe('≈')
    expect(await mark.locator('[aria-hidden="true"]').getAttribute('title')).toBe('Estimate, within 1%')
    expect((await mark.locator('.visually-hidden').textContent())?.trim()).toBe('Estimate, within 1%')
    const { results } = answered.get('aggregate')!.body as unknown as { results: Record<string, number> }
    expect(Number(await card(page, 'visitors').locator('data').getAttribute('value'))).toBe(results.visitors)
    // The previous period is not sealed: exact, and its change is marked only because this period's figure is an estimate.
    expect(answered.get('aggregate')!.body.previous?.approximate ?? []).toEqual([])

    // The tables: a column the answer names is marked in every row, the others in none; some are.
    let marked = 0
    for (const table of await page.locator('cairn-breakdown table[data-breakdown]').all()) {
      const route = `breakdown/${await table.getAttribute('data-breakdown')}`
      const rows = await table.locator('tbody tr').count()
      for (const metric of await table.locator('thead th[class]').evaluateAll((ths) => ths.map((th) => th.className))) {
        const cells = await table.locator(`td.${metric} .estimate`).count()
        expect(cells, `${route} ${metric}`).toBe(approximate(route).includes(metric) ? rows : 0)
        marked += cells
      }
    }
    expect(marked).toBeGreaterThan(0)
    expect(await page.locator('cairn-consent dd .estimate').count()).toBe(approximate('breakdown/consent').includes('visits') ? 2 : 0)
    // The graph: a day is never split between a seal and the events, so its points are exact, and nothing says otherwise.
    const series = answered.get('timeseries')!.body
    expect(await page.locator('cairn-graph .estimate-note').count()).toBe((series.approximate ?? []).includes('visitors') || (series.previous?.approximate ?? []).includes('visitors') ? 1 : 0)

    // The switch is offered, off; turned on, every figure is counted again exactly and nothing is marked.
    const exact = page.locator('#exact')
    expect(await exact.isChecked()).toBe(false)
    await exact.check()
    await expect.poll(() => new URL(page.url()).searchParams.get('exact')).toBe('true')
    await expect.poll(() => answered.get('aggregate')?.url.searchParams.get('exact'), { timeout: 15_000 }).toBe('true')
    await expect.poll(() => answered.get('breakdown/source')?.url.searchParams.get('exact'), { timeout: 15_000 }).toBe('true')
    await loaded(page)
    await expect.poll(() => marks(page).count(), { timeout: 15_000 }).toBe(0)
    for (const [route, { url, body }] of answered) if (url.searchParams.get('exact') === 'true') expect(body.approximate, route).toBeUndefined()
    expect(await card(page, 'visitors').textContent()).toMatch(/^[\d.,]+K?$/)
    expect(await exact.isChecked()).toBe(true)
    await context.close()
  })

  it('are not marked, nor the switch offered, where every figure is exact: a week of the same site', async () => {
    const context = await browser.loggedInContext({ viewport: DESKTOP }, 'the reader logged in')
    const page = await context.newPage()
    const answered = answers(page)
    await page.goto(`${server.url}/?site=${BIG}&period=7d`)
    await loaded(page)
    await expect.poll(() => answered.get('breakdown/consent')?.url.searchParams.get('period'), { timeout: 15_000 }).toBe('7d')
    // Its days are not sealed: read from the events, exactly.
    for (const [route, { body }] of answered) expect(body.approximate, route).toBeUndefined()
    expect(await marks(page).count()).toBe(0)
    expect(await page.locator('#exact').count()).toBe(0)
    await context.close()
  })
})

describe('estimates and the switch are drawn', { timeout: 60_000 }, () => {
  it.each(LOOKS)('%s, photographed, with no WCAG 2.1 AA violation', async (name, options) => {
    const context = await browser.loggedInContext(options, 'the reader logged in')
    const page = await context.newPage()
    await page.goto(`${server.url}/?site=${BIG}&period=30d`)
    await loaded(page)
    await page.locator('#exact').waitFor({ timeout: 15_000 })
    await expect.poll(() => page.locator('cairn-top-stats .estimate').count()).toBeGreaterThan(0)
    if (name === 'dark') expect(await page.locator('cairn-app').getAttribute('theme')).toBe('dark')
    await page.waitForTimeout(300)
    await page.screenshot({ path: `${ARTIFACTS}estimates-${name}.png`, fullPage: true })
    if (name === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    expect(await accessibilityViolations(page)).toEqual([])
    await context.close()
  })
})
