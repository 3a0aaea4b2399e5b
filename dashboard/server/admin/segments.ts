/**
 * Saved segments (docs/admin-api.md): a named set of the stats API's filters, a person's own or shared
 * with everyone who reads the site. Whoever is logged in and reads the site saves their own; only the
 * site's admins share one, or change or delete a shared one; a shared link sees the shared ones, read
 * only. Another person's own segments do not exist for anyone else (404), admins included.
 */
import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import type { Storage } from '../../../sql/client.ts'
import type { SiteList } from '../../../sql/sites.ts'
import { anyOf } from '../../i18n/translate.ts'
import { authorize, canAdmin, type Principal, notShare } from '../auth/access.ts'
import { FILTER_NAMES } from '../filters.ts'
import { HttpError, forbidden, invalid, notFound, type Said } from '../http-error.ts'
import { jsonBody as body, parseRangeQuery } from '../params.ts'
import { nextVersion } from '../../../sql/version.ts'

export interface SegmentsRouteOptions {
  storage: Storage
  sites: SiteList
  now: () => number
}

type Env = { Variables: { principal: Principal | undefined } }

export const MAX_SEGMENTS = 200
export const MAX_SEGMENT_NAME = 100

interface Row {
  id: string
  name: string
  filters: Record<string, string>
  owner: string
  shared: boolean
  /** 'YYYY-MM-DD hh:mm:ss' in UTC, as the column reads and is written again with each new version. */
  created_at: string
}

/** Who owns what a principal saves: the person, or the operator (a shared link saves nothing). */
const ownerOf = (p: Principal) => (p.kind === 'user' ? p.email : p.kind === 'operator' ? 'operator' : '')

/** Whether `p` may change or delete a segment it can see: its own, or a shared one as the site's admin. */
const mayChange = (p: Principal, site: string, row: Row) => (row.shared ? canAdmin(p, site) : p.kind !== 'share' && row.owner === ownerOf(p))

/** A segment as the API shows it; a shared link is not told who made it. */
const segmentJson = (row: Row, p: Principal, site: string) => ({
  id: row.id,
  name: row.name,
  filters: row.filters,
  shared: row.shared,
  ...(p.kind !== 'share' && { owner: row.owner }),
  created_at: `${row.created_at.replace(' ', 'T')}Z`,
  editable: mayChange(p, site, row),
})

const SELECT = `SELECT id, name, filters, owner, shared, created_at FROM cairn.segments FINAL`

