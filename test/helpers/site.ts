/** A test site `shop.test`: pages served by the test, the tracker and collector from the real Cairn server. */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium, PageServer, eventually } from './browser.ts'
import { cmpScript, type Cmp } from './cmps.ts'
import { TestServer, type TestServerOptions } from './server.ts'

export const SITE = 'shop.test'

export interface PageOptions {
  /** data-* attributes for the tracker's script tag, e.g. { consent: 'tcf' }. */
  attrs?: Record<string, string>
  cmp?: Cmp
  /** The banner starts as already answered "granted" (a returning visitor). */
  answered?: boolean
  /** Script run before the tracker loads. */
  before?: string
  body?: string
}

export class TestSite {
  private constructor(
    readonly server: TestServer,
    readonly pages: PageServer,
    readonly browser: Browser,
    private readonly routes: Map<string, PageOptions>,
  ) {}

  static async start(serverOptions: Omit<TestServerOptions, 'sites'> = {}): Promise<TestSite> {
    const server = await TestServer.start({ ...serverOptions, sites: [SITE] })
    const routes = new Map<string, PageOptions>()
    const collector = `http://${SITE}:${server.server.port}`
    const pages = await PageServer.start((url) => {
      // Any path below a registered prefix gets its page, so SPA and reload paths work.
      const prefix = [...routes.keys()].filter((p) => url.pathname.startsWith(p)).sort((a, b) => b.length - a.length)[0]
      if (prefix === undefined) return url.pathname === '/elsewhere' ? '<h1>Elsewhere</h1>' : undefined
      const options = routes.get(prefix)!
      const answered = options.answered || url.searchParams.get('consent') === 'granted'
      const attrs = Object.entries({ site: SITE, ...options.attrs }).map(([k, v]) => ` data-${k}="${v}"`).join('')
      return `<!doctype html><html><head><title>${url.pathname}</title>
        ${options.cmp ? `<script>${cmpScript(options.cmp, answered)}</script>` : ''}
        ${options.before ? `<script>${options.before}</script>` : ''}
        <script defer${attrs} src="${collector}/cairn.js"></script></head>
        <body style="min-height: 3000px">${options.body ?? '<h1>Shop</h1>'}</body></html>`
    })
    return new TestSite(server, pages, await launchChromium(), routes)
  }

  /** Registers the page served at `path` (and below it) and returns its URL. */
  page(path: string, options: PageOptions = {}): string {
    this.routes.set(path, options)
    return this.pages.url(SITE, path)
  }

  newContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    return this.browser.newContext(options)
  }

  async rows<T = Record<string, unknown>>(where: string, params: Record<string, unknown> = {}): Promise<T[]> {
    await this.server.flush()
    return this.server.rows<T>(
      `SELECT name, pathname, consent, toString(visitor_id) AS visitor_id, link_url, engagement_ms, scroll_depth, props
       FROM cairn.events WHERE site = {site:String} AND ${where} ORDER BY timestamp`,
      { site: SITE, ...params },
    )
  }

  /** Waits until the rows matching `where` number at least `count`, then returns them. */
  async waitForRows<T = Row>(where: string, count: number, params: Record<string, unknown> = {}): Promise<T[]> {
    return eventually(() => this.rows<T>(where, params), (rows) => rows.length >= count)
  }

  async stop(): Promise<void> {
    await this.browser.close()
    await this.pages.close()
    await this.server.stop()
  }
}

export interface Row {
  name: string
  pathname: string
  consent: boolean
  visitor_id: string
  link_url: string
  engagement_ms: number
  scroll_depth: number
  props: Record<string, string>
}

/** Every request the page sent to the collector's event endpoint, with what the collector answered. */
export function recordEvents(page: Page): { sent: Record<string, unknown>[]; setCookies: string[] } {
  const log = { sent: [] as Record<string, unknown>[], setCookies: [] as string[] }
  page.on('request', (request) => {
    if (request.url().endsWith('/api/event')) log.sent.push(JSON.parse(request.postData() ?? '{}'))
  })
  page.on('response', async (response) => {
    if (!response.url().endsWith('/api/event')) return
    const header = await response.headerValue('set-cookie').catch(() => null)
    if (header) log.setCookies.push(header)
  })
  return log
}

export async function cairnCookies(context: BrowserContext): Promise<string[]> {
  return (await context.cookies()).filter((c) => c.name === 'cairn_id').map((c) => c.value)
}
