/**
 * A site's whole history as a zip (issue 17's export): from the admin API and from `cairn export`, through
 * the running server. What the files hold equals what ClickHouse holds for the site, read back from the
 * files themselves; another site's rows and any full address are in none of them.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PassThrough } from 'node:stream'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { writeSiteExport } from '../sql/site-export.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { TestServer, pageview, uniqueSite } from './helpers/server.ts'
// Plausible CE's CSV export: its files, their columns in its order (as its exporter writes them).
import { PLAUSIBLE_COLUMNS } from './fixtures/imports/plausible.ts'

const run = promisify(execFile)
const A = uniqueSite('export-a')
const B = uniqueSite('export-b')
const FULL_ADDRESS = '203.0.113.77'
let server: TestServer
let adminKey: string
let otherAdminKey: string
let viewerKey: string

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${A}=Europe/Paris`, B], env: { TRUST_PROXY: 'true' } })
  const DAY = 86_400_000
  await generateDemo(server.storage, { site: A, events: 4000, days: 70, endMs: Date.now() - DAY, seed: 7 })
  await generateDemo(server.storage, { site: B, events: 1000, days: 20, seed: 8 })
  const sent = await server.post(pageview(A, '/from-the-collector'), { 'x-forwarded-for': FULL_ADDRESS })
  expect(sent.status).toBe(202)
  await server.flush()
  const access = server.server.collector.access
  await addUser(access, 'owner@a.example', 'owner password 1', 'admin', A)
  await addUser(access, 'owner@b.example', 'owner password 1', 'admin', B)
  await addUser(access, 'reader@a.example', 'reader password 1', 'viewer', A)
  adminKey = await access.createApiKey('owner@a.example', 'export')
  otherAdminKey = await access.createApiKey('owner@b.example', 'export')
  viewerKey = await access.createApiKey('reader@a.example', 'export')
}, 120_000)
afterAll(() => server.stop())

const get = (site: string, headers: Record<string, string> = {}) => fetch(`${server.url}/api/sites/${site}/export`, { headers })

/** The zip unpacked into a new folder (by `unzip`, which checks every entry's CRC). */
async function unpacked(zip: Buffer): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-export-'))
  writeFileSync(join(dir, 'export.zip'), zip)
  await run('unzip', ['-q', join(dir, 'export.zip'), '-d', join(dir, 'out')])
  return join(dir, 'out')
}

const one = async <T>(sql: string) => (await server.rows<T>(sql, { site: A }))[0]!

async function expectSameAsStored(dir: string): Promise<void> {
  const files = (folder: string, ext: string) => readdirSync(join(dir, folder)).filter((f) => f.endsWith(ext)).map((f) => join(dir, folder, f))
  const events = files('events', '.parquet')
  // A file per month with events, in both formats.
  const months = await server.rows<{ m: string }>("SELECT DISTINCT formatDateTime(timestamp, '%Y-%m', 'UTC') AS m FROM cairn.events WHERE site = {site:String} ORDER BY m", { site: A })
  expect(events.map((f) => f.slice(-15, -8)).sort()).toEqual(months.map((r) => r.m))
  expect(files('events', '.csv')).toHaveLength(months.length)
  const stored = await one(`SELECT count() AS n, uniqExact(visitor_id) AS visitors, sum(engagement_ms) AS engaged, groupBitXor(cityHash64(toString(session_id), pathname, toString(toDateTime64(timestamp, 3, 'UTC')))) AS hash FROM cairn.events WHERE site = {site:String}`)
  for (const [format, glob] of [['Parquet', 'events/*.parquet'], ['CSVWithNames', 'events/*.csv']] as const) {
    const read = await one(`SELECT count() AS n, uniqExact(visitor_id) AS visitors, sum(engagement_ms) AS engaged, groupBitXor(cityHash64(toString(session_id), pathname, toString(toDateTime64(timestamp, 3, 'UTC')))) AS hash,
                                   countIf(site != {site:String}) AS others FROM file('${join(dir, glob)}', ${format})`)
    expect(read, format).toEqual({ ...stored, others: '0' })
  }
  const visits = await one('SELECT count() AS n, sum(pageviews) AS pageviews, sum(duration) AS duration, countIf(is_bounce) AS bounces FROM cairn.sessions WHERE site = {site:String}')
  for (const [format, glob] of [['Parquet', 'visits/*.parquet'], ['CSVWithNames', 'visits/*.csv']] as const) {
    expect(await one(`SELECT count() AS n, sum(pageviews) AS pageviews, sum(duration) AS duration, countIf(is_bounce) AS bounces FROM file('${join(dir, glob)}', ${format})`), format).toEqual(visits)
  }
  // The truncated address is there, as text; the full one nowhere, in no form.
  const everything = [...files('events', ''), ...files('visits', ''), join(dir, 'README.md')].map((f) => readFileSync(f))
  expect(everything.some((b) => b.includes('203.0.113.0'))).toBe(true)
  for (const bytes of everything) {
    expect(bytes.includes(FULL_ADDRESS)).toBe(false)
    expect(bytes.includes(`::ffff:${FULL_ADDRESS}`)).toBe(false)
  }
  // Parquet is compressed: read back, no value of any column holds it either.
  for (const folder of ['events', 'visits']) {
    expect(await one(`SELECT countIf(position(toString(tuple(*)), '${FULL_ADDRESS}') > 0) AS found, count() > 0 AS read FROM file('${join(dir, folder, '*.parquet')}', Parquet)`)).toEqual({ found: '0', read: 1 })
  }
  expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/`visitor_id` \| UInt64 \|/)
  await expectPlausibleFormat(dir)
}

