/**
 * The goal filter, funnels and custom properties in Chromium, against the real server and its storage:
 * clicking a goal filters the dashboard (chip, URL, every stats request) and the source panel's
 * conversion rates and the conversion cards equal independent SQL on cairn.events; a site admin saves a
 * funnel with the panel's form (keyboard), whose steps show the visitors SQL counts and the numbers the
 * stats API answers (itself tested against raw events in test/funnel.test.ts); clicking a property's value
 * filters the cards as SQL says; the conversion rate becomes the graph's metric; a funnel is broken down by
 * source as SQL counts it, chosen, changed and deleted, with its choice kept in the URL; a link to a
 * deleted goal opens without it. The panels are photographed light, dark and on a phone into
 * test/artifacts/ (funnel-*.png, properties-*.png) and checked by axe-core (WCAG 2.1 A and AA).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { addUser } from '../dashboard/server/auth/users.ts'
import { seriousViolations } from './helpers/accessibility.ts'
import { ARTIFACTS, DESKTOP, DashboardBrowser, LOOKS, PHONE, focusedElement } from './helpers/dashboard-browser.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'

const SITE = uniqueSite('funnel-ui')
const ADMIN = { email: 'owner@funnel-ui.test', password: 'owner password 123' }
const ZONE = 'Europe/Paris'

let server: TestServer
let browser: DashboardBrowser

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${SITE}=${ZONE}`], env: { TRUST_PROXY: 'true' } })
  await addUser(server.server.collector.access, ADMIN.email, ADMIN.password, 'admin', SITE)
  // 12 visitors, one /24 each: the first 4 come from Google; the even ones see /pricing; 0 and 6 sign up
  // after it, 3 and 9 without it (0 twice), on plan pro (0, 3) or free (6, 9).
  for (let v = 0; v < 12; v++) {
    const headers = { 'x-forwarded-for': `10.9.${v}.20` }
    const send = async (body: Record<string, unknown>) => expect((await server.post({ d: SITE, ...body }, headers)).status).toBe(202)
    await send({ n: 'pageview', u: `https://${SITE}/`, r: v < 4 ? 'https://www.google.com/' : null })
    if (v % 2 === 0) await send({ n: 'pageview', u: `https://${SITE}/pricing` })
    if (v % 3 === 0) await send({ n: 'Signup', u: `https://${SITE}/signup`, p: { plan: v < 6 ? 'pro' : 'free' } })
    if (v === 0) await send({ n: 'Signup', u: `https://${SITE}/signup`, p: { plan: 'pro' } })
  }
  await server.flush()
  browser = await DashboardBrowser.launch(server)
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** The events of the last 30 local days (engagement reports left out), as SQL sees them. */
const IN_RANGE = `site = {site:String} AND name != 'engagement' AND toDate(timestamp, {zone:String}) BETWEEN toDate(now(), {zone:String}) - 29 AND toDate(now(), {zone:String})`
const sql = <T>(query: string) => server.rows<T>(query, { site: SITE, zone: ZONE })
const rate = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10

const card = (page: Page, key: string) => page.locator(`cairn-top-stats .value[data-metric="${key}"]`)

