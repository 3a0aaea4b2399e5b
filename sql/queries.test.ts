/**
 * The worked queries of sql/queries/, run as an analyst runs them (through the door, with
 * @clickhouse/client) on demo data, and checked against the same numbers computed another way.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { TestServer } from '../test/helpers/server.ts'

const SITE = 'queries.example'
const dir = new URL('./queries/', import.meta.url).pathname
let server: TestServer
let analyst: ClickHouseClient

beforeAll(async () => {
  server = await TestServer.start({ sites: [SITE] })
  await generateDemo(server.storage, { site: SITE, events: 20_000, days: 60, seed: 5 })
  await addUser(server.server.collector.access, 'analyst@example.com', 'analyst password', 'viewer', '*')
  analyst = createClient({ url: server.url, pathname: '/clickhouse', username: 'analyst@example.com', password: 'analyst password' })
}, 60_000)
afterAll(async () => {
  await analyst?.close()
  await server?.stop()
})

async function run<T>(file: string): Promise<T[]> {
  const result = await analyst.query({ query: readFileSync(dir + file, 'utf8'), query_params: { site: SITE }, format: 'JSONEachRow' })
  return result.json<T>()
}

/** The same numbers from cairn.events, without the views, in JavaScript. */
async function events(where: string): Promise<Record<string, string>[]> {
  return server.rows(`SELECT * EXCEPT (props) FROM cairn.events WHERE site = {site:String} AND ${where}`, { site: SITE })
}

describe('sql/queries', () => {
  it('has a test for every query', () => {
    expect(readdirSync(dir).sort()).toEqual(['consent-share-by-week.sql', 'entry-pages-by-source.sql', 'returning-consented-visitors.sql', 'top-downloads-by-campaign.sql'])
  })

  it('top-downloads-by-campaign', async () => {
    const rows = await run<{ campaign: string; file_url: string; downloads: string; downloaders: string }>('top-downloads-by-campaign.sql')
    expect(rows.length).toBeGreaterThan(0)
    const raw = await events("name = 'download' AND utm_campaign != '' AND timestamp >= now() - INTERVAL 30 DAY")
    for (const row of rows) {
      const matching = raw.filter((e) => e.utm_campaign === row.campaign && e.link_url === row.file_url)
      expect([Number(row.downloads), Number(row.downloaders)]).toEqual([matching.length, new Set(matching.map((e) => e.visitor_id)).size])
    }
  })

  it('entry-pages-by-source', async () => {
    const rows = await run<{ source: string; entry_page: string; visits: string; bounce_rate: number }>('entry-pages-by-source.sql')
    expect(rows.length).toBe(20)
    const raw = await events("name = 'pageview' AND session_start >= now() - INTERVAL 30 DAY")
    const first = new Map<string, Record<string, string>>()
    for (const e of raw.sort((a, b) => a.timestamp!.localeCompare(b.timestamp!))) if (!first.has(e.session_id!)) first.set(e.session_id!, e)
    for (const row of rows.slice(0, 5)) {
      const visits = [...first.values()].filter((e) => e.referrer_source === row.source && e.pathname === row.entry_page)
      expect(Number(row.visits)).toBe(visits.length)
    }
  })

  it('consent-share-by-week', async () => {
    const rows = await run<{ week: string; visits: string; with_consent: string; consent_share: number }>('consent-share-by-week.sql')
    expect(rows.length).toBeGreaterThanOrEqual(8)
    const total = rows.reduce((sum, r) => sum + Number(r.visits), 0)
    const [sessions] = await server.rows<{ n: string; c: string }>('SELECT count() AS n, countIf(consent) AS c FROM cairn.sessions WHERE site = {site:String}', { site: SITE })
    expect(total).toBe(Number(sessions!.n))
    expect(rows.reduce((sum, r) => sum + Number(r.with_consent), 0)).toBe(Number(sessions!.c))
    // The demo's consent rate is 35 %.
    for (const r of rows.filter((r) => Number(r.visits) > 200)) expect(r.consent_share).toBeGreaterThan(25)
  })

  it('returning-consented-visitors', async () => {
    const rows = await run<{ month: string; consented_visitors: string; returning: string }>('returning-consented-visitors.sql')
    expect(rows.length).toBeGreaterThanOrEqual(2)
    const raw = await events("consent AND name != 'engagement'")
    for (const row of rows) {
      const inMonth = raw.filter((e) => e.timestamp!.startsWith(row.month.slice(0, 7)))
      const days = new Map<string, Set<string>>()
      for (const e of inMonth) days.set(e.visitor_id!, (days.get(e.visitor_id!) ?? new Set()).add(e.timestamp!.slice(0, 10)))
      expect([Number(row.consented_visitors), Number(row.returning)]).toEqual([days.size, [...days.values()].filter((d) => d.size >= 2).length])
    }
    expect(rows.some((r) => Number(r.returning) > 0)).toBe(true)
  })
})

describe('views', () => {
  it('daily_stats agrees with the dashboard definitions', async () => {
    const [row] = await (await analyst.query({ query: 'SELECT sum(pageviews) AS p, sum(visits) AS v FROM daily_stats WHERE site = {site:String}', query_params: { site: SITE }, format: 'JSONEachRow' })).json<{ p: string; v: string }>()
    const [expected] = await server.rows<{ p: string; v: string }>("SELECT countIf(name = 'pageview') AS p, (SELECT count() FROM cairn.sessions WHERE site = {site:String}) AS v FROM cairn.events WHERE site = {site:String}", { site: SITE })
    expect(row).toEqual(expected)
  })
})
