/**
 * The tracker's extensions (data-extensions: forms, 404, tagged) in Chromium against the real collector:
 * what each sends, read back from the stored rows and from the raw bodies the page posted; that a form's
 * field values never leave the page; that a page without the attribute loads no extension. Their size
 * budgets are asserted with the core's, in test/tracker-script.test.ts.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SITE, TestSite, type PageOptions, type Row } from './helpers/site.ts'

let site: TestSite
let collector: string

beforeAll(async () => {
  site = await TestSite.start()
  collector = `http://${SITE}:${site.server.server.port}`
}, 60_000)
afterAll(() => site?.stop())

/**
 * Records the page's extensions at work: `listening` collects the types of the listeners added to the
 * document, so a test can wait until a module has started (import() resolves after the page's load).
 */
const LISTENERS = `window.listening = [];
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, ...rest) {
    if (this === document) listening.push(type);
    return add.call(this, type, ...rest);
  };`

/** Every request the page (and the pages it navigates to) sent, with its raw body. */
function record(page: Page): { url: string; body: string }[] {
  const requests: { url: string; body: string }[] = []
  page.on('request', (request) => requests.push({ url: request.url(), body: request.postData() ?? '' }))
  return requests
}

/** The events the page posted, engagement reports (sent when a page is left) aside. */
const eventsSent = (requests: { url: string; body: string }[]) =>
  requests
    .filter((r) => r.url === `${collector}/api/event`)
    .map((r) => JSON.parse(r.body) as { n: string; u: string; p?: object })
    .filter((e) => e.n !== 'engagement')

/** The custom events among the rows. */
const CUSTOM = `name NOT IN ('pageview', 'engagement')`

async function open(path: string, options: PageOptions, next = path) {
  const url = site.page(path, { ...options, before: LISTENERS + (options.before ?? '') })
  const context = await site.newContext()
  const page = await context.newPage()
  const requests = record(page)
  await page.goto(url + next.slice(path.length))
  return { context, page, requests }
}

/**
 * Waits until `count` extensions listen for `type` on the document: `submit` for forms and tagged,
 * `DOMContentLoaded` for 404 (the core listens for neither).
 */
const started = (page: Page, count = 1, type = 'submit') =>
  page.waitForFunction(([n, t]) => (window as any).listening.filter((l: string) => l === t).length >= n, [count, type] as const)

describe('loading', () => {
  it('loads no extension without data-extensions', async () => {
    const { context, page, requests } = await open('/ext-none/', {})
    await site.waitForRows("pathname = '/ext-none/'", 1)
    await page.waitForTimeout(300)
    expect(requests.map((r) => r.url).filter((u) => u.includes('/cairn.'))).toEqual([`${collector}/cairn.js`])
    await context.close()
  })

  it('loads each named extension from the script own origin, and only those', async () => {
    const { context, page, requests } = await open('/ext-two/', { attrs: { extensions: 'forms, tagged' } })
    await started(page, 2)
    expect(requests.map((r) => r.url).filter((u) => u.includes('/cairn.')).sort()).toEqual([
      `${collector}/cairn.ext.forms.js`,
      `${collector}/cairn.ext.tagged.js`,
      `${collector}/cairn.js`,
    ])
    await context.close()
  })
})

describe('forms', () => {
  const TYPED = { email: 'jane.doe@example.com', password: 'hunter2-Secret!', name: 'Jane Quincy' }
  const body = `
    <form id="signup" method="post" action="/ext-forms/thanks?step=2">
      <input type="hidden" name="id" value="hidden-id-value">
      <input type="hidden" name="action" value="hidden-action-value">
      <input name="name"> <input type="email" name="email"> <input type="password" name="password">
      <button id="signup-send">Sign up</button>
    </form>
    <form name="newsletter" action="https://lists.example.net/subscribe?list=7" onsubmit="event.preventDefault()">
      <input type="email" name="address"> <button id="newsletter-send">Subscribe</button>
    </form>
    <form onsubmit="event.preventDefault()"><input name="q" value="shoes"> <button id="search-send">Search</button></form>`

  it('counts each submitted form by its id, name or action, and never sends a field value', async () => {
    const { context, page, requests } = await open('/ext-forms/', { attrs: { extensions: 'forms' }, body })
    await started(page)
    await page.fill('[name=address]', TYPED.email)
    await page.click('#newsletter-send') // cancelled by the page (sent by its own script): still a submission
    await page.click('#search-send')
    await page.fill('[name=name]', TYPED.name)
    await page.fill('[name=email]', TYPED.email)
    await page.fill('[name=password]', TYPED.password)
    await page.click('#signup-send')
    await page.waitForURL('**/ext-forms/thanks?step=2')

    const rows = await site.waitForRows<Row>(`pathname LIKE '/ext-forms/%' AND ${CUSTOM}`, 3)
    expect(rows.map((r) => [r.name, r.pathname, r.props]).sort()).toEqual([
      ['Form: /ext-forms/', '/ext-forms/', { action: '/ext-forms/' }],
      ['Form: newsletter', '/ext-forms/', { form: 'newsletter', action: 'https://lists.example.net/subscribe' }],
      ['Form: signup', '/ext-forms/', { form: 'signup', action: '/ext-forms/thanks' }],
    ])
    // The form's own submission carried the values; nothing sent to Cairn did, nor anything Cairn stored.
    expect(requests.some((r) => r.body.includes(encodeURIComponent(TYPED.email)))).toBe(true)
    const toCairn = requests.filter((r) => r.url.startsWith(collector))
    const stored = JSON.stringify(await site.rows("pathname LIKE '/ext-forms/%'"))
    for (const secret of [...Object.values(TYPED), 'shoes', 'hidden-id-value', 'hidden-action-value']) {
      for (const { url, body } of toCairn) {
        expect(url).not.toContain(secret)
        expect(body).not.toContain(secret)
        expect(body).not.toContain(encodeURIComponent(secret))
      }
      expect(stored).not.toContain(secret)
    }
    expect(eventsSent(requests).map((e) => e.n)).toEqual(['pageview', 'Form: newsletter', 'Form: /ext-forms/', 'Form: signup', 'pageview'])
    await context.close()
  })
})