/** The site's goals, made with the admin API from the logged-in page. */
async function addGoal(page: Page, body: Record<string, unknown>): Promise<string> {
  return page.evaluate(
    ([site, body]) => fetch(`/api/sites/${site}/goals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json().then((g: { id: string }) => g.id)),
    [SITE, body] as const,
  )
}

describe('the goal filter, funnels and properties', { timeout: 60_000 }, () => {
  let context: BrowserContext
  let page: Page
  const stats: string[] = []
  beforeAll(async () => {
    context = await browser.newContext({ viewport: DESKTOP })
    page = await context.newPage()
    page.on('request', (r) => r.url().includes('/api/stats/') && stats.push(r.url()))
    await browser.logIn(page, ADMIN, '/?period=30d')
    await addGoal(page, { kind: 'page', pattern: '/pricing', name: 'Pricing seen' })
    await addGoal(page, { kind: 'event', event_name: 'Signup', name: 'Signed up' })
    await page.reload()
  })
  afterAll(() => context?.close())

  it('filters by a goal from the goals panel: a chip, the URL, every request; the sources’ conversion rates and the cards as SQL counts them', async () => {
    const goal = page.locator('cairn-goals button.label', { hasText: 'Signed up' })
    await goal.waitFor({ timeout: 15_000 })
    expect(await goal.getAttribute('aria-pressed')).toBe('false')
    stats.length = 0
    await goal.focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => new URL(page.url()).searchParams.get('goal')).toMatch(/.+/)
    const id = new URL(page.url()).searchParams.get('goal')!
    await expect.poll(() => page.locator('.chip[data-filter="goal"]').textContent()).toContain('Goal: Signed up')
    expect(await goal.getAttribute('aria-pressed')).toBe('true')

    // The sources panel: visitors who converted and their share of the row's visitors, as SQL counts them.
    const sources = page.locator('cairn-breakdown', { has: page.locator('h2', { hasText: 'Sources' }) })
    await expect.poll(() => sources.locator('th.conversion_rate').count(), { timeout: 15_000 }).toBe(1)
    const expected = await sql<{ source: string; all: string; converted: string }>(
      `SELECT referrer_source AS source, uniqExact(visitor_id) AS all,
              uniqExactIf(visitor_id, visitor_id IN (SELECT visitor_id FROM cairn.events WHERE ${IN_RANGE} AND name = 'Signup')) AS converted
         FROM cairn.events WHERE ${IN_RANGE} GROUP BY source ORDER BY source`,
    )
    expect(expected.map((r) => [r.source, Number(r.all), Number(r.converted)])).toEqual([['', 8, 2], ['Google', 4, 2]])
    for (const row of expected) {
      const tr = sources.locator('tbody tr', { has: page.locator('button.label', { hasText: row.source === '' ? 'Direct' : row.source }) })
      await expect.poll(() => tr.locator('td.conversion_rate data').getAttribute('value'), { timeout: 15_000 }).toBe(String(rate(Number(row.converted), Number(row.all))))
      expect(await tr.locator('td.visitors data').getAttribute('value')).toBe(row.converted)
    }
    expect(await sources.locator('tbody tr', { hasText: 'Google' }).locator('td.conversion_rate').textContent()).toBe('50%')

    // The cards: unique and total conversions, and the rate of the range's visitors.
    const [all] = await sql<{ visitors: string; converted: string; events: string }>(
      `SELECT uniqExact(visitor_id) AS visitors, uniqExactIf(visitor_id, name = 'Signup') AS converted, countIf(name = 'Signup') AS events FROM cairn.events WHERE ${IN_RANGE}`,
    )
    await expect.poll(() => card(page, 'conversions').locator('data').getAttribute('value'), { timeout: 15_000 }).toBe(all!.converted)
    expect(await card(page, 'conversion_events').locator('data').getAttribute('value')).toBe(all!.events)
    expect(await card(page, 'conversion_rate').locator('data').getAttribute('value')).toBe(String(rate(Number(all!.converted), Number(all!.visitors))))
    expect([all!.converted, all!.events]).toEqual(['4', '5'])

    // Every stats request carried the goal.
    await expect.poll(() => stats.some((u) => u.includes('/breakdown/source')), { timeout: 15_000 }).toBe(true)
    for (const url of stats.filter((u) => !u.includes('/realtime'))) expect(new URL(url).searchParams.get('goal'), url).toBe(id)

    // The conversion rate as the graph's metric, kept in the URL; gone with the goal.
    const graphHeading = page.locator('cairn-graph header h2')
    await page.locator('cairn-top-stats button.card', { has: page.locator('[data-metric="conversion_rate"]') }).click()
    await expect.poll(() => new URL(page.url()).searchParams.get('metric')).toBe('conversion_rate')
    await expect.poll(() => graphHeading.textContent()).toBe('Conversion rate')
    expect(await page.locator('cairn-top-stats button.card[aria-pressed="true"] [data-metric]').getAttribute('data-metric')).toBe('conversion_rate')
    await page.locator('cairn-top-stats button.card', { has: page.locator('[data-metric="conversions"]') }).click()
    await expect.poll(() => graphHeading.textContent()).toBe('Unique conversions')
    await page.locator('cairn-top-stats button.card', { has: page.locator('[data-metric="conversion_rate"]') }).click()
    await expect.poll(() => graphHeading.textContent()).toBe('Conversion rate')

    // The chip removes it; the panel's columns are the usual ones again, and the graph draws visitors.
    await page.locator('.chip[data-filter="goal"] button').click()
    await expect.poll(() => new URL(page.url()).searchParams.get('goal')).toBeNull()
    expect(new URL(page.url()).searchParams.get('metric')).toBeNull()
    await expect.poll(() => graphHeading.textContent()).toBe('Visitors')
    await expect.poll(() => sources.locator('th.visits').count(), { timeout: 15_000 }).toBe(1)
    expect(await card(page, 'conversions').count()).toBe(0)
  })

  it('saves a funnel with the panel’s form and draws its steps as SQL and the stats API count them', async () => {
    const add = page.locator('cairn-funnel header button.add')
    await add.waitFor({ timeout: 15_000 })
    expect(await page.locator('cairn-funnel p.empty').count()).toBe(1)
    await add.click()
    await expect.poll(() => focusedElement(page)).toBe('input#funnel-name')
    // Without a name: refused next to the field, which takes the focus.
    await page.locator('cairn-funnel form button[type=submit]').click()
    await expect.poll(() => page.locator('#funnel-name').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#funnel-name-error').textContent()).not.toBe('')
    expect(await focusedElement(page)).toBe('input#funnel-name')
    await page.fill('#funnel-name', 'Pricing to signup')
    expect(await page.locator('#funnel-step-0').inputValue()).not.toBe(await page.locator('#funnel-step-1').inputValue())
    await page.locator('#funnel-step-0').selectOption({ label: 'Pricing seen' })
    await page.locator('#funnel-step-1').selectOption({ label: 'Signed up' })
    await page.locator('#funnel-name').press('Enter')
    await expect.poll(() => page.locator('cairn-funnel [role=status]').textContent(), { timeout: 15_000 }).toBe('The funnel Pricing to signup is saved.')
    await expect.poll(() => focusedElement(page)).toBe('button')

    const steps = page.locator('cairn-funnel ol.steps > li')
    await expect.poll(() => steps.count(), { timeout: 15_000 }).toBe(2)
    const funnels = await page.evaluate((site) => fetch(`/api/sites/${site}/funnels`).then((r) => r.json() as Promise<{ funnels: { id: string; name: string; within: string }[] }>), SITE)
    expect(funnels.funnels.map((f) => [f.name, f.within])).toEqual([['Pricing to signup', 'visit']])
    const api = await page.evaluate(
      ([site, id]) => fetch(`/api/stats/${site}/funnel?funnel=${id}&period=30d`).then((r) => r.json() as Promise<{ steps: { visitors: number; conversion_rate_step: number; conversion_rate: number; dropoff: number; median_seconds: number | null }[] }>),
      [SITE, funnels.funnels[0]!.id] as const,
    )
    // Independent SQL: visitors with a /pricing pageview; of them, those with a Signup later in the same visit.
    const [counted] = await sql<{ first: string; second: string }>(
      `SELECT uniqExactIf(visitor, seen) AS first, uniqExactIf(visitor, seen AND s > p) AS second FROM (
         SELECT session_id, any(visitor_id) AS visitor, countIf(name = 'pageview' AND pathname = '/pricing') > 0 AS seen,
                minIf(timestamp, name = 'pageview' AND pathname = '/pricing') AS p, maxIf(timestamp, name = 'Signup') AS s
           FROM cairn.events WHERE ${IN_RANGE} GROUP BY session_id)`,
    )
    expect([Number(counted!.first), Number(counted!.second)]).toEqual([6, 2])
    expect(api.steps.map((s) => s.visitors)).toEqual([6, 2])
    for (const [i, s] of api.steps.entries()) {
      const li = steps.nth(i)
      expect(await li.locator('.visitors data').getAttribute('value')).toBe(String(s.visitors))
      if (i === 0) continue
      expect(await li.locator('dd.step-rate data').getAttribute('value')).toBe(String(s.conversion_rate_step))
      expect(await li.locator('dd.overall data').getAttribute('value')).toBe(String(s.conversion_rate))
      expect(await li.locator('dd.dropoff data').getAttribute('value')).toBe(String(s.dropoff))
      expect(await li.locator('dd.median data').getAttribute('value')).toBe(String(s.median_seconds))
    }
    expect(await steps.nth(1).locator('dd.step-rate').textContent()).toBe('33.3%')
    expect(await steps.nth(1).locator('dd.dropoff').textContent()).toBe('4')
    expect(await page.locator('cairn-funnel .summary').textContent()).toContain('33.3%')
    // The form again, left with Escape: the focus is back on the button that opened it.
    await page.locator('cairn-funnel header button.add').click()
    await expect.poll(() => focusedElement(page)).toBe('input#funnel-name')
    await page.keyboard.press('Escape')
    await expect.poll(() => page.locator('#funnel-name').count()).toBe(0)
    await expect.poll(() => page.evaluate(() => document.querySelector('cairn-app')?.shadowRoot?.querySelector('cairn-funnel')?.shadowRoot?.activeElement?.className)).toBe('add')
    await browser.keepLogin(context)
  })

  it('breaks a funnel down by source as SQL counts it, keeps the funnel and its breakdown in the URL, and changes and deletes funnels', async () => {
    const choose = page.locator('#funnel-by')
    await choose.waitFor({ timeout: 15_000 })
    await choose.selectOption('source')
    await expect.poll(() => new URL(page.url()).searchParams.get('funnel_by')).toBe('source')
    const rows = page.locator('cairn-funnel table.by tbody tr')
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2)
    // Independent SQL, per source: visitors with a /pricing pageview, and those with a Signup later in that visit.
    const bySource = await sql<{ source: string; first: string; second: string }>(
      `SELECT source, uniqExactIf(visitor, seen) AS first, uniqExactIf(visitor, seen AND s > p) AS second FROM (
         SELECT session_id, any(visitor_id) AS visitor, any(referrer_source) AS source, countIf(name = 'pageview' AND pathname = '/pricing') > 0 AS seen,
                minIf(timestamp, name = 'pageview' AND pathname = '/pricing') AS p, maxIf(timestamp, name = 'Signup') AS s
           FROM cairn.events WHERE ${IN_RANGE} GROUP BY session_id)
       GROUP BY source ORDER BY first DESC, source`,
    )
    expect(bySource.map((r) => [r.source, Number(r.first), Number(r.second)])).toEqual([['', 4, 1], ['Google', 2, 1]])
    for (const [i, r] of bySource.entries()) {
      const row = rows.nth(i)
      expect(await row.locator('th').textContent()).toBe(r.source === '' ? 'Direct / None' : r.source)
      expect(await row.locator('td data').evaluateAll((cells) => cells.map((c) => c.getAttribute('value')))).toEqual([r.first, r.second, String(rate(Number(r.second), Number(r.first)))])
    }
    expect(await rows.nth(1).locator('td.overall').textContent()).toBe('50%')
    expect(await page.locator('cairn-funnel table.by caption').textContent()).toBe('Pricing to signup — by Source')

    // A second funnel, chosen in the panel: the choice and the breakdown survive a reload.
    const second = await page.evaluate(
      ([site, steps]) =>
        fetch(`/api/sites/${site}/funnels`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Signup, then pricing', steps }) }).then((r) => r.json() as Promise<{ id: string; steps: string[] }>),
      [SITE, await page.evaluate((site) => fetch(`/api/sites/${site}/goals`).then((r) => r.json()).then((g: { goals: { id: string; name: string }[] }) => ['Signed up', 'Pricing seen'].map((n) => g.goals.find((x) => x.name === n)!.id)), SITE)] as const,
    )
    await page.reload()
    await page.locator('#funnel-choice').selectOption(second.id)
    await expect.poll(() => new URL(page.url()).searchParams.get('funnel')).toBe(second.id)
    await page.reload()
    await expect.poll(() => page.locator('cairn-funnel h3.name').textContent(), { timeout: 15_000 }).toBe('Signup, then pricing')
    expect(await page.locator('#funnel-by').inputValue()).toBe('source')
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(0)

    // Changed with the same form, filled with the funnel: a new name, steps anywhere in the period.
    await page.locator('cairn-funnel .tools button.edit').click()
    await expect.poll(() => focusedElement(page)).toBe('input#funnel-name')
    expect(await page.locator('#funnel-name').inputValue()).toBe('Signup, then pricing')
    expect(await page.locator('cairn-funnel form h3').textContent()).toBe('Edit the funnel')
    await page.fill('#funnel-name', 'Signup then pricing, any time')
    await page.locator('#funnel-within').selectOption('range')
    await page.locator('#funnel-name').press('Enter')
    await expect.poll(() => page.locator('cairn-funnel [role=status]').textContent(), { timeout: 15_000 }).toBe('The funnel Signup then pricing, any time is saved.')
    await expect.poll(() => page.locator('cairn-funnel h3.name').textContent(), { timeout: 15_000 }).toBe('Signup then pricing, any time')
    // Counted again under its new rule.
    await expect.poll(() => page.locator('cairn-funnel p.note').textContent(), { timeout: 15_000 }).toBe('Steps in order anywhere in the period.')
    const listed = () => page.evaluate((site) => fetch(`/api/sites/${site}/funnels`).then((r) => r.json() as Promise<{ funnels: { id: string; name: string; within: string; steps: string[] }[] }>), SITE)
    expect((await listed()).funnels.map((f) => [f.id === second.id, f.name, f.within])).toEqual([[false, 'Pricing to signup', 'visit'], [true, 'Signup then pricing, any time', 'range']])
    expect((await listed()).funnels[1]!.steps).toEqual(second.steps)

    // Deleted after a confirmation (the focus on "cancel" first): the panel falls back to the first funnel.
    await page.locator('cairn-funnel .tools button.delete').click()
    await expect.poll(() => focusedElement(page)).toBe('button')
    expect(await page.locator('cairn-funnel .confirm').textContent()).toContain('Delete the funnel Signup then pricing, any time? Its goals stay.')
    await page.locator('cairn-funnel .confirm button.yes').click()
    await expect.poll(() => page.locator('cairn-funnel [role=status]').textContent(), { timeout: 15_000 }).toBe('The funnel Signup then pricing, any time is deleted.')
    await expect.poll(() => new URL(page.url()).searchParams.get('funnel')).toBeNull()
    await expect.poll(() => page.locator('cairn-funnel h3.name').textContent(), { timeout: 15_000 }).toBe('Pricing to signup')
    expect((await listed()).funnels.map((f) => f.name)).toEqual(['Pricing to signup'])
    await page.locator('#funnel-by').selectOption('')
    await expect.poll(() => new URL(page.url()).searchParams.get('funnel_by')).toBeNull()
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(0)
  })

  it('opens a link whose goal was deleted since without the filter, and says so', async () => {
    await page.goto(`${server.url}/?site=${SITE}&period=30d&goal=deletedgoal1&metric=conversion_rate`)
    await expect.poll(() => page.locator('cairn-app .notice-line').textContent(), { timeout: 15_000 }).toBe('The goal of this link no longer exists: its filter was removed.')
    expect(new URL(page.url()).searchParams.get('goal')).toBeNull()
    expect(new URL(page.url()).searchParams.get('metric')).toBeNull()
    expect(await page.locator('.chip[data-filter="goal"]').count()).toBe(0)
    await expect.poll(() => card(page, 'visitors').locator('data').getAttribute('value'), { timeout: 15_000 }).toBe('12')
    await expect.poll(() => page.locator('cairn-breakdown tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(0)
    expect(await page.locator('[role=alert]').count()).toBe(0)
  })

  it('lists the custom properties, and a value clicked filters the cards as SQL counts them', async () => {
    const panel = page.locator('cairn-properties')
    await expect.poll(() => panel.locator('#property-key').inputValue(), { timeout: 15_000 }).toBe('plan')
    const values = await sql<{ value: string; visitors: string; events: string }>(
      `SELECT props['plan'] AS value, uniqExact(visitor_id) AS visitors, count() AS events FROM cairn.events WHERE ${IN_RANGE} AND mapContains(props, 'plan') GROUP BY value ORDER BY value`,
    )
    expect(values.map((r) => [r.value, Number(r.visitors), Number(r.events)])).toEqual([['free', 2, 2], ['pro', 2, 3]])
    for (const row of values) {
      const tr = panel.locator('tbody tr', { hasText: row.value })
      await expect.poll(() => tr.locator('td.visitors data').getAttribute('value'), { timeout: 15_000 }).toBe(row.visitors)
      expect(await tr.locator('td.events data').getAttribute('value')).toBe(row.events)
    }

    await panel.locator('button.label', { hasText: 'pro' }).click()
    await expect.poll(() => new URL(page.url()).searchParams.get('prop.plan')).toBe('pro')
    expect(await page.locator('.chip[data-filter="prop.plan"]').textContent()).toContain('Property plan: pro')
    const [pro] = await sql<{ visitors: string }>(`SELECT uniqExact(visitor_id) AS visitors FROM cairn.events WHERE ${IN_RANGE} AND props['plan'] = 'pro'`)
    expect(pro!.visitors).toBe('2')
    await expect.poll(() => card(page, 'visitors').locator('data').getAttribute('value'), { timeout: 15_000 }).toBe(pro!.visitors)
    // Kept on reload, from the URL.
    await page.reload()
    await expect.poll(() => card(page, 'visitors').locator('data').getAttribute('value'), { timeout: 15_000 }).toBe(pro!.visitors)
    await page.locator('.chip[data-filter="prop.plan"] button').click()
    await expect.poll(() => card(page, 'visitors').locator('data').getAttribute('value'), { timeout: 15_000 }).toBe('12')
  })
})

describe('the panels, photographed and checked by axe', { timeout: 60_000 }, () => {
  it.each(LOOKS)('%s', async (name, options) => {
    const context = await browser.loggedInContext(options)
    const page = await context.newPage()
    const problems: string[] = []
    const goal = await page.goto(`${server.url}/?site=${SITE}&funnel_by=source`).then(() => page.locator('cairn-goals button.label', { hasText: 'Signed up' }))
    await goal.click()
    await page.locator('cairn-funnel ol.steps > li').nth(1).waitFor({ timeout: 15_000 })
    await page.locator('cairn-funnel table.by tbody tr').first().waitFor({ timeout: 15_000 })
    await page.locator('cairn-properties tbody tr').first().waitFor({ timeout: 15_000 })
    await expect.poll(() => page.locator('cairn-app .loading, cairn-breakdown p.muted:has-text("Loading")').count(), { timeout: 15_000 }).toBe(0)
    if (name === 'dark') expect(await page.locator('cairn-app').getAttribute('theme')).toBe('dark')
    await page.locator('cairn-funnel header button.add').click()
    await page.locator('#funnel-name').waitFor()
    await page.locator('cairn-funnel').screenshot({ path: `${ARTIFACTS}funnel-${name}.png` })
    await page.locator('cairn-properties').screenshot({ path: `${ARTIFACTS}properties-${name}.png` })
    problems.push(...(await seriousViolations(page)))
    if (name === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    expect(problems).toEqual([])
    await context.close()
  })
})
