/**
 * A site's whole history as a zip (sql/site-export.ts), for its admins and the operator: what a customer
 * takes away when it leaves, as Parquet and CSV with the columns' meanings, and in Plausible's CSV export
 * format. Streamed as it is written; one at a time in a process, as each holds a month in memory and
 * keeps an engine session busy.
 */
import { PassThrough, Readable } from 'node:stream'
import { Hono } from 'hono'
import type { Storage } from '../../../sql/client.ts'
import type { SiteList } from '../../../sql/sites.ts'
import { exportFileName, writeSiteExport } from '../../../sql/site-export.ts'
import { authorize, type Principal } from '../auth/access.ts'
import { HttpError } from '../http-error.ts'

type Env = { Variables: { principal: Principal | undefined } }

export function exportRoute(options: { storage: Storage; sites: SiteList; now: () => number }): Hono<Env> {
  const app = new Hono<Env>()
  let running = false
  app.get('/api/sites/:site/export', (c) => {
    const site = c.req.param('site')
    authorize(c.get('principal'), site, 'admin', (s) => options.sites.has(s))
    const { timeZone } = options.sites.get(site)!
    const headers = {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="${exportFileName(site, options.now())}"`,
      'cache-control': 'no-store',
    }
    // Hono answers HEAD with its GET route: the headers, without running an export nobody reads.
    if (c.req.method === 'HEAD') return new Response(null, { headers })
    if (running) throw new HttpError(429, ['api.export.busy'], undefined, { 'retry-after': '60' })
    running = true
    const body = new PassThrough()
    c.req.raw.signal.addEventListener('abort', () => body.destroy(), { once: true })
    // A failure once bytes are sent can only cut the download short (site-export.ts); a reader who goes
    // away closes the body, which stops the export's queries.
    writeSiteExport(options.storage, { site, timeZone }, body)
      .catch((error: Error) => body.destroy(error))
      .finally(() => (running = false))
    return new Response(Readable.toWeb(body) as ReadableStream, { headers })
  })
  return app
}
