/**
 * A seal of a range that runs on to today covers the days up to yesterday, less the visits still open at
 * midnight (dashboard/server/rollups.ts): a load counts those with today's events, so a visit that crosses
 * midnight, and goes on after the seal was made, is counted once, with its bounce and duration as they are
 * now. Told through the collector, as visitors would, on a clock that crosses midnight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { sealWanted, usableSeal } from '../dashboard/server/rollups.ts'
import { resolveRange } from '../dashboard/server/range.ts'
import { Clock, MINUTE, TestServer, pageview, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('open-visits')
// The last midnight (UTC) that really passed: the salts' TTL goes by the engine's real clock.
const MIDNIGHT = Math.floor(Date.now() / 86_400_000) * 86_400_000
const YESTERDAY = new Date(MIDNIGHT - 86_400_000).toISOString().slice(0, 10)
const clock = new Clock(MIDNIGHT - 3 * 60 * MINUTE)
const PERIODS = ['7d', '30d', 'month', '12mo']
let server: TestServer
let key: string

// Addresses are truncated to their /24 before anything else: one network per visitor.
const visitor = (n: number) => ({ 'x-forwarded-for': `198.51.${n}.10` })

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${site}=UTC`], clock, env: { TRUST_PROXY: 'true' } })
  await addUser(server.server.collector.access, 'analyst@example.com', 'correct horse battery', 'admin', '*')
  key = await server.server.collector.access.createApiKey('analyst@example.com', 'test')
})
afterAll(() => server.stop())

async function api(path: string, params: Record<string, string>): Promise<any> {
  const response = await fetch(`${server.url}/api/stats/${site}/${path}?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${key}` } })
  expect(response.status, await response.clone().text()).toBe(200)
  return response.json()
}

/** Every figure a load gives from the seals equals what the events alone give. */
async function sameAsEvents(): Promise<void> {
  for (const period of PERIODS) {
    for (const route of ['aggregate', 'timeseries', 'breakdown/source', 'breakdown/page', 'breakdown/entry_page', 'breakdown/exit_page', 'breakdown/browser']) {
      const [read, exact] = await Promise.all([api(route, { period }), api(route, { period, exact: 'true' })])
      expect(read, `${period} ${route}`).toEqual(exact)
    }
  }
}

const today = () => new Date(clock.ms).toISOString().slice(0, 10)
const sealOf = (period: string) => usableSeal(server.storage, { site, timeZone: 'UTC', range: resolveRange(period as '30d', today()), filters: {}, today: today() })

describe('a visit open at midnight', () => {
  it('is left out of the seal of the days before, and counted once, as it is now, by a load', async () => {
    await server.post(pageview(site, '/closed'), visitor(1)) // 21:00, over long before midnight
    clock.ms = MIDNIGHT - 10 * MINUTE
    await server.post(pageview(site, '/evening', { r: 'https://www.google.com/' }), visitor(2))
    clock.ms = MIDNIGHT + 10 * MINUTE
    await server.post(pageview(site, '/after-midnight'), visitor(2))
    await server.flush()
    clock.ms = MIDNIGHT + 20 * MINUTE
    const sealed = await sealWanted(server.storage, [{ site, timeZone: 'UTC' }], clock.ms)
    // Up to yesterday, for each period that runs on to today (this month's may be too short: it is drawn by hours).
    const open = sealed.filter((k) => k.leavesOpen)
    expect(open.map((k) => k.from)).toEqual(expect.arrayContaining(['7d', '30d', '12mo'].map((p) => resolveRange(p as '30d', today()).from)))
    expect(open.map((k) => k.through)).toEqual(open.map(() => YESTERDAY))

    // The seals' cards hold the one visit that was over: the open one is left to the loads.
    const cards = await server.rows<{ counted: string[] }>(
      "SELECT groupUniqArray(toString(visits)) AS counted FROM cairn.range_rollups WHERE site = {site:String} AND dimension = '' AND visits > 0", { site })
    expect(cards).toEqual([{ counted: ['1'] }])
    for (const period of ['7d', '30d', '12mo']) expect((await sealOf(period))?.open?.sessions, period).toHaveLength(1)
    await sameAsEvents()
    const read = await api('aggregate', { period: '30d' })
    expect(read.results).toMatchObject({ visitors: 2, visits: 2, pageviews: 3, bounce_rate: 50, visit_duration: 600 })
  })

  it('goes on after the seal: the seal stays readable, and the load counts the visit as it is now', async () => {
    const before = await sealOf('30d')
    clock.ms = MIDNIGHT + 35 * MINUTE
    await server.post(pageview(site, '/later'), visitor(2))
    await server.post(pageview(site, '/new'), visitor(3))
    await server.flush()
    expect((await sealOf('30d'))?.sealedAt).toBe(before?.sealedAt)
    expect(await sealWanted(server.storage, [{ site, timeZone: 'UTC' }], clock.ms)).toEqual([])
    await sameAsEvents()
    const read = await api('aggregate', { period: '30d' })
    expect(read.results).toMatchObject({ visitors: 3, visits: 3, pageviews: 5, visit_duration: (45 * 60) / 3 })
    const sources = await api('breakdown/source', { period: '30d' })
    expect(sources.rows).toContainEqual(expect.objectContaining({ value: 'Google', visits: 1 }))
  })
})