describe('404', () => {
  const MARK = `document.head.append(Object.assign(document.createElement('meta'), { name: 'cairn-404' }));`

  it('sends a 404 event with the path on a page marked not found, and still counts its pageview', async () => {
    const { context, requests } = await open('/ext-404/', { attrs: { extensions: '404' }, before: MARK }, '/ext-404/no/such/page?from=menu')
    const rows = await site.waitForRows<Row>("pathname = '/ext-404/no/such/page'", 2)
    expect(rows.map((r) => [r.name, r.props]).sort()).toEqual([
      ['404', { path: '/ext-404/no/such/page' }],
      ['pageview', {}],
    ])
    expect(eventsSent(requests).map((e) => e.n)).toEqual(['pageview', '404'])
    await context.close()
  })

  it('sends nothing more on a page not marked', async () => {
    const { context, page, requests } = await open('/ext-found/', { attrs: { extensions: '404' } })
    await started(page, 1, 'DOMContentLoaded')
    await site.waitForRows("pathname = '/ext-found/'", 1)
    await page.waitForTimeout(300)
    expect(eventsSent(requests).map((e) => e.n)).toEqual(['pageview'])
    await context.close()
  })
})

describe('tagged', () => {
  const body = (path: string) => `
    <button id="signup" class="big cairn-event-name=Signup cairn-event-plan=pro">Sign up</button>
    <button id="plain">Not tagged</button>
    <div class="cairn-event-name=Pricing+card"><p id="inside">Inside a tagged card</p></div>
    <a id="demo" class="plausible-event-name=Request+demo plausible-event-position=hero+banner" href="${path}demo?utm_source=x#top">Demo</a>
    <a id="docs" href="${path}docs"><span class="plausible-event-name--Docs">Docs</span></a>
    <form class="cairn-event-name=Contact cairn-event-topic=sales" onsubmit="event.preventDefault()">
      <input id="field" name="message"> <button id="send">Send</button>
    </form>`

  it("sends the events declared by Cairn's and Plausible's classes, with their props", async () => {
    const { context, page, requests } = await open('/ext-tagged/', { attrs: { extensions: 'tagged' }, body: body('/ext-tagged/') })
    await started(page)
    await page.click('#signup')
    await page.click('#plain')
    await page.click('#inside')
    await page.click('#field') // a click in a tagged form is not its submission
    await page.click('#send')
    await page.click('#signup', { button: 'right' })
    await page.click('#signup', { button: 'middle' }) // does nothing on a button: not counted
    const rows = await site.waitForRows<Row>(`pathname = '/ext-tagged/' AND ${CUSTOM}`, 3)
    await page.waitForTimeout(300)
    expect(eventsSent(requests).map((e) => [e.n, e.p])).toEqual([
      ['pageview', undefined],
      ['Signup', { plan: 'pro' }],
      ['Pricing card', {}],
      ['Contact', { topic: 'sales' }],
    ])
    expect(rows.map((r) => [r.name, r.props]).sort()).toEqual([
      ['Contact', { topic: 'sales' }],
      ['Pricing card', {}],
      ['Signup', { plan: 'pro' }],
    ])
    await context.close()
  })

  it('counts left, modified and middle clicks on tagged links, and the link still navigates', async () => {
    const { context, page, requests } = await open('/ext-links/', { attrs: { extensions: 'tagged' }, body: body('/ext-links/') })
    await started(page)
    const demo = `http://${SITE}:${site.pages.port}/ext-links/demo`
    const docs = `http://${SITE}:${site.pages.port}/ext-links/docs`
    await page.click('#demo', { modifiers: ['ControlOrMeta'] }) // a new tab
    await page.click('#demo', { button: 'middle' }) // a new tab
    await page.click('#demo', { button: 'right' }) // the context menu: nothing
    expect(new URL(page.url()).pathname).toBe('/ext-links/')
    await page.click('#docs') // leaves the page: the keepalive send outlives it
    await page.waitForURL('**/ext-links/docs')

    expect(eventsSent(requests).map((e) => [e.n, new URL(e.u).pathname, e.p])).toEqual([
      ['pageview', '/ext-links/', undefined],
      ['Request demo', '/ext-links/', { position: 'hero banner', url: demo }],
      ['Request demo', '/ext-links/', { position: 'hero banner', url: demo }],
      ['Docs', '/ext-links/', { url: docs }],
      ['pageview', '/ext-links/docs', undefined],
    ])
    const rows = await site.waitForRows<Row>(`pathname = '/ext-links/' AND ${CUSTOM}`, 3)
    expect(rows.map((r) => r.name).sort()).toEqual(['Docs', 'Request demo', 'Request demo'])
    expect(rows.find((r) => r.name === 'Docs')!.props).toEqual({ url: docs })
    await context.close()
  })
})
