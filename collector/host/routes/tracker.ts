/**
 * The tracker scripts (tracker/dist): cairn.js and the cairn.consent.*.js adapter modules, with a day of
 * caching plus ETag revalidation, since the URL a site embeds never changes.
 */
import { TRACKER_DIST } from '../../../tracker/dist.ts'
import { Hono } from 'hono'
import { notFound } from '../../../dashboard/server/http-error.ts'
import { loadBuiltFiles, sendBuiltFile } from '../built-files.ts'

export function trackerRoute(dir = TRACKER_DIST): Hono {
  const scripts = loadBuiltFiles(dir, /^cairn[\w.]*\.js$/, 'cairn.js')
  const app = new Hono()
  app.get('/:file{cairn[\\w.]*\\.js}', (c) => {
    const script = scripts.get(c.req.param('file'))
    if (!script) throw notFound(['api.notFound.file'])
    return sendBuiltFile(c, script, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=86400, stale-while-revalidate=604800',
      // Adapters are loaded with import() from the site's pages, which makes them CORS requests.
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    })
  })
  return app
}
