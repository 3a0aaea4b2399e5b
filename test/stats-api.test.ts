/**
 * The stats API against independent SQL over the same rows (3 ranges × 3 filters), and its validation.
 * The SQL here is written from the documented definitions (docs/stats-api.md), not copied from the
 * implementation: ranges as local calendar days (toDate in the site's zone); visitors and pageviews from the
 * events of the range; visits, bounce rate and duration from the cairn.sessions view, by start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('stats')
const TZ = 'America/New_York'
const NOW = Date.parse('2026-11-20T15:30:00Z')
let server: TestServer
let key: string

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${site}=${TZ}`], clock: Object.assign(Object.create(null), { now: () => NOW }) })
  await generateDemo(server.storage, { site, events: 40_000, days: 75, endMs: NOW, seed: 2026 })
  await addUser(server.server.collector.access, 'analyst@example.com', 'correct horse battery', 'viewer', site)
  key = await server.server.collector.access.createApiKey('analyst@example.com', 'test')
}, 120_000)
afterAll(() => server.stop())

async function api<T = any>(path: string, params: Record<string, string> = {}): Promise<T> {
  const response = await fetch(`${server.url}/api/stats/${site}/${path}?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${key}` } })
  expect(response.status, await response.clone().text()).toBe(200)
  return response.json() as Promise<T>
}

const RANGES: [string, Record<string, string>, [string, string]][] = [
  ['7d', { period: '7d' }, ['2026-11-14', '2026-11-20']],
  ['30d', { period: '30d' }, ['2026-10-22', '2026-11-20']],
  ['custom', { period: 'custom', from: '2026-09-10', to: '2026-10-05' }, ['2026-09-10', '2026-10-05']],
]
/** [name, API parameters, condition on cairn.events, condition on cairn.sessions] */
const FILTERS: [string, Record<string, string>, string, string][] = [
  ['no filter', {}, '1', '1'],
  ['source Google', { source: 'Google' }, "referrer_source = 'Google'", "referrer_source = 'Google'"],
  ['mobile with consent', { device: 'mobile', consent: 'true' }, "device = 'mobile' AND consent", "device = 'mobile' AND consent"],
  ['page /pricing', { page: '/pricing' }, "pathname = '/pricing'", "session_id IN (SELECT session_id FROM cairn.events WHERE site = {site:String} AND pathname = '/pricing')"],
]

async function sql<T = Record<string, string>>(query: string, params: Record<string, unknown>): Promise<T[]> {
  return server.rows<T>(query, { site, tz: TZ, ...params })
}

const EVENTS = (condition: string) =>
  `FROM cairn.events WHERE site = {site:String} AND name != 'engagement'
     AND toDate(timestamp, {tz:String}) BETWEEN {from:Date} AND {to:Date} AND ${condition}`
const SESSIONS = (condition: string) =>
  `FROM cairn.sessions WHERE site = {site:String} AND toDate(start, {tz:String}) BETWEEN {from:Date} AND {to:Date} AND ${condition}`

