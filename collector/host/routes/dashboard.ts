/**
 * The dashboard's page and its content-hashed bundle (dashboard/dist). The page is never cached (it names
 * the current bundle); the bundle is cached for a year. A strict CSP: the app loads nothing from elsewhere.
 */
import { DASHBOARD_DIST } from '../../../dashboard/dist.ts'
import { Hono } from 'hono'
import { notFound } from '../../../dashboard/server/http-error.ts'
import { loadBuiltFiles, sendBuiltFile } from '../built-files.ts'

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
  const assets = loadBuiltFiles(dir + 'assets/', /^app\.[\w-]+\.js$/, '')
  const app = new Hono()
  app.get('/', (c) => sendBuiltFile(c, page, PAGE_HEADERS))
  // A shared link's token stays in the path, where the page reads it; it never reaches a query log.
  app.get('/share/:token', (c) => sendBuiltFile(c, page, { ...PAGE_HEADERS, 'Referrer-Policy': 'no-referrer' }))
  app.get('/assets/:file', (c) => {
    const asset = assets.get(c.req.param('file'))
    if (!asset) throw notFound('file')
    return sendBuiltFile(c, asset, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' })
  })
  return app
}
