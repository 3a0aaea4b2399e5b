/**
 * Annotations (docs/admin-api.md): dated notes on the graph ("campaign launched"), on the site's local
 * days. Part of the graph, so everyone who reads the site sees them, shared links included (without their
 * authors); anyone with a role on the site writes them; their author or a site admin changes and deletes
 * them.
 */
import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import type { Storage } from '../../../sql/client.ts'
import type { SiteList } from '../../../sql/sites.ts'
import { authorize, canAdmin, type Principal, notShare } from '../auth/access.ts'
import { forbidden, invalid, notFound, type Said } from '../http-error.ts'
import { jsonBody as body } from '../params.ts'
import { FIRST_DAY, LAST_DAY, isDay } from '../range.ts'
import { nextVersion } from '../../../sql/version.ts'

export interface AnnotationsRouteOptions {
  storage: Storage
  sites: SiteList
  now: () => number
}

type Env = { Variables: { principal: Principal | undefined } }

export const MAX_ANNOTATION_TEXT = 500

interface Row {
  id: string
  day: string
  text: string
  author: string
  /** 'YYYY-MM-DD hh:mm:ss' in UTC, as the column reads and is written again with each new version. */
  created_at: string
}

const authorOf = (p: Principal) => (p.kind === 'user' ? p.email : 'operator')

/** Whether `p` may change or delete an annotation: its author, or an admin of the site. */
const mayChange = (p: Principal, site: string, row: Row) => canAdmin(p, site) || (p.kind === 'user' && row.author === p.email)

/** An annotation as the API shows it; a shared link is not told who wrote it. */
const annotationJson = (row: Row, p: Principal, site: string) => ({
  id: row.id,
  day: row.day,
  text: row.text,
  ...(p.kind !== 'share' && { author: row.author }),
  created_at: `${row.created_at.replace(' ', 'T')}Z`,
  editable: mayChange(p, site, row),
})

const SELECT = `SELECT id, day, text, author, created_at FROM cairn.annotations FINAL`

export function annotationsRoute(options: AnnotationsRouteOptions): Hono<Env> {
  const { storage, sites } = options
  const app = new Hono<Env>()
  const guard = (c: { get(key: 'principal'): Principal | undefined }, site: string) => authorize(c.get('principal'), site, 'read', (s) => sites.has(s))
  const person = notShare

  const rows = async (query: string, params: Record<string, unknown>) =>
    (await storage.query({ query, query_params: params, format: 'JSONEachRow' })).json<Row>()

  /** The annotation `id` as `p` may change it: 404 when there is none, 403 when it is not `p`'s to change. */
  const changeable = async (p: Principal, site: string, id: string): Promise<Row> => {
    const [row] = await rows(`${SELECT} WHERE site = {site:String} AND id = {id:String} AND NOT deleted`, { site, id })
    if (!row) throw notFound(['api.notFound.annotation', { id, site }])
    if (!mayChange(p, site, row)) throw forbidden(['api.forbidden.annotation', { site }])
    return row
  }

  const write = (site: string, row: Row, deleted = false) =>
    storage.insert({
      table: 'cairn.annotations',
      values: [{ site, id: row.id, day: row.day, text: row.text, author: row.author, created_at: row.created_at, deleted, version: nextVersion() }],
      format: 'JSONEachRow',
    })

  /** The fields given in a body, checked (both, for a new annotation); every field at fault is named at once. */
  const fields = (input: Record<string, unknown>, all: boolean): Partial<Pick<Row, 'day' | 'text'>> => {
    const errors: Record<string, Said> = {}
    const out: Partial<Pick<Row, 'day' | 'text'>> = {}
    if (all || 'day' in input) {
      if (typeof input.day === 'string' && isDay(input.day)) out.day = input.day
      else errors.day = ['api.field.day', { first: FIRST_DAY, last: LAST_DAY }]
    }
    if (all || 'text' in input) {
      const text = typeof input.text === 'string' ? input.text.trim() : ''
      if (text === '' || [...text].length > MAX_ANNOTATION_TEXT) errors.text = ['api.field.text', { max: MAX_ANNOTATION_TEXT }]
      else out.text = text
    }
    if (Object.keys(errors).length > 0) throw invalid(errors)
    return out
  }

  /** `?from=YYYY-MM-DD&to=YYYY-MM-DD`, both optional and inclusive, in the site's local days. */
  app.get('/api/sites/:site/annotations', async (c) => {
    const site = c.req.param('site')
    const principal = guard(c, site)
    const errors: Record<string, Said> = {}
    const day: Said = ['api.field.day', { first: FIRST_DAY, last: LAST_DAY }]
    const from = c.req.query('from') ?? FIRST_DAY
    const to = c.req.query('to') ?? LAST_DAY
    if (!isDay(from)) errors.from = day
    if (!isDay(to)) errors.to = day
    else if (!errors.from && to < from) errors.to = ['api.field.toBeforeFrom']
    if (Object.keys(errors).length > 0) throw invalid(errors)
    const found = await rows(
      `${SELECT} WHERE site = {site:String} AND NOT deleted AND day BETWEEN {from:Date} AND {to:Date} ORDER BY day, created_at, id`,
      { site, from, to },
    )
    return c.json({ annotations: found.map((row) => annotationJson(row, principal, site)) })
  })

  app.post('/api/sites/:site/annotations', async (c) => {
    const site = c.req.param('site')
    const principal = person(guard(c, site))
    const given = fields(await body(c), true)
    const row: Row = {
      id: randomBytes(9).toString('base64url'),
      day: given.day!,
      text: given.text!,
      author: authorOf(principal),
      created_at: new Date(options.now()).toISOString().slice(0, 19).replace('T', ' '),
    }
    await write(site, row)
    return c.json(annotationJson(row, principal, site), 201)
  })

  app.patch('/api/sites/:site/annotations/:id', async (c) => {
    const site = c.req.param('site')
    const principal = person(guard(c, site))
    const row = await changeable(principal, site, c.req.param('id'))
    const changed: Row = { ...row, ...fields(await body(c), false) }
    await write(site, changed)
    return c.json(annotationJson(changed, principal, site))
  })

  app.delete('/api/sites/:site/annotations/:id', async (c) => {
    const site = c.req.param('site')
    const principal = person(guard(c, site))
    await write(site, await changeable(principal, site, c.req.param('id')), true)
    return c.body(null, 204)
  })

  return app
}
