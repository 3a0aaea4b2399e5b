/**
 * Goals in Chromium, against the real server and its storage: a site admin defines a goal in the settings
 * (refused next to its field first), changes and removes another after a confirmation; visitors convert;
 * the dashboard's goals panel then shows the numbers independent SQL on cairn.events gives. Saved segments
 * (saved from the filters, applied, deleted) and annotations (added for a day, drawn on the graph, listed,
 * removed) too. The screens are photographed light, dark and on a phone into test/artifacts/ (goals-*.png)
 * and checked by axe-core (WCAG 2.1 A and AA: no serious or critical violation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { addUser } from '../dashboard/server/auth/users.ts'
import { seriousViolations } from './helpers/accessibility.ts'
import { ARTIFACTS, DESKTOP, DashboardBrowser, LOOKS, PHONE, focusedElement } from './helpers/dashboard-browser.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'

const SITE = uniqueSite('goals-ui')
const ADMIN = { email: 'owner@goals-ui.test', password: 'owner password 123' }
const ZONE = 'Europe/Paris'

let server: TestServer
let browser: DashboardBrowser

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${SITE}=${ZONE}`], env: { TRUST_PROXY: 'true' } })
  await addUser(server.server.collector.access, ADMIN.email, ADMIN.password, 'admin', SITE)
  // 12 visitors, one /24 each (so one cookieless id each): all see the home page, half the pricing page,
  // every third thanks us (one of them twice).
  for (let v = 0; v < 12; v++) {
    const headers = { 'x-forwarded-for': `10.7.${v}.20` }
    const page = async (path: string) => expect((await server.post({ n: 'pageview', d: SITE, u: `https://${SITE}${path}` }, headers)).status).toBe(202)
    await page('/')
    if (v % 2 === 0) await page('/pricing')
    if (v % 3 === 0) await page('/thank-you')
    if (v === 3) await page('/thank-you')
  }
  await server.flush()
  browser = await DashboardBrowser.launch(server)
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** The goals of the site as the admin API lists them. */
const goalsOf = (page: Page) => page.evaluate((site) => fetch(`/api/sites/${site}/goals`).then((r) => r.json() as Promise<{ goals: { id: string; name: string; kind: string; event_name?: string; pattern?: string }[] }>), SITE)

/** Conversions of /thank-you pageviews over the last 30 local days, by independent SQL on cairn.events (`filter` on whole visits). */
async function thanksSql(visits = '1'): Promise<{ visitors: number; events: number; all: number; rate: number }> {
  const [row] = await server.rows<{ v: string; n: string; all: string }>(
    `SELECT uniqExactIf(visitor_id, name = 'pageview' AND pathname = '/thank-you') AS v, countIf(name = 'pageview' AND pathname = '/thank-you') AS n,
            uniqExactIf(visitor_id, name != 'engagement') AS all
       FROM cairn.events
      WHERE site = {site:String} AND toDate(timestamp, {zone:String}) BETWEEN toDate(now(), {zone:String}) - 29 AND toDate(now(), {zone:String})
        AND session_id IN (SELECT session_id FROM cairn.events WHERE site = {site:String} AND ${visits})`,
    { site: SITE, zone: ZONE },
  )
  const visitors = Number(row!.v)
  const all = Number(row!.all)
  return { visitors, events: Number(row!.n), all, rate: Math.round((visitors / all) * 1000) / 10 }
}

/** The goals panel's row of a goal: its numbers as the page holds them (machine-readable) and shows them. */
async function panelRow(page: Page, name: string) {
  const row = page.locator('cairn-goals tbody tr', { hasText: name })
  await row.waitFor({ timeout: 15_000 })
  const cell = async (c: string) => ({ value: Number(await row.locator(`td.${c} data`).getAttribute('value')), text: await row.locator(`td.${c}`).textContent() })
  return { visitors: await cell('visitors'), events: await cell('events'), rate: await cell('rate') }
}

