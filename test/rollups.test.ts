/**
 * Rollups of settled days (dashboard/server/rollups.ts) against the events: on three sites in three time
 * zones with different sizes and consent mixes, every stats route that reads them answers what `exact=true`
 * (the events alone) answers, for each standard period and the one before it: counts to the unit, distinct
 * counts to the unit unless the response says they are estimates, then within 1 %. Then what must make a
 * seal unreadable (a late event, an erasure) does, and the estimator's error is measured on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { EXACT_UP_TO, STATE, sealWanted } from '../dashboard/server/rollups.ts'
import { distinct } from '../dashboard/server/stats.ts'
import { BREAKDOWN_NAMES } from '../sql/dimensions.ts'
import { eraseVisitor } from '../sql/privacy.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'

const NOW = Date.parse('2026-11-20T15:30:00Z')
const SITES = [
  // Big enough for a month's visitors to pass the sketches' exact range; its local day is UTC's.
  { site: uniqueSite('rollup-big'), timeZone: 'Europe/Paris', events: 300_000, days: 420, seed: 7 },
  { site: uniqueSite('rollup-ny'), timeZone: 'America/New_York', events: 40_000, days: 200, seed: 8 },
  // Already on the 21st there: its "today" is not the others'.
  { site: uniqueSite('rollup-nz'), timeZone: 'Pacific/Auckland', events: 8_000, days: 60, seed: 9 },
]
const [BIG] = SITES as [(typeof SITES)[number]]
const PERIODS = ['7d', '30d', 'month', 'last_month', '12mo']
let server: TestServer
let key: string
/** Relative errors of every figure the API said was an estimate. */
const errors: number[] = []

beforeAll(async () => {
  server = await TestServer.start({ sites: SITES.map((s) => `${s.site}=${s.timeZone}`), clock: Object.assign(Object.create(null), { now: () => NOW }) })
  for (const s of SITES) await generateDemo(server.storage, { site: s.site, events: s.events, days: s.days, endMs: NOW, seed: s.seed })
  await addUser(server.server.collector.access, 'analyst@example.com', 'correct horse battery', 'admin', '*')
  key = await server.server.collector.access.createApiKey('analyst@example.com', 'test')
  await sealWanted(server.storage, SITES, NOW)
}, 300_000)
afterAll(() => server.stop())

async function api<T = any>(site: string, path: string, params: Record<string, string>): Promise<T> {
  const response = await fetch(`${server.url}/api/stats/${site}/${path}?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${key}` } })
  expect(response.status, await response.clone().text()).toBe(200)
  return response.json() as Promise<T>
}

/** Each figure of `read` equals `exact`'s, or, for a metric the response names as approximate, is within 1 %. */
function same(read: Record<string, number>, exact: Record<string, number>, approximate: string[] = [], where = '') {
  for (const [metric, value] of Object.entries(exact)) {
    if (typeof value !== 'number') continue
    if (!approximate.includes(metric)) expect(read[metric], `${where} ${metric}`).toBe(value)
    else {
      const error = Math.abs(read[metric]! - value) / value
      errors.push(error)
      expect(error, `${where} ${metric}: ${read[metric]} for ${value}`).toBeLessThanOrEqual(0.01)
    }
  }
}

