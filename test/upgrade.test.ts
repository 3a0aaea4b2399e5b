/**
 * A data directory written by earlier code (migrations up to 0006, a user made as it made them) opened by
 * this code: 0007 adds the users' settings, 0008 the sites (seeded from CAIRN_SITES, as the earlier code
 * read them), 0009 the second factors, all in place; the user still logs in, and a language chosen then
 * survives a password change (it is kept apart from cairn.users for that); 0016 and 0017 give the events'
 * and visits' columns their codecs, the parts written before are written again, and their rows read the same.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { openStorage } from '../sql/client.ts'
import { migrate, readMigrations } from '../sql/migrate.ts'
import { Access } from '../dashboard/server/auth/access.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { TestServer, tempDataDir } from './helpers/server.ts'

const dataDir = tempDataDir()
let server: TestServer | undefined
afterAll(() => server?.stop())

describe('an existing data directory', () => {
  it('gains the users’ settings, the sites and second factors in place (0007–0009), and its users keep working', async () => {
    const previous = openStorage({ dataDir })
    await migrate(previous, undefined, readMigrations().filter((m) => m.version < 7))
    await addUser(new Access(previous), 'old@example.com', 'an old password', 'viewer', 'old.example')
    // Events written by the earlier code, in parts compressed as it compressed them: today, 5 and 10 days ago.
    await previous.command({
      query: `INSERT INTO cairn.events (site, timestamp, name, visitor_id, session_id, session_start, consent, pathname, referrer, ip_truncated, engagement_ms)
              SELECT 'old.example', now64(3) - number * 432000, 'pageview', number, number, now64(3) - number * 432000, false, '/', 'https://www.example.org/from', toIPv6('192.0.2.0'), number * 10 FROM numbers(3)`,
    })
    const before = await (await previous.query({ query: "SELECT count() AS n FROM system.tables WHERE database = 'cairn' AND name = 'user_settings'", format: 'JSONEachRow' })).json<{ n: string }>()
    expect(before[0]!.n).toBe('0')
    await previous.close()

    server = await TestServer.start({ sites: ['old.example=Europe/Paris'], dataDir })
    const applied = await server.rows<{ name: string }>('SELECT name FROM cairn.schema_migrations FINAL WHERE version >= 7 ORDER BY version')
    // Every migration since, in order: 0007_user_settings, 0008_sites, 0009_second_factor, and later ones.
    expect(applied).toEqual(readMigrations().filter((m) => m.version >= 7).map((m) => ({ name: m.name })))
    expect(applied.slice(0, 3)).toEqual([{ name: '0007_user_settings' }, { name: '0008_sites' }, { name: '0009_second_factor' }])
    // 0016 and 0017: the columns take their codecs (and referrers LowCardinality), the parts written before
    // are written again with them, and the old rows read the same, before and after a merge.
    const codecs = await server.rows<{ name: string; type: string; codec: string }>(
      "SELECT name, type, compression_codec AS codec FROM system.columns WHERE database = 'cairn' AND table = 'events' AND name IN ('ip_truncated', 'referrer', 'engagement_ms', 'timestamp') ORDER BY name",
    )
    expect(codecs).toEqual([
      { name: 'engagement_ms', type: 'UInt32', codec: 'CODEC(T64, ZSTD(1))' },
      { name: 'ip_truncated', type: 'IPv6', codec: 'CODEC(ZSTD(1))' },
      { name: 'referrer', type: 'LowCardinality(String)', codec: 'CODEC(ZSTD(1))' },
      { name: 'timestamp', type: "DateTime64(3, 'UTC')", codec: 'CODEC(T64, ZSTD(1))' },
    ])
    // No part of the events is left as the earlier code wrote it (level 0, an insert's own part): the upgrade merged each again.
    const [parts] = await server.rows<{ old: string }>("SELECT countIf(level = 0) AS old FROM system.parts WHERE database = 'cairn' AND table IN ('events', 'sessions_data') AND active")
    expect(parts!.old).toBe('0')
    expect(await server.rows("SELECT count() AS visits FROM cairn.sessions WHERE site = 'old.example'")).toEqual([{ visits: '3' }])
    const oldRows = "SELECT toString(ip_truncated) AS ip, referrer, engagement_ms FROM cairn.events WHERE site = 'old.example' ORDER BY engagement_ms"
    const expected = [0, 10, 20].map((ms) => ({ ip: '::ffff:192.0.2.0', referrer: 'https://www.example.org/from', engagement_ms: ms }))
    expect(await server.rows(oldRows)).toEqual(expected)
    await server.storage.command({ query: 'OPTIMIZE TABLE cairn.events FINAL' })
    expect(await server.rows(oldRows)).toEqual(expected)
    // The sites the earlier code took from CAIRN_SITES are now rows, with their time zone.
    expect(await server.rows('SELECT site, time_zone FROM cairn.sites FINAL WHERE NOT deleted')).toEqual([{ site: 'old.example', time_zone: 'Europe/Paris' }])

    const json = { 'content-type': 'application/json', origin: server.url }
    const login = async (password: string) => {
      const response = await fetch(`${server!.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'old@example.com', password }) })
      expect(response.status).toBe(200)
      return response.headers.getSetCookie()[0]!.split(';')[0]!
    }
    let cookie = await login('an old password')
    const me = async () => (await fetch(`${server!.url}/api/auth/me`, { headers: { cookie } })).json()
    expect(await me()).toEqual({ email: 'old@example.com', language: null, two_factor: false })
    const patched = await fetch(`${server.url}/api/auth/me`, { method: 'PATCH', headers: { ...json, cookie }, body: '{"language":"fr"}' })
    expect(patched.status).toBe(200)
    expect(await me()).toEqual({ email: 'old@example.com', language: 'fr', two_factor: false })

    // 0019: the rollups of the settled days are made from the old rows (the server's sealer, at start and
    // then every ten minutes), and the dashboard reads the same figures from them as from the events.
    await server.server.collector.sealer.tick()
    expect(await server.rows("SELECT count() > 0 AS sealed FROM cairn.range_rollups WHERE site = 'old.example' AND dimension = '#seal'")).toEqual([{ sealed: 1 }])
    const stats = async (query: string) => (await fetch(`${server!.url}/api/stats/old.example/aggregate?${query}`, { headers: { cookie } })).json()
    const read = await stats('period=30d')
    expect(read).toEqual(await stats('period=30d&exact=true'))
    expect(read.results).toMatchObject({ visitors: 3, pageviews: 3, visits: 3 })

    // A new password ends the logins, not the preference.
    await addUser(server.server.collector.access, 'old@example.com', 'a new password 2', 'viewer', 'old.example')
    cookie = await login('a new password 2')
    expect(await me()).toEqual({ email: 'old@example.com', language: 'fr', two_factor: false })
  })
})