describe('goals, for a site admin', { timeout: 60_000 }, () => {
  let context: BrowserContext
  let page: Page
  beforeAll(async () => {
    context = await browser.newContext({ viewport: DESKTOP })
    page = await context.newPage()
  })
  afterAll(() => context?.close())

  it('are defined in the settings, from the dashboard’s empty state; refused next to the field; changed; removed after a confirmation', async () => {
    await browser.logIn(page, ADMIN, '/?period=30d')
    // No goals yet: the admin is shown the way to define one.
    const define = page.locator('cairn-goals a.define')
    await define.waitFor({ timeout: 15_000 })
    await define.click()
    await page.locator('cairn-settings-goals p.none').waitFor({ timeout: 15_000 })
    const url = new URL(page.url())
    expect([url.searchParams.get('view'), url.searchParams.get('tab'), url.searchParams.get('manage')]).toEqual(['settings', 'goals', SITE])
    expect(await page.title()).toBe('Goals – Cairn settings')

    // A page goal without its path: refused next to the field, which takes the focus.
    await page.locator('cairn-settings-goals header button.add').click()
    expect(await focusedElement(page)).toBe('select#goal-kind')
    expect(await page.locator('#goal-kind').inputValue()).toBe('page')
    await page.locator('form.goal button[type=submit]').click()
    const path = page.locator('#goal-path')
    await expect.poll(() => path.getAttribute('aria-invalid')).toBe('true')
    expect(await path.getAttribute('aria-describedby')).toContain('goal-path-error')
    expect(await page.locator('#goal-path-error').textContent()).not.toBe('')
    expect(await focusedElement(page)).toBe('input#goal-path')

    // With the keyboard: the path, the name, Enter.
    await path.fill('/thank-you')
    await page.fill('#goal-name', 'Thanked')
    await page.locator('#goal-name').press('Enter')
    const row = page.locator('cairn-settings-goals tbody tr', { hasText: 'Thanked' })
    await row.waitFor({ timeout: 15_000 })
    expect(await row.locator('td').nth(1).textContent()).toBe('Page visit')
    expect((await row.locator('td').nth(2).textContent())?.trim()).toBe('Pageview of /thank-you')
    expect(await page.locator('cairn-settings-goals [role=status]').textContent()).toBe('The goal Thanked is added.')
    await expect.poll(() => focusedElement(page)).toBe('button')

    // A scroll goal with a threshold out of bounds, then a custom event instead (the form keeps what was typed).
    await page.locator('cairn-settings-goals header button.add').click()
    await page.selectOption('#goal-kind', 'scroll')
    await page.fill('#goal-path', '/pricing')
    await page.fill('#goal-percent', '140')
    await page.locator('form.goal button[type=submit]').click()
    await expect.poll(() => page.locator('#goal-percent').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#goal-path').getAttribute('aria-invalid')).toBe('false')
    await page.selectOption('#goal-kind', 'event')
    await page.fill('#goal-event_name', 'Signup')
    await page.fill('#goal-prop_key', 'plan')
    await page.fill('#goal-prop_value', 'pro')
    await page.locator('form.goal button[type=submit]').click()
    const signup = page.locator('cairn-settings-goals tbody tr', { hasText: 'Signup' })
    await signup.waitFor({ timeout: 15_000 })
    expect((await signup.locator('td').nth(2).textContent())?.replace(/\s+/g, ' ').trim()).toBe('Event Signup with plan = pro')

    // Changed: the form holds the goal; its name, named by its definition, is left empty and follows it.
    await signup.locator('button.edit').click()
    expect(await page.locator('#goal-event_name').inputValue()).toBe('Signup')
    expect(await page.locator('#goal-name').inputValue()).toBe('')
    await page.fill('#goal-event_name', 'Trial')
    await page.locator('form.goal button[type=submit]').click()
    await expect.poll(async () => (await goalsOf(page)).goals.map((g) => g.name)).toEqual(['Thanked', 'Trial'])
    await expect.poll(() => focusedElement(page)).toBe('button')

    // Removed, after a confirmation that Escape leaves without doing anything.
    const trial = page.locator('cairn-settings-goals tbody tr', { hasText: 'Trial' })
    await trial.locator('button.danger').click()
    await expect.poll(() => focusedElement(page)).toMatch(/in dialog$/)
    await page.keyboard.press('Escape')
    expect((await goalsOf(page)).goals).toHaveLength(2)
    await trial.locator('button.danger').click()
    await page.locator('#remove-goal button[type=submit]').click()
    await expect.poll(() => page.locator('cairn-settings-goals tbody tr').count()).toBe(1)
    expect((await goalsOf(page)).goals.map((g) => [g.name, g.kind, g.pattern])).toEqual([['Thanked', 'page', '/thank-you']])
    await browser.keepLogin(context)
  })

  it('shows each goal’s conversions on the dashboard as SQL counts them, with and without a filter', async () => {
    await page.locator('cairn-app a[data-link="dashboard"]').click()
    const expected = await thanksSql()
    expect(expected.visitors).toBe(4)
    expect(expected.events).toBe(5)
    expect(expected.all).toBe(12)
    const shown = await panelRow(page, 'Thanked')
    expect(shown.visitors).toEqual({ value: expected.visitors, text: String(expected.visitors) })
    expect(shown.events).toEqual({ value: expected.events, text: String(expected.events) })
    expect(shown.rate).toEqual({ value: expected.rate, text: `${expected.rate}%` })
    expect(await page.locator('cairn-goals .note').textContent()).toContain(`out of ${expected.all} unique visitors`)

    // Filtered by a page (whole visits that saw it), as every panel is.
    await page.locator('cairn-breakdown button.label', { hasText: '/pricing' }).first().click()
    await expect.poll(() => new URL(page.url()).searchParams.get('page')).toBe('/pricing')
    const pricing = await thanksSql("name = 'pageview' AND pathname = '/pricing'")
    expect(pricing.visitors).toBe(2)
    await expect.poll(async () => (await panelRow(page, 'Thanked')).visitors.value, { timeout: 15_000 }).toBe(pricing.visitors)
    const filtered = await panelRow(page, 'Thanked')
    expect([filtered.events.value, filtered.rate.value]).toEqual([pricing.events, pricing.rate])
  })

  it('saves the filters as a segment shared with the site, applies it, and deletes it', async () => {
    const toggle = page.locator('cairn-segments button.toggle')
    await toggle.click()
    await page.locator('cairn-segments p.none').waitFor({ timeout: 15_000 })
    await page.fill('#segment-name', 'Pricing readers')
    await page.locator('cairn-segments input[name=shared]').check()
    await page.locator('#segment-name').press('Enter')
    await expect.poll(() => page.locator('cairn-segments [role=status]').textContent(), { timeout: 15_000 }).toBe('Saved as Pricing readers.')
    const item = page.locator('cairn-segments li', { hasText: 'Pricing readers' })
    expect(await item.locator('.badge').textContent()).toBe('Shared')
    const saved = () => server.rows<{ name: string; filters: Record<string, string>; shared: boolean; owner: string }>('SELECT name, filters, shared, owner FROM cairn.segments FINAL WHERE site = {site:String} AND NOT deleted', { site: SITE })
    expect(await saved()).toEqual([{ name: 'Pricing readers', filters: { page: '/pricing' }, shared: true, owner: ADMIN.email }])
    // Escape closes the menu, and the focus is back on its button, which names the segment in force.
    await page.keyboard.press('Escape')
    expect(await focusedElement(page)).toBe('button')
    expect(await toggle.textContent()).toContain('Segment: Pricing readers')

    // Without the filter, then with the segment applied: its filters are the view's and the URL's again.
    await page.click('.chip button')
    await expect.poll(() => page.locator('.chip').count()).toBe(0)
    await expect.poll(async () => (await panelRow(page, 'Thanked')).visitors.value, { timeout: 15_000 }).toBe(4)
    await toggle.click()
    await item.locator('button.apply').click()
    await expect.poll(() => new URL(page.url()).searchParams.get('page')).toBe('/pricing')
    await expect.poll(() => page.locator('.chip').count()).toBe(1)
    await expect.poll(async () => (await panelRow(page, 'Thanked')).visitors.value, { timeout: 15_000 }).toBe(2)

    // Deleted, after a confirmation.
    await toggle.click()
    await item.locator('button.delete').click()
    await item.locator('.confirm button.yes').click()
    await page.locator('cairn-segments p.none').waitFor({ timeout: 15_000 })
    expect(await saved()).toEqual([])
    await page.keyboard.press('Escape')
  })

  it('adds annotations for days, drawn on the graph and listed below it, and removes one', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date())
    const earlier = new Date(Date.parse(today) - 10 * 86_400_000).toISOString().slice(0, 10)
    const notes = page.locator('cairn-graph .notes li')
    const marks = () => page.locator('cairn-graph .plot').getAttribute('data-marks')
    await expect.poll(marks, { timeout: 15_000 }).toBe('0')

    await page.locator('cairn-graph .notes button.add').click()
    expect(await focusedElement(page)).toBe('input#annotation-text')
    expect(await page.locator('#annotation-day').inputValue()).toBe(today)
    // Without its text: refused next to the field.
    await page.locator('cairn-graph .notes button[type=submit]').click()
    await expect.poll(() => page.locator('#annotation-text').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#annotation-text-error').textContent()).not.toBe('')
    await page.fill('#annotation-day', earlier)
    await page.fill('#annotation-text', 'Newsletter sent')
    await page.locator('#annotation-text').press('Enter')
    await expect.poll(() => notes.count(), { timeout: 15_000 }).toBe(1)
    await page.locator('cairn-graph .notes button.add').click()
    await page.fill('#annotation-text', 'Thank-you page launched')
    await page.locator('#annotation-text').press('Enter')
    await expect.poll(() => notes.count(), { timeout: 15_000 }).toBe(2)
    await expect.poll(marks).toBe('2')
    expect(await notes.evaluateAll((items) => items.map((li) => [li.getAttribute('data-day'), li.querySelector('.text')!.textContent]))).toEqual([
      [earlier, 'Newsletter sent'],
      [today, 'Thank-you page launched'],
    ])
    const stored = () => server.rows<{ day: string; text: string }>('SELECT toString(day) AS day, text FROM cairn.annotations FINAL WHERE site = {site:String} AND NOT deleted ORDER BY day', { site: SITE })
    expect(await stored()).toEqual([
      { day: earlier, text: 'Newsletter sent' },
      { day: today, text: 'Thank-you page launched' },
    ])

    await notes.filter({ hasText: 'Newsletter sent' }).locator('button.remove').click()
    await expect.poll(() => notes.count(), { timeout: 15_000 }).toBe(1)
    await expect.poll(marks).toBe('1')
    expect(await stored()).toEqual([{ day: today, text: 'Thank-you page launched' }])
  })
})

