/**
 * Imports (issue 17) from the outside: fixtures written from each tool's public schema (test/fixtures/
 * imports/), sent through the admin API as the settings screen and the CLI send them, must give the
 * dashboard's API the figures the fixtures were made with: visitors, visits, pageviews, sources, pages,
 * countries, devices, events. GA4 as JSON and as Parquet, Umami's two dumps in either order, Plausible's
 * zip into the imported aggregates (with its switch: included, left out on request, unsupported with a
 * filter, weighed with the site's own days by independent SQL). And `cairn import` does it all from a
 * terminal. (The round trip through an export is imports-round-trip.test.ts: it needs a data directory
 * of its own.)
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { addDays, localDate } from '../dashboard/server/range.ts'
import type { Expected } from './fixtures/imports/expected.ts'
import { GA4_PARQUET_STRUCTURE, writeGa4 } from './fixtures/imports/ga4.ts'
import { PLAUSIBLE_ZIP, writePlausible } from './fixtures/imports/plausible.ts'
import { OTHER_WEBSITE_ID, writeUmami } from './fixtures/imports/umami.ts'
import { TestServer, pageview, uniqueSite } from './helpers/server.ts'

const run = promisify(execFile)
const DAYS = 7
const TODAY = localDate(Date.now(), 'UTC')
const FIRST = addDays(TODAY, -40)
const GA4 = 'shop.example'
const GA4_PARQUET = uniqueSite('shop-parquet')
const UMAMI = 'blog.example'
const PLAUSIBLE = 'docs.example'
const CLI = uniqueSite('cli')
const PARTS = uniqueSite('parts')
const BROKEN = uniqueSite('broken')

let server: TestServer
/** Each server's API key of an admin of every site. */
const keys = new Map<TestServer, string>()
const fixtures = mkdtempSync(join(tmpdir(), 'cairn-imports-'))
const expected: Record<string, Expected> = {}

beforeAll(async () => {
  server = await TestServer.start({ sites: [GA4, GA4_PARQUET, UMAMI, PLAUSIBLE, CLI, PARTS, BROKEN], env: { TRUST_PROXY: 'true' } })
  await owner(server)
  expected.ga4 = await writeGa4(join(fixtures, 'ga4'), FIRST, DAYS)
  expected.ga4Parquet = await writeGa4(join(fixtures, 'ga4-parquet'), FIRST, DAYS, { hostname: GA4_PARQUET })
  expected.umami = await writeUmami(join(fixtures, 'umami'), FIRST, DAYS)
  expected.plausible = await writePlausible(join(fixtures, 'plausible'), FIRST, DAYS)
}, 120_000)
afterAll(() => server?.stop())

// ---------------------------------------------------------------------------------------------------
// The API, as the screen and the CLI use it

async function owner(target: TestServer): Promise<void> {
  await addUser(target.server.collector.access, 'owner@example.com', 'owner password 1', 'admin', '*')
  keys.set(target, await target.server.collector.access.createApiKey('owner@example.com', 'imports'))
}

const auth = (target: TestServer) => ({ authorization: `Bearer ${keys.get(target)}` })

