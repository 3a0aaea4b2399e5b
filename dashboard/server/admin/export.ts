/**
 * A site's whole history as a zip (sql/site-export.ts), for its admins and the operator: what a customer
 * takes away when it leaves, as Parquet and CSV with the columns' meanings. Streamed as it is written.
 */
import { PassThrough, Readable } from 'node:stream'
import { Hono } from 'hono'
import type { Storage } from '../../../sql/client.ts'
import type { SiteList } from '../../../sql/sites.ts'
import { writeSiteExport } from '../../../sql/site-export.ts'
import { authorize, type Principal } from '../auth/access.ts'

type Env = { Variables: { principal: Principal | undefined } }

export function exportRoute(options: { storage: Storage; sites: SiteList; now: () => number }): Hono<Env> {
  const app = new Hono<Env>()
  app.get('/api/sites/:site/export', (c) => {
    const site = c.req.param('site')
    authorize(c.get('principal'), site, 'admin', (s) => options.sites.has(s))
    const { timeZone } = options.sites.get(site)!
    const body = new PassThrough()
    // A failure once bytes are sent can only cut the download short: the zip then has no directory, and
    // every unzip program says it is damaged.
    writeSiteExport(options.storage, { site, timeZone }, body).catch((error: Error) => body.destroy(error))
    const day = new Date(options.now()).toISOString().slice(0, 10)
    return new Response(Readable.toWeb(body) as ReadableStream, {
      headers: {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="cairn-${site.replace(/[^\w.-]/g, '_')}-${day}.zip"`,
        'cache-control': 'no-store',
      },
    })
  })
  return app
}