describe('the goals screens', { timeout: 60_000 }, () => {
  it.each(LOOKS)('are drawn %s, photographed, and have no serious or critical WCAG 2.1 AA violation', async (name, options) => {
    const context = await browser.loggedInContext(options)
    const page = await context.newPage()
    const problems: string[] = []

    await page.goto(`${server.url}/?view=settings&tab=goals&manage=${SITE}`)
    await page.locator('cairn-settings-goals tbody tr').first().waitFor({ timeout: 15_000 })
    // With the form open, as it is used.
    await page.locator('cairn-settings-goals header button.add').click()
    await page.selectOption('#goal-kind', 'event')
    if (name === 'dark') expect(await page.locator('cairn-app').getAttribute('theme')).toBe('dark')
    await page.screenshot({ path: `${ARTIFACTS}goals-settings-${name}.png`, fullPage: true })
    problems.push(...(await seriousViolations(page)).map((v) => `settings: ${v}`))
    if (name === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)

    await page.goto(`${server.url}/?site=${SITE}&page=%2Fpricing`)
    await page.locator('cairn-goals tbody tr').first().waitFor({ timeout: 15_000 })
    await page.locator('cairn-graph .plot[data-marks="1"]').waitFor({ timeout: 15_000 })
    await expect.poll(() => page.locator('cairn-app .loading, cairn-breakdown p.muted:has-text("Loading")').count(), { timeout: 15_000 }).toBe(0)
    await page.waitForTimeout(300)
    await page.screenshot({ path: `${ARTIFACTS}goals-dashboard-${name}.png`, fullPage: true })
    problems.push(...(await seriousViolations(page)).map((v) => `dashboard: ${v}`))
    if (name === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    // The segments' menu, open, and the annotation form.
    await page.locator('cairn-graph .notes button.add').click()
    await page.locator('cairn-segments button.toggle').click()
    await page.locator('cairn-segments #segment-name').waitFor({ timeout: 15_000 })
    await page.screenshot({ path: `${ARTIFACTS}goals-segments-${name}.png` })
    problems.push(...(await seriousViolations(page)).map((v) => `segments: ${v}`))
    expect(problems).toEqual([])
    await context.close()
  })
})
