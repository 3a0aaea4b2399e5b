/**
 * The tracker in Chromium against the real collector: nothing on the device without consent, each of the
 * eight banners read through its documented API, GPC above every banner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CMPS } from './helpers/cmps.ts'
import { TestSite, cairnCookies, recordEvents, type Row } from './helpers/site.ts'

let site: TestSite

beforeAll(async () => {
  site = await TestSite.start()
}, 60_000)
afterAll(() => site?.stop())

describe('without consent', () => {
  it('stores events without consent and leaves no cookie and no storage on the device', async () => {
    const url = site.page('/plain/', { body: '<a id="pdf" href="/files/price-list.pdf">prices</a>' })
    const context = await site.newContext()
    const page = await context.newPage()
    const events = recordEvents(page)
    await page.goto(url)
    await page.evaluate(() => (window as any).cairn('event', 'Signup', { props: { plan: 'free' } }))
    await page.evaluate(() => history.pushState({}, '', '/plain/next'))
    await page.click('#pdf', { modifiers: ['ControlOrMeta'] })
    const rows = await site.waitForRows("pathname LIKE '/plain/%'", 4)
    expect(rows.map((r) => r.name).sort()).toEqual(['Signup', 'download', 'pageview', 'pageview'])
    expect(rows.every((r) => r.consent === false)).toBe(true)
    expect(events.sent.every((e) => !('c' in e))).toBe(true) // no banner: consent unknown, so not claimed

    expect(await context.cookies()).toEqual([])
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, ''])
    expect(events.setCookies).toEqual([])
    await context.close()
  })
})

describe.each(CMPS)('with %s', (cmp) => {
  it('follows the banner: cookie on grant, same visitor on the next page, cookieless again on withdrawal', async () => {
    const url = site.page(`/${cmp}/`, { cmp, attrs: { consent: cmp } })
    const context = await site.newContext()
    const page = await context.newPage()
    const events = recordEvents(page)

    // Unanswered banner: the pageview waits for it (bounded), then goes without a consent claim.
    await page.goto(url + 'one')
    const [first] = await site.waitForRows('pathname = {p:String}', 1, { p: `/${cmp}/one` })
    expect(first!.consent).toBe(false)
    expect(await cairnCookies(context)).toEqual([])

    await page.evaluate(() => (window as any).grant())
    await page.evaluate(() => (window as any).cairn('event', 'Granted'))
    const [granted] = await site.waitForRows<Row>("pathname = {p:String} AND name = 'Granted'", 1, { p: `/${cmp}/one` })
    expect(granted!.consent).toBe(true)
    expect(await cairnCookies(context)).toHaveLength(1)

    // Next page: a returning visitor whose banner answers from its own storage, after our script loaded.
    await page.goto(url + 'two?consent=granted')
    const [second] = await site.waitForRows<Row>('pathname = {p:String}', 1, { p: `/${cmp}/two` })
    expect(second).toMatchObject({ name: 'pageview', consent: true, visitor_id: granted!.visitor_id })

    await page.evaluate(() => (window as any).withdraw())
    await page.evaluate(() => (window as any).cairn('event', 'Withdrawn'))
    const [withdrawn] = await site.waitForRows<Row>("name = 'Withdrawn' AND pathname = {p:String}", 1, { p: `/${cmp}/two` })
    expect(withdrawn!.consent).toBe(false)
    expect(withdrawn!.visitor_id).not.toBe(granted!.visitor_id)
    expect(await cairnCookies(context)).toEqual([])
    expect(events.sent.filter((e) => e.n === 'Withdrawn').map((e) => e.c)).toEqual([false])
    await context.close()
  })
})

describe('tarteaucitron before it has read its cookie', () => {
  // Its cookie lists every service; the adapter must read the one configured, not the last one.
  it.each([
    ['stats=true', '!stats=true!gtag=false', true],
    ['stats=false', '!gtag=true!stats=false!matomo=true', false],
  ])('reads %s from the cookie of several services', async (_, cookie, expected) => {
    const path = `/tac-${String(expected)}/`
    const url = site.page(path, {
      attrs: { consent: 'tarteaucitron:stats' },
      before: `document.cookie = 'tarteaucitron=${cookie}; path=/'; window.tarteaucitron = { state: {}, job: [] };`,
    })
    const context = await site.newContext()
    const page = await context.newPage()
    const events = recordEvents(page)
    await page.goto(url)
    const [row] = await site.waitForRows<Row>('pathname = {p:String}', 1, { p: path })
    expect(row!.consent).toBe(expected)
    expect(events.sent.map((e) => e.c)).toEqual([expected])
    await context.close()
  })
})

describe('auto and manual', () => {
  it.each(['tcf', 'cookiebot', 'klaro', 'gcm'] as const)('data-consent="auto" finds %s and follows it', async (cmp) => {
    const url = site.page(`/auto-${cmp}/`, { cmp, attrs: { consent: 'auto' }, answered: true })
    const context = await site.newContext()
    const page = await context.newPage()
    await page.goto(url)
    const [row] = await site.waitForRows<Row>('pathname = {p:String}', 1, { p: `/auto-${cmp}/` })
    expect(row!.consent).toBe(true)
    expect(await cairnCookies(context)).toHaveLength(1)
    await context.close()
  })

  it('data-consent="manual" waits for the site to call cairn("consent")', async () => {
    const url = site.page('/manual/', { attrs: { consent: 'manual' }, before: "window.cairn = window.cairn || function () { (cairn.q = cairn.q || []).push(arguments) }; setTimeout(function () { cairn('consent', { statistics: true }) }, 300)" })
    const context = await site.newContext()
    const page = await context.newPage()
    await page.goto(url)
    const [row] = await site.waitForRows<Row>("pathname = '/manual/'", 1)
    expect(row!.consent).toBe(true)
    expect(await cairnCookies(context)).toHaveLength(1)
    await context.close()
  })
})

describe('Global Privacy Control', () => {
  it('overrides a granting banner: no cookie, events without consent', async () => {
    const url = site.page('/gpc/', { cmp: 'tcf', attrs: { consent: 'tcf' }, answered: true })
    const context = await site.newContext({ extraHTTPHeaders: { 'Sec-GPC': '1' } })
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }))
    const page = await context.newPage()
    const events = recordEvents(page)
    await page.goto(url + 'one')
    await page.evaluate(() => (window as any).grant())
    await page.evaluate(() => (window as any).cairn('event', 'Granted'))
    const rows = await site.waitForRows("pathname = '/gpc/one'", 2)
    expect(rows.map((r) => [r.name, r.consent])).toEqual([['pageview', false], ['Granted', false]])
    expect(events.sent.map((e) => e.c)).toEqual([false, false])
    expect(await cairnCookies(context)).toEqual([])
    expect(events.setCookies).toEqual([])
    await context.close()
  })
})
