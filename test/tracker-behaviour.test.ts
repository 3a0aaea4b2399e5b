/** The tracker in Chromium against the real collector: what it sends for pages, links, engagement and the JS API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PageServer, eventually } from './helpers/browser.ts'
import { SITE, TestSite, recordEvents, type Row } from './helpers/site.ts'

let site: TestSite

beforeAll(async () => {
  site = await TestSite.start()
}, 60_000)
afterAll(() => site?.stop())

async function open(path: string, options: Parameters<TestSite['page']>[1] = {}) {
  const url = site.page(path, options)
  const context = await site.newContext()
  const page = await context.newPage()
  const events = recordEvents(page)
  await page.goto(url)
  return { url, context, page, events }
}

describe('pageviews', () => {
  it('counts SPA navigations once per new path', async () => {
    const { page, context, events } = await open('/spa/')
    await page.evaluate(() => {
      history.pushState({}, '', '/spa/products')
      history.replaceState({}, '', '/spa/products') // same path: no second pageview
      history.pushState({}, '', '/spa/products/42')
      history.pushState({}, '', '/spa/cart?step=1')
    })
    await page.goBack() // popstate back to /spa/products/42
    const expected = ['/spa/', '/spa/products', '/spa/products/42', '/spa/cart', '/spa/products/42']
    const rows = await site.waitForRows("name = 'pageview' AND pathname LIKE '/spa/%'", 5)
    // Beacons sent within a millisecond may arrive in any order: the order is the page's, the rows are the set.
    expect(events.sent.map((e) => new URL(e.u as string).pathname)).toEqual(expected)
    expect(rows.map((r) => r.pathname).sort()).toEqual([...expected].sort())
    await context.close()
  })

  it('counts hash routes in hash mode', async () => {
    const { page, context } = await open('/hash/', { attrs: { hash: '' } })
    await page.evaluate(() => (location.hash = '#/inbox'))
    await page.evaluate(() => history.pushState({}, '', '#/settings'))
    await page.evaluate(() => (location.hash = '#/settings/profile'))
    const rows = await site.waitForRows("name = 'pageview' AND pathname LIKE '/hash/%'", 4)
    expect(rows.map((r) => r.pathname).sort()).toEqual(['/hash/', '/hash/#/inbox', '/hash/#/settings', '/hash/#/settings/profile'])
    await context.close()
  })

  it('counts a page restored from the back/forward cache again', async () => {
    const { page, context, url } = await open('/bfcache/')
    await page.goto(url.replace('/bfcache/', '/elsewhere'))
    await page.goBack()
    expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).type)).toBe('back_forward')
    const rows = await site.waitForRows("name = 'pageview' AND pathname = '/bfcache/'", 2)
    expect(rows).toHaveLength(2)
    await context.close()
  })
})

describe('links', () => {
  const links = `
    <a id="report" href="/files/report.pdf?x=1">Report</a>
    <a id="sheet" href="/files/Budget.XLSX">Budget</a>
    <a id="page" href="/links/about">About</a>
    <a id="out" href="http://partner.test:PORT/elsewhere">Partner</a>`

  it('sends a download for a file link, without its query, and an outbound for another host', async () => {
    const pages = await PageServer.start(() => '<h1>Partner</h1>')
    const { page, context } = await open('/links/', { body: links.replace('PORT', String(pages.port)) })
    await page.click('#sheet', { button: 'middle' })
    await page.click('#page', { modifiers: ['ControlOrMeta'] }) // same site, not a file: nothing
    await page.click('#report')
    await page.waitForURL('**/files/report.pdf?x=1').catch(() => {})
    await page.goBack()
    await page.click('#out')
    await page.waitForURL('http://partner.test:*/elsewhere')
    const rows = await site.waitForRows("name IN ('download', 'outbound')", 3)
    expect(rows.map((r) => [r.name, r.link_url]).sort()).toEqual([
      ['download', expect.stringMatching(/\/files\/Budget\.XLSX$/)],
      ['download', `http://${SITE}:${site.pages.port}/files/report.pdf`],
      ['outbound', `http://partner.test:${pages.port}/elsewhere`],
    ])
    await context.close()
    await pages.close()
  })
})

describe('data-download-extensions', () => {
  it('replaces the default list', async () => {
    const body = '<a id="epub" href="/books/novel.epub">Book</a> <a id="pdf" href="/books/flyer.pdf">Flyer</a>'
    const { page, context, events } = await open('/books/', { attrs: { 'download-extensions': 'epub,mobi' }, body })
    await page.click('#pdf', { modifiers: ['ControlOrMeta'] })
    await page.click('#epub', { modifiers: ['ControlOrMeta'] })
    await eventually(async () => events.sent.length, (n) => n >= 2)
    await page.waitForTimeout(300)
    expect(events.sent.map((e) => [e.n, (e.p as { url?: string } | undefined)?.url])).toEqual([
      ['pageview', undefined],
      ['download', `http://${SITE}:${site.pages.port}/books/novel.epub`],
    ])
    await context.close()
  })
})