async function api<T = Record<string, unknown>>(target: TestServer, method: string, path: string, body?: unknown, status = 200): Promise<T> {
  const response = await fetch(`${target.url}${path}`, { method, headers: { ...auth(target), 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await response.text()
  expect(response.status, text).toBe(status)
  return JSON.parse(text) as T
}

interface Job {
  id: number
  state: string
  records: number
  written: number
  skipped: number
  first_day: string
  last_day: string
  files: string[]
  error: string
}

/** An import through the API: a job, each file's bytes sent in turn, published. */
async function importFiles(target: TestServer, site: string, kind: string, files: string[]): Promise<Job> {
  const job = await api<Job>(target, 'POST', `/api/sites/${site}/imports`, { kind }, 201)
  for (const file of files) {
    const name = file.split('/').at(-1)!
    const response = await fetch(`${target.url}/api/sites/${site}/imports/${job.id}/files?name=${encodeURIComponent(name)}`, {
      method: 'PUT', headers: { ...auth(target), 'content-type': 'application/octet-stream' }, body: readFileSync(file),
    })
    expect(response.status, await response.clone().text()).toBe(200)
  }
  return api<Job>(target, 'POST', `/api/sites/${site}/imports/${job.id}/publish`, {})
}

const range = (e: Expected, extra = '') => `period=custom&from=${e.from}&to=${e.to}${extra}`

async function stats<T = Record<string, unknown>>(target: TestServer, site: string, what: string, query: string): Promise<T> {
  return api<T>(target, 'GET', `/api/stats/${site}/${what}?${query}`)
}

type Rows = { rows: ({ value: string } & Record<string, number>)[]; imported: string }

/** A breakdown's rows as value → one metric (all rows: the fixtures have fewer than 1,000 values). */
async function breakdown(target: TestServer, site: string, name: string, metric: string, query: string, keepEmpty = true): Promise<Record<string, number>> {
  const { rows } = await stats<Rows>(target, site, `breakdown/${name}`, `${query}&limit=1000`)
  return Object.fromEntries(rows.filter((r) => keepEmpty || r.value !== '').map((r) => [r.value, r[metric]!]))
}

/** The dashboard's figures for the fixture's range equal the fixture's own. */
async function expectFigures(site: string, e: Expected, extra = ''): Promise<void> {
  const q = range(e, extra)
  const { results } = await stats<{ results: Record<string, number> }>(server, site, 'aggregate', q)
  expect({ visitors: results.visitors, visits: results.visits, pageviews: results.pageviews }).toEqual({ visitors: e.visitors, visits: e.visits, pageviews: e.pageviews })
  expect(await breakdown(server, site, 'source', 'visitors', q)).toEqual(e.sources)
  const pages = (await stats<Rows>(server, site, 'breakdown/page', `${q}&limit=1000`)).rows
  expect(Object.fromEntries(pages.map((r) => [r.value, { pageviews: r.pageviews, visitors: r.visitors }]))).toEqual(e.pages)
  // Visitors whose country or device is unknown are a row of their own, which the fixtures leave out.
  expect(await breakdown(server, site, 'country', 'visitors', q, false)).toEqual(e.countries)
  expect(await breakdown(server, site, 'device', 'visitors', q, false)).toEqual(e.devices)
  if (e.events) expect(await breakdown(server, site, 'event', 'count', q)).toEqual(e.events)
  if (e.downloads) expect(await breakdown(server, site, 'download', 'count', q)).toEqual(e.downloads)
  if (e.outbound) expect(await breakdown(server, site, 'outbound', 'count', q)).toEqual(e.outbound)
}

const filesOf = (dir: string, pattern: RegExp) => readdirSync(join(fixtures, dir)).filter((f) => pattern.test(f)).sort().map((f) => join(fixtures, dir, f))

// ---------------------------------------------------------------------------------------------------

describe('GA4 (BigQuery export)', () => {
  it('as newline-delimited JSON, a file a day: the dashboard shows the fixture’s figures', async () => {
    const job = await importFiles(server, GA4, 'ga4', filesOf('ga4', /\.json$/))
    expect(job).toMatchObject({ state: 'done', first_day: expected.ga4!.from, last_day: expected.ga4!.to, records: expected.ga4!.rows })
    expect(job.files).toHaveLength(DAYS)
    expect(job.written + job.skipped).toBe(job.records)
    await expectFigures(GA4, expected.ga4!)
  })

  it('as Parquet, as BigQuery writes it: the same figures', async () => {
    // The same rows as BigQuery writes them to Parquet, typed as its schema types them (more fields than
    // the import reads): ClickHouse writes the file from the JSON.
    const parquet = join(fixtures, 'ga4-parquet', 'events.parquet')
    const structure = GA4_PARQUET_STRUCTURE
    await server.storage.command({
      query: `INSERT INTO FUNCTION file('${parquet}', 'Parquet', '${structure}') SELECT * FROM file('${join(fixtures, 'ga4-parquet')}/*.json', 'JSONEachRow', '${structure}')`,
      clickhouse_settings: { input_format_skip_unknown_fields: 1 },
    })
    const job = await importFiles(server, GA4_PARQUET, 'ga4', [parquet])
    expect(job).toMatchObject({ state: 'done', records: expected.ga4Parquet!.rows })
    await expectFigures(GA4_PARQUET, expected.ga4Parquet!)
  })

  it('keeps no GA4 id: visitors are hashed with a key the import forgot', async () => {
    const ids = await server.rows<{ v: string }>('SELECT DISTINCT toString(visitor_id) AS v FROM cairn.events WHERE site IN ({a:String}, {b:String})', { a: GA4, b: GA4_PARQUET })
    const json = readFileSync(filesOf('ga4', /\.json$/)[0]!, 'utf8')
    const pseudo = [...new Set([...json.matchAll(/"user_pseudo_id":"([^"]+)"/g)].map((m) => m[1]!))]
    expect(pseudo.length).toBeGreaterThan(3)
    // Neither the ids nor any number in them is a visitor id, and the two imports of the same users share none.
    for (const id of pseudo) for (const part of id.split('.')) expect(ids.map((r) => r.v)).not.toContain(part)
    const [shared] = await server.rows<{ n: string }>(`SELECT count() AS n FROM (SELECT DISTINCT visitor_id FROM cairn.events WHERE site = {a:String})
      WHERE visitor_id IN (SELECT visitor_id FROM cairn.events WHERE site = {b:String})`, { a: GA4, b: GA4_PARQUET })
    expect(Number(shared!.n)).toBe(0)
  })
})

describe('Umami (website_event and session dumps)', () => {
  it('in either order, the other website’s rows left out: the fixture’s figures', async () => {
    // The sessions' dump after the events': a visitor's device is joined when the import is published.
    const job = await importFiles(server, UMAMI, 'umami', [join(fixtures, 'umami', 'website_event.csv'), join(fixtures, 'umami', 'session.csv')])
    expect(job).toMatchObject({ state: 'done', first_day: expected.umami!.from, last_day: expected.umami!.to })
    // The other website's events are read and left out.
    const others = readFileSync(join(fixtures, 'umami', 'website_event.csv'), 'utf8').split('\n').filter((line) => line.includes(OTHER_WEBSITE_ID)).length
    expect(others).toBeGreaterThan(0)
    expect(job.skipped).toBe(others)
    await expectFigures(UMAMI, expected.umami!)
  })
})

describe('Plausible (CSV export) into the imported aggregates', () => {
  let own: { visitors: number; pageviews: number }
  beforeAll(async () => {
    await importFiles(server, PLAUSIBLE, 'plausible', [join(fixtures, 'plausible', PLAUSIBLE_ZIP)])
    // Two visitors of the site's own, today.
    for (const [ip, path] of <[string, string][]>[['198.51.100.1', '/'], ['203.0.113.9', '/docs'], ['203.0.113.9', '/more']]) {
      expect((await server.post(pageview(PLAUSIBLE, path), { 'x-forwarded-for': ip })).status).toBe(202)
    }
    await server.flush()
    own = { visitors: 2, pageviews: 3 }
  })

  it('shows the export’s figures for its days, and says they include imported data', async () => {
    const e = expected.plausible!
    const { imported } = await stats<{ imported: string }>(server, PLAUSIBLE, 'aggregate', range(e))
    expect(imported).toBe('included')
    await expectFigures(PLAUSIBLE, e)
    // Each day of the graph is the export's day.
    const { points } = await stats<{ points: { bucket: string; visitors: number; pageviews: number }[] }>(server, PLAUSIBLE, 'timeseries', range(e))
    const days = await server.rows<{ date: string; visitors: string; pageviews: string }>(
      "SELECT toString(date) AS date, sum(visitors) AS visitors, sum(pageviews) AS pageviews FROM cairn.imported_aggregates WHERE site = {site:String} AND dimension = '' GROUP BY date", { site: PLAUSIBLE })
    const byDay = new Map(days.map((d) => [d.date, d]))
    for (const p of points) expect([p.visitors, p.pageviews], p.bucket).toEqual([Number(byDay.get(p.bucket)?.visitors ?? 0), Number(byDay.get(p.bucket)?.pageviews ?? 0)])
  })

  it('leaves them out on request (imported=false), and with a filter, saying which', async () => {
    const e = expected.plausible!
    const off = await stats<{ results: { visitors: number }; imported: string }>(server, PLAUSIBLE, 'aggregate', range(e, '&imported=false'))
    expect(off).toMatchObject({ imported: 'excluded', results: { visitors: 0 } })
    const filtered = await stats<{ results: { visitors: number }; imported: string }>(server, PLAUSIBLE, 'aggregate', range(e, '&country=FR'))
    expect(filtered).toMatchObject({ imported: 'unsupported', results: { visitors: 0 } })
    expect((await stats<Rows>(server, PLAUSIBLE, 'breakdown/consent', range(e))).imported).toBe('unsupported')
    // A range without imported days says none.
    expect((await stats<{ imported: string }>(server, PLAUSIBLE, 'aggregate', 'period=today')).imported).toBe('none')
  })

  it('adds them to the site’s own days over a range holding both, as independent SQL counts them', async () => {
    const e = expected.plausible!
    const q = `period=custom&from=${e.from}&to=${TODAY}`
    const { results } = await stats<{ results: Record<string, number> }>(server, PLAUSIBLE, 'aggregate', q)
    const [sql] = await server.rows<Record<string, string>>(`
      SELECT (SELECT uniqExact(visitor_id) FROM cairn.events WHERE site = {site:String} AND name != 'engagement') + i.visitors AS visitors,
             (SELECT count() FROM cairn.sessions WHERE site = {site:String}) + i.visits AS visits,
             (SELECT countIf(name = 'pageview') FROM cairn.events WHERE site = {site:String}) + i.pageviews AS pageviews,
             round(((SELECT sum(is_bounce) FROM cairn.sessions WHERE site = {site:String}) + i.bounces) / visits * 100) AS bounce_rate,
             round(((SELECT sum(duration) FROM cairn.sessions WHERE site = {site:String}) + i.duration) / visits) AS visit_duration
      FROM (SELECT sum(visitors) AS visitors, sum(visits) AS visits, sum(pageviews) AS pageviews, sum(bounces) AS bounces, sum(visit_duration) AS duration
            FROM cairn.imported_aggregates WHERE site = {site:String} AND dimension = '') AS i`, { site: PLAUSIBLE })
    expect(results).toMatchObject(Object.fromEntries(Object.entries(sql!).map(([k, v]) => [k, Number(v)])))
    expect(results.visitors).toBe(e.visitors + own.visitors)
    expect(results.pageviews).toBe(e.pageviews + own.pageviews)
    // A page of both: the site's own '/docs' and the export's pages, merged by value.
    const pages = await breakdown(server, PLAUSIBLE, 'page', 'pageviews', q)
    const importedPages = await server.rows<{ value: string; n: string }>(
      "SELECT value, sum(pageviews) AS n FROM cairn.imported_aggregates WHERE site = {site:String} AND dimension = 'page' GROUP BY value", { site: PLAUSIBLE })
    const ownPages = await server.rows<{ value: string; n: string }>(
      "SELECT toString(pathname) AS value, count() AS n FROM cairn.events WHERE site = {site:String} AND name = 'pageview' GROUP BY value", { site: PLAUSIBLE })
    const merged: Record<string, number> = {}
    for (const r of [...importedPages, ...ownPages]) merged[r.value] = (merged[r.value] ?? 0) + Number(r.n)
    expect(pages).toEqual(merged)
  })
})

describe('a file sent in parts (a browser’s upload, each part within the server’s 15 s for a request)', () => {
  it('is read once its last part arrives, a part out of order told where the file stands, and shows the same figures', async () => {
    const e = await writePlausible(join(fixtures, 'parts'), addDays(FIRST, -10), 5, { hostname: PARTS })
    const zip = readFileSync(join(fixtures, 'parts', PLAUSIBLE_ZIP))
    const job = await api<Job>(server, 'POST', `/api/sites/${PARTS}/imports`, { kind: 'plausible' }, 201)
    const put = (start: number, end: number) => fetch(`${server.url}/api/sites/${PARTS}/imports/${job.id}/files?name=${PLAUSIBLE_ZIP}`, {
      method: 'PUT', headers: { ...auth(server), 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${end}/${zip.length}` },
      body: zip.subarray(start, end + 1),
    })
    const third = Math.floor(zip.length / 3)
    const first = await put(0, third - 1)
    expect([first.status, await first.json()]).toEqual([202, { received: third }])
    // The third part before the second: 409, with where the file stands.
    const early = await put(2 * third, zip.length - 1)
    expect([early.status, ((await early.json()) as { received: number }).received]).toEqual([409, third])
    expect((await put(third, 2 * third - 1)).status).toBe(202)
    const last = await put(2 * third, zip.length - 1)
    expect(last.status, await last.clone().text()).toBe(200)
    expect(await api<Job>(server, 'POST', `/api/sites/${PARTS}/imports/${job.id}/publish`, {})).toMatchObject({ state: 'done', first_day: e.from, last_day: e.to })
    await expectFigures(PARTS, e)
    // Nothing of the parts is left on disk.
    expect(readdirSync(join(server.dataDir, 'imports'))).toEqual([])
  })
})

describe('a publication that fails halfway', () => {
  it('takes back the rows it had already added: none left, the job failed, its days free again', async () => {
    const dir = join(fixtures, 'broken')
    await writeGa4(dir, addDays(FIRST, -30), 2, { hostname: BROKEN })
    const job = await api<Job>(server, 'POST', `/api/sites/${BROKEN}/imports`, { kind: 'ga4' }, 201)
    for (const file of filesOf('broken', /\.json$/)) {
      const response = await fetch(`${server.url}/api/sites/${BROKEN}/imports/${job.id}/files?name=${file.split('/').at(-1)}`, {
        method: 'PUT', headers: { ...auth(server), 'content-type': 'application/octet-stream' }, body: readFileSync(file),
      })
      expect(response.status).toBe(200)
    }
    // A view on the events that fails on this import's rows: its copy fails once rows are in cairn.events
    // (ClickHouse writes the table's part before the views').
    await server.storage.command({ query: 'CREATE TABLE cairn.sabotage (n UInt8) ENGINE = Null' })
    await server.storage.command({ query: `CREATE MATERIALIZED VIEW cairn.sabotage_mv TO cairn.sabotage AS SELECT throwIf(import_id = ${job.id}, 'sabotage') AS n FROM cairn.events` })
    try {
      const response = await fetch(`${server.url}/api/sites/${BROKEN}/imports/${job.id}/publish`, { method: 'POST', headers: { ...auth(server), 'content-type': 'application/json' }, body: '{}' })
      expect(response.status).toBe(500)
    } finally {
      await server.storage.command({ query: 'DROP VIEW cairn.sabotage_mv' })
      await server.storage.command({ query: 'DROP TABLE cairn.sabotage' })
    }
    const [left] = await server.rows<{ events: string; visits: string }>(`SELECT
      (SELECT count() FROM cairn.events WHERE site = {site:String}) AS events, (SELECT count() FROM cairn.sessions_data WHERE site = {site:String}) AS visits`, { site: BROKEN })
    expect(left).toEqual({ events: '0', visits: '0' })
    const { imports } = await api<{ imports: Job[] }>(server, 'GET', `/api/sites/${BROKEN}/imports`)
    expect(imports.find((j) => j.id === job.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/failed/) })
    // Its days are free: the same files import again.
    const again = await importFiles(server, BROKEN, 'ga4', filesOf('broken', /\.json$/))
    expect(again.state).toBe('done')
  })
})

describe('`cairn import`, through the running server', () => {
  const env = () => ({ ...process.env, CAIRN_DATA_DIR: server.dataDir, CAIRN_SITES: [GA4, GA4_PARQUET, UMAMI, PLAUSIBLE, CLI].join(','), LANG: 'en' })
  const cairn = (...args: string[]) => run(process.execPath, ['collector/bin/cairn.js', ...args], { env: env(), cwd: new URL('..', import.meta.url).pathname })

  it('imports files with a progress bar, lists the import and deletes it whole', async () => {
    const dir = join(fixtures, 'cli')
    const e = await writeUmami(dir, addDays(FIRST, -20), 3, { hostname: CLI })
    const { stdout, stderr } = await cairn('import', 'umami', '--site', CLI, join(dir, 'session.csv'), join(dir, 'website_event.csv'))
    expect(stderr).toMatch(/website_event\.csv \(2 of 2\) \[#+\]/)
    expect(stdout).toMatch(new RegExp(`imported [\\d,]+ rows into ${CLI.replaceAll('.', '\\.')}, from ${e.from} to ${e.to}`))
    const id = /import (\d+)$/m.exec(stdout)![1]!
    expect((await cairn('import', 'list', '--site', CLI)).stdout).toMatch(new RegExp(`^${id}\\tumami\\tdone\\t${e.from}\\t${e.to}\\t`, 'm'))
    const [before] = await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site: CLI })
    expect(Number(before!.n)).toBeGreaterThan(0)
    expect((await cairn('import', 'delete', '--site', CLI, '--id', id)).stdout).toMatch(/deleted import/)
    const [after] = await server.rows<{ n: string }>('SELECT (SELECT count() FROM cairn.events WHERE site = {site:String}) + (SELECT count() FROM cairn.sessions_data WHERE site = {site:String}) AS n', { site: CLI })
    expect(Number(after!.n)).toBe(0)
  })

  it('says what to do when the days meet the site’s own, and leaves nothing', async () => {
    const dir = join(fixtures, 'cli-overlap')
    await writeGa4(dir, addDays(TODAY, -1), 2, { hostname: CLI })
    // The site's own event yesterday… (the collector stamps now: today is the fixture's second day).
    expect((await server.post(pageview(CLI, '/own'))).status).toBe(202)
    await server.flush()
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f))
    const refused = await cairn('import', 'ga4', '--site', CLI, ...files).then(() => undefined, (error: { code: number; stderr: string }) => error)
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining(`--before ${TODAY}`) })
    const [left] = await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND import_id != 0', { site: CLI })
    expect(Number(left!.n)).toBe(0)
    const { stdout } = await cairn('import', 'ga4', '--site', CLI, '--before', TODAY, ...files)
    expect(stdout).toMatch(new RegExp(`from ${addDays(TODAY, -1)} to ${addDays(TODAY, -1)}`))
  })
})