async function expectPlausibleFormat(dir: string): Promise<void> {
  const { first, last } = await one<{ first: string; last: string }>("SELECT replaceAll(toString(toDate(min(timestamp), 'Europe/Paris')), '-', '') AS first, replaceAll(toString(toDate(max(timestamp), 'Europe/Paris')), '-', '') AS last FROM cairn.events WHERE site = {site:String}")
  expect(readdirSync(join(dir, 'plausible')).sort()).toEqual(Object.keys(PLAUSIBLE_COLUMNS).map((t) => `${t}_${first}_${last}.csv`).sort())
  const file = (table: string) => `file('${join(dir, 'plausible', `${table}_${first}_${last}.csv`)}', CSVWithNames)`
  for (const [table, columns] of Object.entries(PLAUSIBLE_COLUMNS)) {
    expect(readFileSync(join(dir, 'plausible', `${table}_${first}_${last}.csv`), 'utf8').split('\n')[0], table).toBe(columns.map((c) => `"${c}"`).join(','))
  }
  const visits = await one<Record<string, string>>(`SELECT count() AS visits, sum(duration) AS duration, countIf(is_bounce) AS bounces,
    countIf(country_code NOT IN ('', 'ZZ')) AS located FROM cairn.sessions WHERE site = {site:String}`)
  const events = await one<Record<string, string>>(`SELECT countIf(name = 'pageview') AS pageviews, countIf(name NOT IN ('pageview', 'engagement')) AS custom FROM cairn.events WHERE site = {site:String}`)
  const sum = async (table: string, column: string) => (await one<{ n: string }>(`SELECT toString(sum(${column})) AS n FROM ${file(table)}`)).n
  expect(await sum('imported_visitors', 'visits')).toBe(visits.visits)
  expect(await sum('imported_visitors', 'visit_duration')).toBe(visits.duration)
  expect(await sum('imported_visitors', 'bounces')).toBe(visits.bounces)
  expect(await sum('imported_visitors', 'pageviews')).toBe(events.pageviews)
  expect(await sum('imported_pages', 'pageviews')).toBe(events.pageviews)
  expect(await sum('imported_entry_pages', 'entrances')).toBe(visits.visits)
  expect(await sum('imported_exit_pages', 'exits')).toBe(visits.visits)
  // Every row has its day (a day with pageviews and no visit started included).
  expect(await one(`SELECT countIf(date < '2020-01-01') AS undated, count() AS days FROM ${file('imported_visitors')}`)).toEqual({ undated: '0', days: String(Object.keys(await server.rows("SELECT DISTINCT toDate(timestamp, 'Europe/Paris') AS d FROM cairn.events WHERE site = {site:String}", { site: A })).length) })
  expect(await sum('imported_custom_events', 'events')).toBe(events.custom)
  expect(await sum('imported_locations', 'visits')).toBe(visits.located)
  for (const table of ['imported_sources', 'imported_devices', 'imported_browsers', 'imported_operating_systems']) expect(await sum(table, 'visits'), table).toBe(visits.visits)
  // A day's visitors: the distinct visitors of the visits started that day, in the site's zone.
  const daily = await server.rows<{ d: string; v: string }>(`SELECT toString(toDate(start, 'Europe/Paris')) AS d, toString(uniqExact(visitor_id)) AS v FROM cairn.sessions WHERE site = {site:String} GROUP BY d ORDER BY d`, { site: A })
  expect(await server.rows(`SELECT toString(date) AS d, toString(visitors) AS v FROM ${file('imported_visitors')} WHERE visits > 0 ORDER BY d`)).toEqual(daily)
}