describe.each(RANGES)('range %s', (_, rangeParams, [from, to]) => {
  describe.each(FILTERS)('%s', (__, filterParams, condition, visitCondition) => {
    const params = { ...rangeParams, ...filterParams }

    it('aggregate equals SQL', async () => {
      const { results, range } = await api('aggregate', params)
      expect([range.from, range.to]).toEqual([from, to])
      const [expected] = await sql(`
        SELECT uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews,
               countIf(name = 'download') AS downloads, uniqExact(if(name = 'download', visitor_id, NULL)) AS downloaders,
               countIf(name != 'pageview') AS events ${EVENTS(condition)}`, { from, to })
      const [visits] = await sql(`
        SELECT count() AS visits, round(avg(is_bounce) * 100) AS bounce_rate, round(avg(duration)) AS visit_duration ${SESSIONS(visitCondition)}`, { from, to })
      const numbers = Object.fromEntries(Object.entries({ ...expected, ...visits }).map(([k, v]) => [k, Number(v)]))
      expect(numbers.visitors).toBeGreaterThan(0) // the data set covers every range and filter
      expect(results).toEqual({ ...numbers, views_per_visit: Math.round((numbers.pageviews! / numbers.visits!) * 100) / 100 })
    })

    it('time series equals SQL per day', async () => {
      const { points } = await api<{ points: { bucket: string; visitors: number; pageviews: number; visits: number; bounce_rate: number }[] }>('timeseries', params)
      const events = await sql<{ day: string; visitors: string; pageviews: string }>(`
        SELECT toString(toDate(timestamp, {tz:String})) AS day, uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews
        ${EVENTS(condition)} GROUP BY day`, { from, to })
      const visits = await sql<{ day: string; visits: string; bounce_rate: string }>(`
        SELECT toString(toDate(start, {tz:String})) AS day, count() AS visits, round(avg(is_bounce) * 100) AS bounce_rate
        ${SESSIONS(visitCondition)} GROUP BY day`, { from, to })
      const byDay = new Map(events.map((r) => [r.day, r]))
      const visitsByDay = new Map(visits.map((r) => [r.day, r]))
      expect(points.length).toBe(Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1)
      for (const p of points) {
        const e = byDay.get(p.bucket)
        const v = visitsByDay.get(p.bucket)
        expect([p.bucket, p.visitors, p.pageviews, p.visits, p.bounce_rate]).toEqual([
          p.bucket, Number(e?.visitors ?? 0), Number(e?.pageviews ?? 0), Number(v?.visits ?? 0), Number(v?.bounce_rate ?? 0),
        ])
      }
    })

    // Asked at once, as a dashboard load asks: they run as one query (batch.ts), each part with its own columns and sort.
    it('breakdowns equal SQL (sources, pages, downloads, entry pages), asked together', async () => {
      const [sources, pages, downloads, entries] = await Promise.all([
        api('breakdown/source', { ...params, limit: '5' }),
        api('breakdown/page', { ...params, limit: '10', sort: 'pageviews:desc' }),
        api('breakdown/download', params),
        api('breakdown/entry_page', { ...params, limit: '5' }),
      ])
      expect(sources.rows).toEqual(
        (await sql(`SELECT referrer_source AS value, uniqExact(visitor_id) AS visitors, count() AS visits
                    ${SESSIONS(visitCondition)} GROUP BY value ORDER BY visitors DESC, value LIMIT 5`, { from, to }))
          .map((r) => ({ value: r.value, visitors: Number(r.visitors), visits: Number(r.visits) })),
      )
      expect(pages.rows).toEqual(
        (await sql(`SELECT pathname AS value, uniqExact(visitor_id) AS visitors, count() AS pageviews
                    ${EVENTS(condition)} AND name = 'pageview' GROUP BY value ORDER BY pageviews DESC, value LIMIT 10`, { from, to }))
          .map((r) => ({ value: r.value, visitors: Number(r.visitors), pageviews: Number(r.pageviews) })),
      )
      expect(downloads.rows).toEqual(
        (await sql(`SELECT link_url AS value, count() AS count, uniqExact(visitor_id) AS visitors
                    ${EVENTS(condition)} AND name = 'download' GROUP BY value ORDER BY count DESC, value LIMIT 10`, { from, to }))
          .map((r) => ({ value: r.value, count: Number(r.count), visitors: Number(r.visitors) })),
      )
      expect(entries.rows).toEqual(
        (await sql(`SELECT entry_page AS value, count() AS visits, uniqExact(visitor_id) AS visitors, round(avg(is_bounce) * 100) AS bounce_rate
                    ${SESSIONS(visitCondition)} GROUP BY value ORDER BY visits DESC, value LIMIT 5`, { from, to }))
          .map((r) => ({ value: r.value, visits: Number(r.visits), visitors: Number(r.visitors), bounce_rate: Number(r.bounce_rate) })),
      )
    })
  })
})

