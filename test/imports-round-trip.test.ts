/**
 * Export then import into an empty data directory gives the same dashboard (issue 17): a site with a GA4
 * history and days of its own is exported through the API, its server stops, and a new server on a new
 * data directory imports the zip's Plausible folder (`plausible`: each day's pageviews and visits, then
 * deleted) and its events (`cairn`): every card, graph point and breakdown the first server answered, the
 * second answers the same.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { addDays, localDate } from '../dashboard/server/range.ts'
import { writeGa4 } from './fixtures/imports/ga4.ts'
import { TestServer, pageview } from './helpers/server.ts'

const TODAY = localDate(Date.now(), 'UTC')
const FIRST = addDays(TODAY, -20)
const SITE = 'shop.example'
const files = mkdtempSync(join(tmpdir(), 'cairn-round-trip-'))

const BREAKDOWNS = ['source', 'utm_source', 'page', 'entry_page', 'exit_page', 'country', 'device', 'browser', 'browser_version', 'os', 'os_version', 'event', 'download', 'outbound']
const QUERIES = [`period=custom&from=${FIRST}&to=${TODAY}`, `period=custom&from=${FIRST}&to=${FIRST}`, 'period=today']
const WHAT = ['aggregate', 'timeseries', ...BREAKDOWNS.map((b) => `breakdown/${b}`)]

let server: TestServer
let key = ''
/** What the first server answered, by request. */
const answered = new Map<string, unknown>()
let zip = ''
/** Each day's pageviews and visits on the first server. */
let ownDays: { day: string; pageviews: string; visits: string }[] = []

async function owner(target: TestServer): Promise<void> {
  await addUser(target.server.collector.access, 'owner@example.com', 'owner password 1', 'admin', '*')
  key = await target.server.collector.access.createApiKey('owner@example.com', 'round trip')
}

async function call(method: string, path: string, body?: BodyInit, type = 'application/json'): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': type }, body })
}

async function answer(what: string, query: string): Promise<unknown> {
  const response = await call('GET', `/api/stats/${SITE}/${what}?${query}&limit=1000`)
  expect(response.status).toBe(200)
  const { range: _, ...rest } = (await response.json()) as Record<string, unknown>
  return rest
}

async function importZip(site: string, kind: string): Promise<Record<string, unknown>> {
  const job = (await (await call('POST', `/api/sites/${site}/imports`, JSON.stringify({ kind }))).json()) as { id: number }
  const put = await call('PUT', `/api/sites/${site}/imports/${job.id}/files?name=export.zip`, readFileSync(zip), 'application/octet-stream')
  expect(put.status, await put.clone().text()).toBe(200)
  const done = await call('POST', `/api/sites/${site}/imports/${job.id}/publish`, '{}')
  expect(done.status, await done.clone().text()).toBe(200)
  return (await done.json()) as Record<string, unknown>
}

beforeAll(async () => {
  server = await TestServer.start({ sites: [SITE], env: { TRUST_PROXY: 'true' } })
  await owner(server)
  const ga4 = join(files, 'ga4')
  await writeGa4(ga4, FIRST, 7)
  const job = (await (await call('POST', `/api/sites/${SITE}/imports`, JSON.stringify({ kind: 'ga4' }))).json()) as { id: number }
  for (let d = 0; d < 7; d++) {
    const name = `events_${addDays(FIRST, d).replaceAll('-', '')}.json`
    const put = await call('PUT', `/api/sites/${SITE}/imports/${job.id}/files?name=${name}`, readFileSync(join(ga4, name)), 'application/octet-stream')
    expect(put.status).toBe(200)
  }
  expect((await call('POST', `/api/sites/${SITE}/imports/${job.id}/publish`, '{}')).status).toBe(200)
  // Days of the site's own, through the collector.
  for (const [ip, path] of <[string, string][]>[['198.51.100.1', '/'], ['203.0.113.9', '/pricing'], ['203.0.113.9', '/docs']]) {
    expect((await server.post(pageview(SITE, path), { 'x-forwarded-for': ip })).status).toBe(202)
  }
  await server.flush()
  for (const what of WHAT) for (const query of QUERIES) answered.set(`${what}?${query}`, await answer(what, query))
  ownDays = await server.rows<{ day: string; pageviews: string; visits: string }>(`
    SELECT toString(day) AS day, sum(p) AS pageviews, sum(v) AS visits FROM (
      SELECT toDate(timestamp) AS day, countIf(name = 'pageview') AS p, 0 AS v FROM cairn.events WHERE site = {site:String} GROUP BY day
      UNION ALL SELECT toDate(start), 0, count() FROM cairn.sessions WHERE site = {site:String} GROUP BY toDate(start)) GROUP BY day ORDER BY day`, { site: SITE })
  zip = join(files, 'export.zip')
  writeFileSync(zip, Buffer.from(await (await call('GET', `/api/sites/${SITE}/export`)).arrayBuffer()))
  await server.stop()
  // The embedded engine holds one data directory per process: the second server once the first is gone.
  server = await TestServer.start({ sites: [SITE] })
  await owner(server)
}, 180_000)
afterAll(() => server?.stop())

describe('a site exported, then imported into an empty data directory', () => {
  it('its Plausible folder gives each day’s pageviews and visits as the first server counted them (then is deleted)', async () => {
    const job = await importZip(SITE, 'plausible')
    expect(job).toMatchObject({ state: 'done', first_day: FIRST, last_day: TODAY })
    const copied = await server.rows<{ day: string; pageviews: string; visits: string }>(`
      SELECT toString(date) AS day, sum(pageviews) AS pageviews, sum(visits) AS visits FROM cairn.imported_aggregates
      WHERE site = {site:String} AND dimension = '' GROUP BY day ORDER BY day`, { site: SITE })
    expect(copied).toEqual(ownDays)
    // Deleted, so that the events can come in on the same days.
    expect((await call('DELETE', `/api/sites/${SITE}/imports/${job.id}`)).status).toBe(200)
  })

  it('answers every card, graph point and breakdown as the first server did', async () => {
    const job = await importZip(SITE, 'cairn')
    expect(job).toMatchObject({ state: 'done', first_day: FIRST, last_day: TODAY })
    for (const what of WHAT) {
      for (const query of QUERIES) expect(await answer(what, query), `${what}?${query}`).toEqual(answered.get(`${what}?${query}`))
    }
  })
})
