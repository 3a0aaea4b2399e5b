/**
 * What only the operator may do (docs/admin-api.md), because it writes files or loads much data: demo
 * traffic, backups, and making the rollups again. The operator is a request on the server's Unix socket or a command in its own
 * process; no login or API key reaches these routes.
 */
import { Hono, type Context } from 'hono'
import { stream } from 'hono/streaming'
import { isAbsolute } from 'node:path'
import type { Storage } from '../../../sql/client.ts'
import { backup } from '../../../sql/backup.ts'
import type { SiteList } from '../../../sql/sites.ts'
import { HttpError, invalid, notFound } from '../../../dashboard/server/http-error.ts'
import { jsonBody } from '../../../dashboard/server/params.ts'
import { generateDemo } from '../demo/generate.ts'
import { sealWanted } from '../../../dashboard/server/rollups.ts'
import { dropRollups } from '../../../sql/rollups.ts'

export interface OperatorRouteDeps {
  storage: Storage
  sites: SiteList
  operator: (c: Context) => boolean
  /** Writes the events acknowledged so far (in the spool, queued) to ClickHouse. */
  flush: () => Promise<void>
  now: () => number
  cluster?: string
}

/** Progress as one JSON line a step, then the result: what the CLI draws its progress bar from. */
type Step = { done: number; total: number } | { result: unknown } | { error: string }

export function operatorRoute({ storage, sites, operator, flush, now, cluster }: OperatorRouteDeps): Hono {
  const app = new Hono()
  app.use('/api/sites/:site/demo', async (c, next) => {
    if (!operator(c)) throw new HttpError(403, ['api.forbidden.operator'])
    await next()
  })
  app.use('/api/rollups', async (c, next) => {
    if (!operator(c)) throw new HttpError(403, ['api.forbidden.operator'])
    await next()
  })
  app.use('/api/backup', async (c, next) => {
    if (!operator(c)) throw new HttpError(403, ['api.forbidden.operator'])
    await next()
  })
  const integer = (value: unknown, name: string, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) throw invalid({ [name]: ['api.field.integer', { min, max }] })
    return value as number
  }
  const steps = (c: Context, work: (step: (s: Step) => void) => Promise<unknown>) =>
    stream(c, async (out) => {
      c.header('Content-Type', 'application/x-ndjson')
      const step = (s: Step) => void out.write(`${JSON.stringify(s)}\n`)
      try {
        step({ result: await work(step) })
      } catch (error) {
        step({ error: (error as Error).message })
      }
    })

  app.post('/api/sites/:site/demo', async (c) => {
    const site = c.req.param('site')
    if (!sites.has(site)) throw notFound(['api.notFound.site', { site }])
    const input = await jsonBody(c)
    const events = integer(input.events, 'events', 100_000, 1, 1_000_000_000)
    const days = integer(input.days, 'days', 365, 1, 3660)
    const seed = integer(input.seed, 'seed', 42, 0, 2 ** 31 - 1)
    return steps(c, (step) => generateDemo(storage, { site, events, days, seed, onProgress: (done, total) => step({ done, total }) }))
  })

  // After a change of what the rollups hold: every seal of the site (of every site) deleted and made again.
  app.post('/api/rollups', async (c) => {
    const input = await jsonBody(c)
    if (input.site !== undefined && (typeof input.site !== 'string' || !sites.has(input.site))) throw invalid({ site: ['api.notFound.site', { site: String(input.site) }] })
    const chosen = sites.all().filter((s) => input.site === undefined || s.site === input.site)
    return steps(c, async (step) => {
      await dropRollups(storage, input.site === undefined ? undefined : [input.site as string], cluster)
      return (await sealWanted(storage, chosen, now(), { force: true, onProgress: (done, total) => step({ done, total }) })).length
    })
  })

  app.post('/api/backup', async (c) => {
    const input = await jsonBody(c)
    if (typeof input.to !== 'string' || !isAbsolute(input.to)) throw invalid({ to: ['api.field.absolutePath'] })
    const to = input.to
    return steps(c, async (step) => {
      // Every event acknowledged before the backup began is in it: what waits in the spool is written first.
      await flush()
      return backup(storage, to, (done, total) => step({ done, total }))
    })
  })
  return app
}