describe('hostnames, versions, UTM content and term', () => {
  const [from, to] = ['2026-10-22', '2026-11-20']
  const numbers = (rows: Record<string, string>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'value' ? v : Number(v)])))

  it('break down by an event attribute as SQL over the events does', async () => {
    for (const [name, column, where, metrics] of [
      ['hostname', 'hostname', "name = 'pageview'", 'uniqExact(visitor_id) AS visitors, count() AS pageviews'],
      ['browser_version', 'browser_version', '1', 'uniqExact(visitor_id) AS visitors, uniqExact(session_id) AS visits'],
      ['os_version', 'os_version', '1', 'uniqExact(visitor_id) AS visitors, uniqExact(session_id) AS visits'],
    ] as const) {
      const { rows } = await api(`breakdown/${name}`, { period: '30d', limit: '20' })
      const expected = numbers(await sql(`SELECT ${column} AS value, ${metrics} ${EVENTS(where)} GROUP BY value ORDER BY visitors DESC, value LIMIT 20`, { from, to }))
      expect(rows.length, name).toBeGreaterThan(1)
      expect(rows, name).toEqual(expected)
    }
  })

  it('break down by UTM content and term as SQL over the visits does, empty ones left out', async () => {
    for (const name of ['utm_content', 'utm_term']) {
      const { rows } = await api(`breakdown/${name}`, { period: '30d' })
      const expected = numbers(await sql(`SELECT ${name} AS value, uniqExact(visitor_id) AS visitors, count() AS visits ${SESSIONS(`${name} != ''`)} GROUP BY value ORDER BY visitors DESC, value LIMIT 10`, { from, to }))
      expect(rows.length, name).toBeGreaterThan(1)
      expect(rows, name).toEqual(expected)
    }
  })

  it('filter by them', async () => {
    const host = `docs.${site}`
    const { results } = await api('aggregate', { period: '30d', hostname: host, browser_version: '131', utm_term: '' })
    const [events] = await sql(`SELECT uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews ${EVENTS("hostname = {host:String} AND browser_version = '131' AND utm_term = ''")}`, { from, to, host })
    const [visits] = await sql(`SELECT count() AS visits ${SESSIONS("utm_term = '' AND session_id IN (SELECT session_id FROM cairn.events WHERE site = {site:String} AND hostname = {host:String} AND browser_version = '131')")}`, { from, to, host })
    expect(Number(events!.visitors)).toBeGreaterThan(0)
    expect([results.visitors, results.pageviews, results.visits]).toEqual([Number(events!.visitors), Number(events!.pageviews), Number(visits!.visits)])
  })
})

describe('other reports', () => {
  it('filters by entry page: the events of visits that began there', async () => {
    const [from, to] = ['2026-10-22', '2026-11-20']
    const { results } = await api('aggregate', { period: '30d', entry_page: '/pricing' })
    const [events] = await sql(`SELECT uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews
      ${EVENTS("session_id IN (SELECT session_id FROM cairn.sessions WHERE site = {site:String} AND entry_page = '/pricing')")}`, { from, to })
    const [visits] = await sql(`SELECT count() AS visits ${SESSIONS("entry_page = '/pricing'")}`, { from, to })
    expect(Number(visits!.visits)).toBeGreaterThan(0)
    expect([results.visitors, results.pageviews, results.visits]).toEqual([Number(events!.visitors), Number(events!.pageviews), Number(visits!.visits)])
  })

  it('compares with the previous period of the same length', async () => {
    const { previous } = await api('aggregate', { period: '7d', compare: 'previous' })
    expect([previous.range.from, previous.range.to]).toEqual(['2026-11-07', '2026-11-13'])
    const [expected] = await sql(`SELECT uniqExact(visitor_id) AS visitors ${EVENTS('1')}`, { from: '2026-11-07', to: '2026-11-13' })
    expect(previous.results.visitors).toBe(Number(expected!.visitors))
  })

  it('counts visitors of the last five minutes as realtime', async () => {
    const { visitors } = await api('realtime')
    const [expected] = await sql(`SELECT uniqExact(visitor_id) AS n FROM cairn.events WHERE site = {site:String} AND name != 'engagement'
      AND timestamp BETWEEN fromUnixTimestamp64Milli({since:Int64}) AND fromUnixTimestamp64Milli({now:Int64})`, { since: NOW - 300_000, now: NOW })
    expect(visitors).toBe(Number(expected!.n))
  })

  it('lists recent visits without any identifier', async () => {
    const { sessions } = await api('sessions', { period: '7d', limit: '5' })
    expect(sessions).toHaveLength(5)
    for (const s of sessions) {
      expect(Object.keys(s).sort()).toEqual(['browser', 'country', 'device', 'duration', 'entry_page', 'exit_page', 'os', 'pageviews', 'source', 'start'])
    }
    expect(sessions.map((s: { start: string }) => s.start)).toEqual([...sessions.map((s: { start: string }) => s.start)].sort().reverse())
  })

  // The latest visits are looked for in the last day first, then wider: pages that end past the last day,
  // the week and the month must still be the range's latest visits, in order.
  it.each([
    ['7d', { period: '7d' }, ['2026-11-14', '2026-11-20']],
    ['30d', { period: '30d' }, ['2026-10-22', '2026-11-20']],
  ] as const)('pages recent visits of %s as SQL orders them, across the last day, week and month', async (_, rangeParams, [from, to]) => {
    const perDay = await sql<{ n: string }>(`SELECT count() AS n ${SESSIONS('1')} AND toDate(start, {tz:String}) = {to:Date}`, { from, to })
    const lastDay = Number(perDay[0]!.n)
    for (const offset of [0, Math.max(0, lastDay - 3), lastDay * 8, lastDay * 20]) {
      const { sessions } = await api('sessions', { ...rangeParams, limit: '6', offset: String(offset) })
      const expected = await sql<{ started: string }>(
        `SELECT toString(toTimeZone(start, {tz:String})) AS started ${SESSIONS('1')} ORDER BY start DESC LIMIT 6 OFFSET {offset:UInt32}`,
        { from, to, offset },
      )
      expect(sessions.map((s: { start: string }) => s.start), `offset ${offset}`).toEqual(expected.map((r) => r.started))
    }
  })

  it('exports a breakdown as CSV', async () => {
    const response = await fetch(`${server.url}/api/stats/${site}/breakdown/country?period=30d&format=csv&limit=3`, { headers: { authorization: `Bearer ${key}` } })
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const lines = (await response.text()).trim().split('\r\n')
    // Headers for people, in the request's language (English without one).
    expect(lines[0]).toBe('Country,Visitors,Visits')
    expect(response.headers.get('content-language')).toBe('en')
    expect(lines).toHaveLength(4)
    const json = await api('breakdown/country', { period: '30d', limit: '3' })
    expect(lines.slice(1)).toEqual(json.rows.map((r: { value: string; visitors: number; visits: number }) => `${r.value},${r.visitors},${r.visits}`))
    const french = await fetch(`${server.url}/api/stats/${site}/breakdown/source?period=30d&format=csv`, { headers: { authorization: `Bearer ${key}`, 'accept-language': 'fr-FR,fr;q=0.9' } })
    expect((await french.text()).split('\r\n')[0]).toBe('Source,Visiteurs,Visites')
    expect(french.headers.get('content-language')).toBe('fr')
    const byQuery = await fetch(`${server.url}/api/stats/${site}/breakdown/page?period=30d&format=csv&lang=fr`, { headers: { authorization: `Bearer ${key}` } })
    expect((await byQuery.text()).split('\r\n')[0]).toBe('Page,Visiteurs,Pages vues')
  })
})