describe('export of a site', () => {
  it('gives the site’s admin a zip of every event and visit, equal to what is stored, with no full address', async () => {
    const response = await get(A, { authorization: `Bearer ${adminKey}` })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/zip')
    expect(response.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="cairn-${A.replaceAll('.', '\\.')}-\\d{4}-\\d\\d-\\d\\d\\.zip"$`))
    await expectSameAsStored(await unpacked(Buffer.from(await response.arrayBuffer())))
  }, 60_000)

  it('refuses without credentials, with made-up ones, to a viewer, to another site’s admin; another origin cannot read it', async () => {
    expect((await get(A)).status).toBe(401)
    expect((await get(A, { authorization: 'Bearer cairn_key_madeUpmadeUpmadeUpmadeUpmadeUp' })).status).toBe(401)
    for (const key of [viewerKey, otherAdminKey]) {
      const refused = await get(A, { authorization: `Bearer ${key}` })
      expect(refused.status).toBe(403)
      expect(refused.headers.get('content-type')).toMatch(/json/)
    }
    expect((await get(uniqueSite('untracked'), { authorization: `Bearer ${adminKey}` })).status).toBe(404)
    // A page elsewhere may make the browser send the request, never read the answer: no CORS grant.
    const foreign = await get(A, { authorization: `Bearer ${adminKey}`, origin: 'https://elsewhere.example' })
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    // A reader who goes away stops the export: the next one may start.
    await foreign.body?.cancel()
    await expect.poll(async () => {
      const again = await get(A, { authorization: `Bearer ${adminKey}` })
      await again.body?.cancel()
      return again.status
    }).toBe(200)
  })

  it('is saved by `cairn export` through the running server, and never over an existing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-export-cli-'))
    const env = { ...process.env, CAIRN_DATA_DIR: server.dataDir, CAIRN_SITES: `${A},${B}`, LANG: 'en' }
    const cairn = (...args: string[]) => run(process.execPath, ['collector/bin/cairn.js', ...args], { env, cwd: new URL('..', import.meta.url).pathname })
    const to = join(dir, 'a.zip')
    const { stdout } = await cairn('export', '--site', A, '--to', to)
    expect(stdout).toMatch(new RegExp(`exported ${A.replaceAll('.', '\\.')} to .*a\\.zip \\([\\d,]+ bytes\\)`))
    await expectSameAsStored(await unpacked(readFileSync(to)))
    expect(statSync(to).mode & 0o777).toBe(0o600)
    const size = readFileSync(to).length
    await expect(cairn('export', '--site', A, '--to', to)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('already exists') })
    expect(readFileSync(to).length).toBe(size)
    await expect(cairn('export')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--site') })
    // Refused by the server: no file is left behind.
    const refused = join(dir, 'untracked.zip')
    await expect(cairn('export', '--site', uniqueSite('untracked'), '--to', refused)).rejects.toMatchObject({ code: 2 })
    expect(existsSync(refused)).toBe(false)
  }, 60_000)

  it('answers HEAD without exporting, one export at a time (429 for another meanwhile)', async () => {
    const head = await fetch(`${server.url}/api/sites/${A}/export`, { method: 'HEAD', headers: { authorization: `Bearer ${adminKey}` } })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('application/zip')
    const first = await get(A, { authorization: `Bearer ${adminKey}` })
    expect(first.status).toBe(200)
    const second = await get(A, { authorization: `Bearer ${adminKey}` })
    expect(second.status).toBe(429)
    expect(second.headers.get('retry-after')).toBe('60')
    expect(JSON.stringify(await second.json())).toContain('export')
    await first.arrayBuffer()
    await expect.poll(async () => (await get(A, { authorization: `Bearer ${adminKey}` })).status).toBe(200)
  }, 60_000)

  it('stops when a query fails midway: the error names the file, nothing crashes, the server goes on', async () => {
    let queries = 0
    const failing = new Proxy(server.storage, {
      get(target, property, receiver) {
        // The export's fourth CSV query fails (the first ones give its first file).
        if (property === 'query') {
          return (params: Parameters<typeof target.query>[0]) => {
            if (String(params.query).includes('cairn.events') && ++queries === 4) return Promise.reject(new Error('the engine went away'))
            return target.query(params)
          }
        }
        const value = Reflect.get(target, property, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const out = new PassThrough()
    const received: Buffer[] = []
    out.on('data', (chunk: Buffer) => received.push(chunk))
    await expect(writeSiteExport(failing, { site: A, timeZone: 'Europe/Paris' }, out)).rejects.toThrow(/\.(parquet|csv): the engine went away/)
    // What was sent is no zip an unzip program accepts (no central directory).
    const dir = mkdtempSync(join(tmpdir(), 'cairn-export-cut-'))
    writeFileSync(join(dir, 'cut.zip'), Buffer.concat(received))
    await expect(run('unzip', ['-t', join(dir, 'cut.zip')])).rejects.toBeTruthy()
    expect((await fetch(`${server.url}/api/sites/${A}/status`, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(200)
  })
})
