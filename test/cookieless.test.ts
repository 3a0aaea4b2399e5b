/** Invariant 4: cookieless ids from daily random salts, which are gone 48 hours after their creation. */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Clock, DAY, IPHONE_SAFARI, MINUTE, TestServer, pageview, serverMode, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('cookieless')
const other = uniqueSite('other')
const clock = Clock.morning()
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site, other], clock, env: { TRUST_PROXY: 'true' } })
})
afterAll(() => server.stop())

const visitor = { 'x-forwarded-for': '192.0.2.10' }

async function idsFor(path: string, onSite = site): Promise<string[]> {
  await server.flush()
  const rows = await server.rows<{ v: string }>(
    'SELECT toString(visitor_id) AS v FROM cairn.events WHERE site = {site:String} AND pathname = {path:String} ORDER BY timestamp',
    { site: onSite, path },
  )
  return rows.map((r) => r.v)
}

async function salts(): Promise<{ day: string; salt: string }[]> {
  return server.rows('SELECT toString(day) AS day, salt FROM cairn.salts ORDER BY day')
}

describe('cookieless visitors', () => {
  it('are the same visitor on the same day, and another one the next day', async () => {
    await server.post(pageview(site, '/day1'), visitor)
    clock.advance(3 * 60 * MINUTE) // hours later, a new session but the same visitor
    await server.post(pageview(site, '/day1'), visitor)
    const [a, b] = await idsFor('/day1')
    expect(a).toBeDefined()
    expect(a).toBe(b)

    // Same address /24 and browser, but another site: another visitor (the site is in the hash).
    await server.post(pageview(other, '/day1', { d: other }), visitor)
    expect((await idsFor('/day1', other))[0]).not.toBe(a)
    // Another browser at the same address: another visitor.
    await server.post(pageview(site, '/day1-iphone'), { ...visitor, 'user-agent': IPHONE_SAFARI })
    expect((await idsFor('/day1-iphone'))[0]).not.toBe(a)

    clock.advance(DAY)
    await server.post(pageview(site, '/day2'), visitor)
    expect((await idsFor('/day2'))[0]).not.toBe(a)
  })

  it('keep a visit that crosses midnight UTC in one session, on the previous day\'s salt', async () => {
    const midnight = Math.ceil(clock.ms / DAY) * DAY
    clock.ms = midnight - 5 * MINUTE
    await server.post(pageview(site, '/before-midnight'), { ...visitor, 'x-forwarded-for': '192.0.2.99' })
    clock.ms = midnight + 5 * MINUTE
    await server.post(pageview(site, '/after-midnight'), { ...visitor, 'x-forwarded-for': '192.0.2.99' })
    await server.flush()
    const rows = await server.rows<{ v: string; s: string }>(
      `SELECT toString(visitor_id) AS v, toString(session_id) AS s FROM cairn.events
       WHERE site = {site:String} AND pathname IN ('/before-midnight', '/after-midnight') ORDER BY timestamp`,
      { site },
    )
    expect(rows).toHaveLength(2)
    expect(rows[1]).toEqual(rows[0])
  })

  it('use salts that are random, one per day, and deleted 48 hours after creation', async () => {
    const before = await salts()
    expect(before.length).toBeGreaterThanOrEqual(2)
    for (const s of before) expect(s.salt).toMatch(/^[0-9a-f]{32}$/)
    expect(new Set(before.map((s) => s.salt)).size).toBe(before.length)

    const oldest = before[0]!
    // Two days on, the oldest salt is past 48 hours: the next event rotates and deletes it.
    clock.advance(2 * DAY)
    await server.post(pageview(site, '/day-later'), visitor)
    const after = await salts()
    expect(after.map((s) => s.day)).not.toContain(oldest.day)
    expect(after.map((s) => s.salt)).not.toContain(oldest.salt)
    expect(after.length).toBeLessThanOrEqual(2)

    if (!serverMode) {
      // Not only hidden from queries: gone from the files of the data directory (cleanup takes a moment).
      const holders = await waitFor(() => grepFiles(server.dataDir, oldest.salt), (files) => files.length === 0)
      expect(holders).toEqual([])
      // The check can fail: the current salt is found on disk.
      expect(grepFiles(server.dataDir, after.at(-1)!.salt).length).toBeGreaterThan(0)
    }
  })
})

function grepFiles(dir: string, text: string): string[] {
  try {
    return execFileSync('grep', ['-rlF', text, dir], { encoding: 'utf8' }).split('\n').filter(Boolean)
  } catch {
    return [] // grep exits 1 when nothing matches
  }
}

async function waitFor<T>(probe: () => T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs
  let value = probe()
  while (!done(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250))
    value = probe()
  }
  return value
}