describe('validation', () => {
  const bad: [string, string, string][] = [
    ['aggregate', 'period=fortnight', 'period'],
    ['aggregate', 'period=custom&from=2026-13-01&to=2026-12-01', 'from'],
    ['aggregate', 'period=custom&from=2026-10-01&to=2026-09-01', 'to'],
    ['aggregate', 'period=custom&from=2026-02-30&to=2026-03-05', 'from'],
    ['aggregate', 'period=custom&from=9999-01-01&to=9999-01-02', 'from'],
    ['timeseries', 'period=custom&from=2026-01-01&to=9999-12-31', 'to'],
    ['breakdown/page', 'period=custom&from=1969-12-31&to=1970-01-02', 'from'],
    ['aggregate', 'compare=yesterday', 'compare'],
    ['aggregate', 'consent=maybe', 'consent'],
    ['breakdown/page', 'sort=bounce_rate', 'sort'],
    ['breakdown/page', 'sort=visitors:sideways', 'sort'],
    ['breakdown/page', 'limit=0', 'limit'],
    ['breakdown/page', 'offset=-1', 'offset'],
    ['breakdown/page', 'format=xml', 'format'],
    ['breakdown/planets', '', 'breakdown'],
    ['sessions', 'limit=500', 'limit'],
  ]
  it.each(bad)('%s?%s → 400 naming %s', async (path, query, field) => {
    const response = await fetch(`${server.url}/api/stats/${site}/${path}?${query}`, { headers: { authorization: `Bearer ${key}` } })
    expect(response.status).toBe(400)
    expect(Object.keys(((await response.json()) as { errors: object }).errors)).toContain(field)
  })

  it('treats a filter value as data, not SQL', async () => {
    const { results } = await api('aggregate', { period: '30d', page: "/' OR 1=1 --" })
    expect(results.visitors).toBe(0)
  })
})
