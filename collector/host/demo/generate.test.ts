/** The demo generator over the real engine: exact counts, replayable data, the catalogue's shares, progress and abort. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openStorage } from '../../../sql/client.ts'
import { migrate } from '../../../sql/migrate.ts'
import { SOURCES } from './catalog.ts'
import { generateDemo } from './generate.ts'

const DAY_MS = 86_400_000
const END = Date.UTC(2026, 4, 20, 13, 17, 42, 123)
const dir = mkdtempSync(join(tmpdir(), 'cairn-generate-'))
const storage = openStorage({ dataDir: dir })
beforeAll(() => migrate(storage))
afterAll(async () => {
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
})

async function rows<T = Record<string, string>>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await storage.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>()
}
const count = async (site: string) => Number((await rows('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site }))[0]!.n)

/** Every column; the site's name, which hostnames and links carry, taken out. */
async function checksum(site: string): Promise<string> {
  const [row] = await rows(`
    SELECT sum(cityHash64(timestamp, name, visitor_id, session_id, session_start, consent, interactive,
      replaceAll(hostname, site, ''), pathname, referrer, referrer_source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
      replaceAll(link_url, site, ''), browser, browser_version, os, os_version, device, country_code, ip_truncated, props, engagement_ms, scroll_depth)) AS sum
    FROM cairn.events WHERE site = {site:String}`, { site })
  return row!.sum!
}

it('writes exactly the events asked for, within the period, and the sessions view fills', async () => {
  const progress: [number, number][] = []
  const written = await generateDemo(storage, { site: 'a.test', events: 30_000, days: 30, endMs: END, seed: 1, onProgress: (done, total) => progress.push([done, total]) })
  expect(written).toBe(30_000)
  expect(await count('a.test')).toBe(30_000)
  expect(progress.at(-1)).toEqual([30_000, 30_000])
  const [bounds] = await rows(`
    SELECT min(toUnixTimestamp64Milli(timestamp)) AS first, max(toUnixTimestamp64Milli(timestamp)) AS last,
           min(toUnixTimestamp64Milli(session_start)) AS first_start, uniqExact(session_id) AS visits,
           countIf(session_id % 2 = 0 OR visitor_id % 2 = 0) AS even_ids, countIf(NOT interactive) AS passive
    FROM cairn.events WHERE site = 'a.test'`)
  expect(Number(bounds!.first_start)).toBeGreaterThanOrEqual(END - 30 * DAY_MS)
  expect(Number(bounds!.first)).toBeGreaterThanOrEqual(END - 30 * DAY_MS)
  expect(Number(bounds!.last)).toBeLessThanOrEqual(END)
  expect([bounds!.even_ids, bounds!.passive]).toEqual(['0', '0'])
  const [sessions] = await rows("SELECT count() AS n FROM cairn.sessions WHERE site = 'a.test'")
  expect(sessions!.n).toBe(bounds!.visits)
})

it('writes the same data for the same seed and end, and other data for another seed', async () => {
  for (const [site, seed] of [['b.test', 7], ['c.test', 7], ['d.test', 8]] as const) {
    await generateDemo(storage, { site, events: 20_000, days: 10, endMs: END, seed })
  }
  const [b, c, d] = [await checksum('b.test'), await checksum('c.test'), await checksum('d.test')]
  expect(c).toBe(b)
  expect(d).not.toBe(b)
})

it("draws sources and consent with the catalogue's weights, and consented visitors come back", async () => {
  await generateDemo(storage, { site: 'e.test', events: 100_000, days: 60, endMs: END, seed: 3 })
  const visits = await rows<{ source: string; n: string }>("SELECT referrer_source AS source, count() AS n FROM cairn.sessions WHERE site = 'e.test' GROUP BY source")
  const total = visits.reduce((sum, v) => sum + Number(v.n), 0)
  const weights = SOURCES.reduce((sum, [, w]) => sum + w, 0)
  // Within five standard deviations of a binomial share.
  const near = (observed: number, p: number) => expect(Math.abs(observed / total - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / total) + 0.001)
  for (const [source, weight] of SOURCES) near(Number(visits.find((v) => v.source === source.referrer_source)?.n ?? 0), weight / weights)
  const [consent] = await rows("SELECT countIf(consent) AS n FROM cairn.sessions WHERE site = 'e.test'")
  near(Number(consent!.n), 0.35)
  const [visitors] = await rows(`
    SELECT countIf(consent) AS consented, countIf(consent AND visits >= 3) AS returning, countIf(NOT consent AND visits > 1) AS cookieless_again
    FROM (SELECT visitor_id, any(consent) AS consent, uniqExact(session_id) AS visits FROM cairn.events WHERE site = 'e.test' GROUP BY visitor_id)`)
  expect(Number(visitors!.returning)).toBeGreaterThan(Number(visitors!.consented) / 10)
  expect(visitors!.cookieless_again).toBe('0')
})

it('reports progress after each chunk and stops between chunks when aborted', async () => {
  const aborted = new AbortController()
  aborted.abort()
  expect(await generateDemo(storage, { site: 'f.test', events: 1000, endMs: END, signal: aborted.signal })).toBe(0)
  expect(await count('f.test')).toBe(0)

  const stop = new AbortController()
  const progress: [number, number][] = []
  const written = await generateDemo(storage, {
    site: 'g.test', events: 1_500_000, days: 90, endMs: END, seed: 5, signal: stop.signal,
    onProgress: (done, total) => {
      progress.push([done, total])
      stop.abort()
    },
  })
  expect(progress).toHaveLength(1)
  expect(progress[0]![1]).toBe(1_500_000)
  expect(written).toBe(progress[0]![0])
  expect(written).toBeGreaterThan(0)
  expect(written).toBeLessThan(1_500_000)
  expect(await count('g.test')).toBe(written)
}, 180_000)