export function segmentsRoute(options: SegmentsRouteOptions): Hono<Env> {
  const { storage, sites } = options
  const app = new Hono<Env>()
  const guard = (c: { get(key: 'principal'): Principal | undefined }, site: string) => authorize(c.get('principal'), site, 'read', (s) => sites.has(s))
  const person = notShare

  const rows = async (query: string, params: Record<string, unknown>) =>
    (await storage.query({ query, query_params: params, format: 'JSONEachRow' })).json<Row>()

  /** The segments of `site` that `p` sees: the shared ones, and its own. */
  const visible = (p: Principal, site: string, id?: string) =>
    rows(
      `${SELECT} WHERE site = {site:String} AND NOT deleted AND (shared OR ({owner:String} != '' AND owner = {owner:String}))
         AND ({id:String} = '' OR id = {id:String})
       ORDER BY lower(name), id`,
      { site, owner: ownerOf(p), id: id ?? '' },
    )

  /** The segment `id` as `p` may change it: 404 when `p` cannot see it, 403 when it cannot change it. */
  const changeable = async (p: Principal, site: string, id: string): Promise<Row> => {
    const [row] = id ? await visible(p, site, id) : []
    if (!row) throw notFound(['api.notFound.segment', { id, site }])
    if (!mayChange(p, site, row)) throw forbidden(['api.forbidden.sharedSegment', { site }])
    return row
  }

  const write = (site: string, row: Row, deleted = false) =>
    storage.insert({
      table: 'cairn.segments',
      values: [{ site, id: row.id, name: row.name, filters: row.filters, owner: row.owner, shared: row.shared, created_at: row.created_at, deleted, version: nextVersion() }],
      format: 'JSONEachRow',
    })

  /** The fields given in a body, checked (all of them, for a new segment); every field at fault is named at once. */
  const fields = (input: Record<string, unknown>, all: boolean): Partial<Pick<Row, 'name' | 'filters' | 'shared'>> => {
    const errors: Record<string, Said> = {}
    const out: Partial<Pick<Row, 'name' | 'filters' | 'shared'>> = {}
    if (all || 'name' in input) {
      const name = typeof input.name === 'string' ? input.name.trim() : ''
      if (name === '' || [...name].length > MAX_SEGMENT_NAME) errors.name = ['api.field.name', { max: MAX_SEGMENT_NAME }]
      else out.name = name
    }
    if (all || 'filters' in input) {
      const filters = input.filters
      const names: readonly string[] = FILTER_NAMES
      const shape: Said = ['api.field.filters', { choices: anyOf(FILTER_NAMES) }]
      if (filters === null || typeof filters !== 'object' || Array.isArray(filters)) errors.filters = shape
      else {
        const entries = Object.entries(filters as Record<string, unknown>)
        // A custom property's filter is `prop.<key>`, as in the stats API's query string.
        const unknown = entries.find(([name]) => !names.includes(name) && !name.startsWith('prop.'))
        if (entries.length === 0 || entries.some(([, value]) => typeof value !== 'string')) errors.filters = shape
        else if (unknown) errors.filters = ['api.field.filterName', { value: unknown[0], choices: anyOf(FILTER_NAMES) }]
        else {
          // The stats API's own checks: a segment never holds what the stats API would refuse.
          try {
            parseRangeQuery(Object.fromEntries(entries) as Record<string, string>, 'UTC', options.now())
            out.filters = Object.fromEntries(entries) as Record<string, string>
          } catch (error) {
            if (!(error instanceof HttpError) || !error.errors) throw error
            for (const [name, said] of Object.entries(error.errors)) errors[`filters.${name}`] = said
          }
        }
      }
    }
    if ('shared' in input) {
      if (typeof input.shared === 'boolean') out.shared = input.shared
      else errors.shared = ['api.field.boolean']
    }
    if (Object.keys(errors).length > 0) throw invalid(errors)
    return out
  }

  app.get('/api/sites/:site/segments', async (c) => {
    const site = c.req.param('site')
    const principal = guard(c, site)
    return c.json({ segments: (await visible(principal, site)).map((row) => segmentJson(row, principal, site)) })
  })

  app.post('/api/sites/:site/segments', async (c) => {
    const site = c.req.param('site')
    const principal = person(guard(c, site))
    const given = fields(await body(c), true)
    if (given.shared && !canAdmin(principal, site)) throw forbidden(['api.forbidden.sharedSegment', { site }])
    const [count] = await storage
      .query({ query: 'SELECT count() AS n FROM cairn.segments FINAL WHERE site = {site:String} AND NOT deleted', query_params: { site }, format: 'JSONEachRow' })
      .then((r) => r.json<{ n: string }>())
    if (Number(count?.n ?? 0) >= MAX_SEGMENTS) throw new HttpError(409, ['api.conflict.segmentLimit', { site, max: MAX_SEGMENTS }])
    const row: Row = {
      id: randomBytes(9).toString('base64url'),
      name: given.name!,
      filters: given.filters!,
      owner: ownerOf(principal),
      shared: given.shared ?? false,
      created_at: new Date(options.now()).toISOString().slice(0, 19).replace('T', ' '),
    }
    await write(site, row)
    return c.json(segmentJson(row, principal, site), 201)
  })

  app.patch('/api/sites/:site/segments/:id', async (c) => {
    const site = c.req.param('site')
    const principal = person(guard(c, site))
    const row = await changeable(principal, site, c.req.param('id'))
    const given = fields(await body(c), false)
    // Sharing, or taking a shared one back to its owner, is the site admin's decision.
    if (given.shared !== undefined && given.shared !== row.shared && !canAdmin(principal, site)) throw forbidden(['api.forbidden.sharedSegment', { site }])
    const changed: Row = { ...row, ...given }
    await write(site, changed)
    return c.json(segmentJson(changed, principal, site))
  })

  app.delete('/api/sites/:site/segments/:id', async (c) => {
    const site = c.req.param('site')
    const principal = person(guard(c, site))
    await write(site, await changeable(principal, site, c.req.param('id')), true)
    return c.body(null, 204)
  })

  return app
}