describe('engagement', () => {
  it('reports engaged time and scroll depth when the page is hidden', async () => {
    const { page, context } = await open('/engaged/')
    await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight))
    await page.waitForTimeout(3000)
    await page.goto(site.pages.url(SITE, '/elsewhere')) // leaving hides the page
    const [row] = await site.waitForRows<Row>("name = 'engagement' AND pathname = '/engaged/'", 1)
    expect(row!.engagement_ms).toBeGreaterThanOrEqual(2000)
    expect(row!.engagement_ms).toBeLessThanOrEqual(4000)
    expect(row!.scroll_depth).toBe(100)
    await context.close()
  })

  it('reports engagement before an SPA navigation counts the next page', async () => {
    const { page, context, events } = await open('/engaged-spa/')
    await page.waitForTimeout(1200)
    await page.evaluate(() => history.pushState({}, '', '/engaged-spa/next'))
    await eventually(async () => events.sent.length, (n) => n >= 3)
    expect(events.sent.map((e) => [e.n, new URL(e.u as string).pathname])).toEqual([
      ['pageview', '/engaged-spa/'],
      ['engagement', '/engaged-spa/next'],
      ['pageview', '/engaged-spa/next'],
    ])
    await context.close()
  })
})

describe('the cairn() API', () => {
  it('keeps calls made before the script loaded', async () => {
    const before = `window.cairn = window.cairn || function () { (cairn.q = cairn.q || []).push(arguments) };
      cairn('event', 'Early', { props: { from: 'queue' } });`
    const { context } = await open('/queue/', { before })
    const [row] = await site.waitForRows<Row>("name = 'Early'", 1)
    expect(row!.props).toEqual({ from: 'queue' })
    await context.close()
  })

  it('opts out for every later page until optin', async () => {
    const { page, context, events } = await open('/optout/')
    await eventually(async () => events.sent.length, (n) => n >= 1)
    await page.evaluate(() => (window as any).cairn('optout'))
    await page.evaluate(() => (window as any).cairn('event', 'AfterOptout'))
    await page.reload()
    await page.evaluate(() => history.pushState({}, '', '/optout/other'))
    await page.waitForTimeout(500)
    expect(events.sent.map((e) => e.n)).toEqual(['pageview'])
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual(['cairn_optout'])

    await page.evaluate(() => (window as any).cairn('optin'))
    await page.reload()
    await eventually(async () => events.sent.length, (n) => n >= 2)
    expect(events.sent.map((e) => e.n)).toEqual(['pageview', 'pageview'])
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
    expect(await site.rows("name = 'AfterOptout'")).toEqual([])
    await context.close()
  })
})

describe('not counted', () => {
  it('sends nothing from an automated browser, from localhost, or from an excluded page', async () => {
    const webdriver = await site.newContext()
    await webdriver.addInitScript(() => Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => true }))
    const page = await webdriver.newPage()
    const fromWebdriver = recordEvents(page)
    await page.goto(site.page('/robot/'))

    const localhost = await site.newContext()
    const local = await localhost.newPage()
    const fromLocalhost = recordEvents(local)
    site.page('/local/')
    await local.goto(`http://localhost:${site.pages.port}/local/`)

    const { page: excludedPage, events: fromExcluded, context } = await open('/members/', { attrs: { exclude: '/members/*, /drafts/**' } })
    await excludedPage.evaluate(() => history.pushState({}, '', '/drafts/2026/plan'))
    await excludedPage.evaluate(() => history.pushState({}, '', '/public'))
    await eventually(async () => fromExcluded.sent.length, (n) => n >= 1)
    await page.waitForTimeout(500)
    expect(fromWebdriver.sent).toEqual([])
    expect(fromLocalhost.sent).toEqual([])
    expect(fromExcluded.sent.map((e) => new URL(e.u as string).pathname)).toEqual(['/public'])
    await Promise.all([webdriver.close(), localhost.close(), context.close()])
  })

  it('counts localhost with data-local', async () => {
    site.page('/dev/', { attrs: { local: '' } })
    const context = await site.newContext()
    const page = await context.newPage()
    const events = recordEvents(page)
    await page.goto(`http://localhost:${site.pages.port}/dev/`)
    await eventually(async () => events.sent.length, (n) => n >= 1)
    expect(events.sent[0]).toMatchObject({ n: 'pageview', d: SITE })
    await context.close()
  })
})
