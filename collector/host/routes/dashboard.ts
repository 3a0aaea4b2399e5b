/**
 * The dashboard's page, its content-hashed bundle and catalogues, and the flags (dashboard/dist). The page
 * is never cached (it names the current bundle); the rest is cached for a year (flags for a day: their
 * names do not change with them). A strict CSP: the app loads nothing from elsewhere.
 */
import { DASHBOARD_DIST } from '../../../dashboard/dist.ts'
import { Hono } from 'hono'
import { notFound } from '../../../dashboard/server/http-error.ts'
import { lazyBuiltFiles, loadBuiltFiles, sendBuiltFile } from '../built-files.ts'

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-cache',
  // uPlot positions its parts with style attributes, hence 'unsafe-inline' for styles only.
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
}

export function dashboardRoute(dir = DASHBOARD_DIST): Hono {
  const page = loadBuiltFiles(dir, /^index\.html$/, 'index.html').get('index.html')!
  const assets = loadBuiltFiles(dir + 'assets/', /^(app|chunk|i18n\.[a-z]{2})\.[\w-]+\.js$/, '')
  const flags = lazyBuiltFiles(dir + 'assets/flags/', /^[a-z]{2}\.svg$/)
  const app = new Hono()
  app.get('/', (c) => sendBuiltFile(c, page, PAGE_HEADERS))
  // A shared link's token stays in the path, where the page reads it; it never reaches a query log.
  app.get('/share/:token', (c) => sendBuiltFile(c, page, { ...PAGE_HEADERS, 'Referrer-Policy': 'no-referrer' }))
  app.get('/assets/:file', (c) => {
    const asset = assets.get(c.req.param('file'))
    if (!asset) throw notFound(['api.notFound.file'])
    return sendBuiltFile(c, asset, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' })
  })
  app.get('/assets/flags/:file', (c) => {
    const flag = flags.get(c.req.param('file'))
    if (!flag) throw notFound(['api.notFound.file'])
    // An SVG as an image cannot run script; the CSP says so again should it be opened as a page.
    return sendBuiltFile(c, flag, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" })
  })
  return app
}