const sealedRows = async (site: string) => Number((await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.range_rollups WHERE site = {site:String}', { site }))[0]!.n)

describe.each(SITES)('$site ($timeZone)', ({ site }) => {
  it('has sealed the standard periods', async () => {
    expect(await sealedRows(site)).toBeGreaterThan(0)
  })

  describe.each(PERIODS)('%s', (period) => {
    const params = { period, compare: 'previous' }

    it('cards and graph (and the previous period’s) equal the events’', async () => {
      for (const route of ['aggregate', 'timeseries']) {
        const [read, exact] = await Promise.all([api(site, route, params), api(site, route, { ...params, exact: 'true' })])
        expect(exact.approximate).toBeUndefined()
        expect(read.range).toEqual(exact.range)
        for (const side of [read, read.previous]) {
          const theirs = side === read ? exact : exact.previous
          if (route === 'aggregate') same(side.results, theirs.results, side.approximate, `${period} ${route}`)
          else {
            expect(side.points.map((p: { bucket: string }) => p.bucket)).toEqual(theirs.points.map((p: { bucket: string }) => p.bucket))
            side.points.forEach((p: Record<string, number>, i: number) => same(p, theirs.points[i], side.approximate, `${period} ${route} ${p.bucket}`))
          }
        }
      }
    })

    it('every breakdown equals the events’', async () => {
      for (const name of BREAKDOWN_NAMES) {
        const [read, exact] = await Promise.all([api(site, `breakdown/${name}`, { period, limit: '1000' }), api(site, `breakdown/${name}`, { period, limit: '1000', exact: 'true' })])
        expect(exact.approximate).toBeUndefined()
        if (!read.approximate) {
          expect(read.rows, `${period} ${name}`).toEqual(exact.rows)
          continue
        }
        // Estimates may order near-equal rows otherwise: the same rows, each within 1 %.
        const theirs = new Map(exact.rows.map((r: { value: string }) => [r.value, r]))
        expect(read.rows.map((r: { value: string }) => r.value).sort()).toEqual([...theirs.keys()].sort())
        for (const row of read.rows) same(row, theirs.get(row.value) as Record<string, number>, read.approximate, `${period} ${name} ${row.value}`)
      }
    })
  })

  it('sorts and pages a breakdown as the events do', async () => {
    for (const options of [{ sort: 'value:asc', limit: '5', offset: '2' }, { sort: 'pageviews:desc', limit: '3', offset: '1' }]) {
      const params = { period: '7d', ...options }
      const [read, exact] = await Promise.all([api(site, 'breakdown/page', params), api(site, 'breakdown/page', { ...params, exact: 'true' })])
      expect(read.rows).toEqual(exact.rows)
    }
  })

  it('answers a load’s breakdowns asked at once (read together), the same one twice, each sorted and paged its own way', async () => {
    // Sorted by exact counts, so that the rows and their order must be the events' own.
    const asked: [string, Record<string, string>][] = [
      ...BREAKDOWN_NAMES.map((name): [string, Record<string, string>] => [name, { limit: '1000', sort: 'value:desc' }]),
      ['page', { sort: 'pageviews:desc', limit: '3', offset: '1' }],
      ['page', { sort: 'value:asc', limit: '4', offset: '2' }],
      ['entry_page', { sort: 'bounce_rate:asc', limit: '5' }],
      ['source', { sort: 'visits:asc', limit: '5', offset: '1' }],
      ['country', { sort: 'visits:desc', limit: '6' }],
      ['download', { sort: 'count:asc', limit: '2', offset: '1' }],
    ]
    for (const period of ['30d', '12mo']) {
      const together = await Promise.all(asked.map(([name, options]) => api(site, `breakdown/${name}`, { period, ...options })))
      for (const [i, [name, options]] of asked.entries()) {
        const exact = await api(site, `breakdown/${name}`, { period, ...options, exact: 'true' })
        const read = together[i]!
        const where = `${period} ${name} ${JSON.stringify(options)}`
        expect(read.rows.map((r: { value: string }) => r.value), where).toEqual(exact.rows.map((r: { value: string }) => r.value))
        read.rows.forEach((row: Record<string, number>, j: number) => same(row, exact.rows[j], read.approximate, `${where} ${row.value}`))
      }
    }
  })
})

describe('what reads the rollups, and what stops them being read', () => {
  const site = BIG.site

  it('a month of the big site reads merged sketches, says so, and is within 1 %', async () => {
    const read = await api(site, 'aggregate', { period: '30d' })
    expect(read.approximate).toEqual(['visitors'])
    const exact = await api(site, 'aggregate', { period: '30d', exact: 'true' })
    expect(read.results.visitors).not.toBe(0)
    expect(Math.abs(read.results.visitors - exact.results.visitors) / exact.results.visitors).toBeLessThanOrEqual(0.01)
    // A range of settled days only is read whole from its seal: exact.
    const lastMonth = await api(site, 'aggregate', { period: 'last_month' })
    expect(lastMonth.approximate).toBeUndefined()
  })

  it('the figures come from the seal (a seal changed by hand changes them), and a filter reads the events', async () => {
    // Fresh seals: loads keep what they made of a known seal alone (last month's cards) while it is valid.
    await sealWanted(server.storage, [BIG], NOW, { force: true })
    await server.storage.command({
      query: "ALTER TABLE cairn.range_rollups UPDATE pageviews = pageviews + 1000000 WHERE site = {site:String} AND dimension = ''",
      query_params: { site },
      clickhouse_settings: { mutations_sync: '2' },
    })
    for (const period of ['30d', 'last_month']) {
      const [read, exact] = await Promise.all([api(site, 'aggregate', { period }), api(site, 'aggregate', { period, exact: 'true' })])
      // The seal's two rows of cards (the events' and the visits') each gained a million.
      expect(read.results.pageviews - exact.results.pageviews).toBe(2_000_000)
      const [filtered, filteredExact] = await Promise.all([api(site, 'aggregate', { period, device: 'mobile' }), api(site, 'aggregate', { period, device: 'mobile', exact: 'true' })])
      expect(filtered).toEqual(filteredExact)
    }
    await sealWanted(server.storage, [BIG], NOW, { force: true })
    const [read, exact] = await Promise.all([api(site, 'aggregate', { period: 'last_month' }), api(site, 'aggregate', { period: 'last_month', exact: 'true' })])
    expect(read).toEqual(exact)
  })

  it('a late event on a settled day makes its seals unreadable until the sealer makes them again', async () => {
    const day = '2026-11-10 12:00:00'
    // The previous 7 days' cards (11-07 to 11-13) come from a seal alone, and loads keep them with it.
    const previousWeek = async (exact: string) => (await api(site, 'aggregate', { period: '7d', compare: 'previous', exact })).previous
    const before = await previousWeek('false')
    expect(before).toEqual(await previousWeek('true'))
    await server.storage.command({
      query: `INSERT INTO cairn.events (site, timestamp, name, visitor_id, session_id, session_start, pathname, hostname, consent)
              VALUES ({site:String}, toDateTime64({day:String}, 3, 'Europe/Paris'), 'pageview', 42, 4242, toDateTime64({day:String}, 3, 'Europe/Paris'), '/late', {site:String}, false)`,
      query_params: { site, day },
    })
    const [read, exact] = await Promise.all([api(site, 'breakdown/page', { period: '30d', limit: '1000' }), api(site, 'breakdown/page', { period: '30d', limit: '1000', exact: 'true' })])
    expect(read.approximate).toBeUndefined()
    expect(read.rows).toEqual(exact.rows)
    expect(read.rows.find((r: { value: string }) => r.value === '/late')).toEqual({ value: '/late', visitors: 1, pageviews: 1 })
    // What was kept of the seal goes with it.
    const after = await previousWeek('false')
    expect(after.results.pageviews).toBe(before.results.pageviews + 1)
    expect(after).toEqual(await previousWeek('true'))
    const resealed = await sealWanted(server.storage, [BIG], NOW)
    expect(resealed.map((k) => `${k.from}/${k.through}`)).toContain('2026-10-22/2026-11-19')
    // The new seal holds the late page, and answers with it.
    expect(await server.rows("SELECT count() > 0 AS held FROM cairn.range_rollups WHERE site = {site:String} AND dimension = 'page' AND value = '/late'", { site })).toEqual([{ held: 1 }])
    const again = await api(site, 'breakdown/page', { period: '30d', limit: '1000' })
    expect(again.rows.find((r: { value: string }) => r.value === '/late')).toEqual({ value: '/late', visitors: 1, pageviews: 1 })
  })

  it('erasing a visitor deletes the site’s seals, which hold hashes of visitor ids, and nothing else holds them', async () => {
    const [visitor] = await server.rows<{ v: string }>(
      "SELECT toString(visitor_id) AS v FROM cairn.events WHERE site = {site:String} AND consent AND timestamp > now64() - INTERVAL 1000 DAY GROUP BY visitor_id ORDER BY count() DESC LIMIT 1", { site })
    expect(await sealedRows(site)).toBeGreaterThan(0)
    // Loads before it knew the site's seals (rollups.ts starts on a known seal and confirms it alongside).
    const known = await api(site, 'aggregate', { period: '30d' })
    expect(known.approximate).toEqual(['visitors'])
    await eraseVisitor(server.storage, [{ site, visitorId: visitor!.v }], 'test')
    expect(await sealedRows(site)).toBe(0)
    // The next load finds them gone and counts from the events, as exact=true does.
    for (const [route, params] of [['aggregate', { period: '30d' }], ['breakdown/page', { period: '30d', limit: '5' }], ['aggregate', { period: 'last_month' }]] as const) {
      const [read, exact] = await Promise.all([api(site, route, params), api(site, route, { ...params, exact: 'true' })])
      expect(read, `${route} ${params.period}`).toEqual(exact)
    }
    for (const table of ['events', 'sessions_data']) {
      const [left] = await server.rows<{ n: string }>(`SELECT count() AS n FROM cairn.${table} WHERE site = {site:String} AND visitor_id = {v:UInt64}`, { site, v: visitor!.v })
      expect(Number(left!.n), table).toBe(0)
    }
    // Other sites keep theirs; the erased site's are made again without the visitor.
    expect(await sealedRows(SITES[1]!.site)).toBeGreaterThan(0)
    await sealWanted(server.storage, [BIG], NOW)
    const [read, exact] = await Promise.all([api(site, 'aggregate', { period: 'last_month' }), api(site, 'aggregate', { period: 'last_month', exact: 'true' })])
    expect(read).toEqual(exact)
  })

  it('only the operator makes them again: not without credentials, not with an admin’s key, not from another origin', async () => {
    const before = await sealedRows(SITES[1]!.site)
    for (const headers of <Record<string, string>[]>[{}, { authorization: 'Bearer ck_wrong' }, { authorization: `Bearer ${key}` }, { authorization: `Bearer ${key}`, origin: 'https://elsewhere.example' }]) {
      const response = await fetch(`${server.url}/api/rollups`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' })
      expect([401, 403], JSON.stringify(headers)).toContain(response.status)
    }
    expect(await sealedRows(SITES[1]!.site)).toBe(before)
  })

  it('refuses an `exact` that is neither true nor false, naming it', async () => {
    const response = await fetch(`${server.url}/api/stats/${site}/aggregate?period=30d&exact=yes`, { headers: { authorization: `Bearer ${key}` } })
    expect(response.status).toBe(400)
    expect(JSON.stringify(await response.json())).toContain('exact')
  })

  it('the estimates above were within 1 % at the 95th percentile', () => {
    expect(errors.length).toBeGreaterThan(20)
    const sorted = [...errors].sort((a, b) => a - b)
    expect(sorted[Math.ceil(sorted.length * 0.95) - 1]).toBeLessThanOrEqual(0.01)
  })
})

describe('the sketch as a load uses it', () => {
  it('counts a seal and the days after it within 1 % at the 95th percentile, and exactly up to the limit the API says', async () => {
    // 300 seals of 500 to 1,000,000 random 64-bit ids; the days after each meet a fifth of its ids again
    // and bring 0.1 to 50 % more. The figure is the stats queries' own expression.
    const [row] = await server.rows<{ p95: number; exact_small: number; small: string; n: string }>(`
      SELECT quantileExact(0.95)(abs(figure - size) / size) AS p95, countIf(size <= ${EXACT_UP_TO} AND figure != size) = 0 AS exact_small,
             countIf(size <= ${EXACT_UP_TO}) AS small, count() AS n FROM (
        SELECT trial, any(size) AS size, ${distinct('state', 'exact', 'estimate')} AS figure FROM (
          SELECT trial, side, any(size) AS size, ${STATE.replace('(', 'State(')}(id) AS state, uniqExact(id) AS exact, if(side = 1, ${STATE}(id), 0) AS estimate
          FROM (
            SELECT trial, seal + added AS size, side, sipHash64(trial, number) AS id
            FROM (
              SELECT number AS trial, toUInt64(round(exp(log(500) + (number % 100) / 99 * (log(1000000) - log(500))))) AS seal,
                     toUInt64(round(seal * exp(log(0.001) + intDiv(number, 100) / 2 * (log(0.5) - log(0.001))))) AS added
              FROM numbers(300))
            ARRAY JOIN [1, 2] AS side
            ARRAY JOIN if(side = 1, range(seal), range(toUInt64(seal - intDiv(seal, 5)), toUInt64(seal + added))) AS number)
          GROUP BY trial, side)
        GROUP BY trial)`)
    expect(Number(row!.n)).toBe(300)
    expect(Number(row!.p95)).toBeLessThanOrEqual(0.01)
    expect(Number(row!.small)).toBeGreaterThan(10)
    expect(Number(row!.exact_small)).toBe(1)
  }, 120_000)
})
