import { afterAll, describe, expect, it } from 'vitest'
import { openStorage } from './client.ts'
import { migrate, readMigrations, splitStatements } from './migrate.ts'
import { tempDataDir } from '../test/helpers/server.ts'

describe('splitStatements', () => {
  it('splits on semicolons at line ends and drops comment lines', () => {
    expect(splitStatements("-- a comment; with a semicolon\nCREATE TABLE a (x String DEFAULT ';');\n\nCREATE VIEW b AS\nSELECT 1;\n")).toEqual([
      "CREATE TABLE a (x String DEFAULT ';')",
      'CREATE VIEW b AS\nSELECT 1',
    ])
  })
})

describe('migrate', () => {
  const storage = openStorage({ url: process.env.CLICKHOUSE_URL, dataDir: tempDataDir() })
  afterAll(() => storage.close())

  it('applies every migration once, records it, and is idempotent', async () => {
    const all = readMigrations()
    expect(all.map((m) => m.version)).toEqual([...all.map((m) => m.version)].sort((a, b) => a - b))
    await migrate(storage)
    expect(await migrate(storage)).toEqual([])
    const recorded = await (await storage.query({ query: 'SELECT version, name FROM cairn.schema_migrations FINAL ORDER BY version', format: 'JSONEachRow' })).json()
    expect(recorded).toEqual(all.map((m) => ({ version: m.version, name: m.name })))
    const tables = await (await storage.query({ query: "SELECT name FROM system.tables WHERE database = 'cairn' ORDER BY name", format: 'JSONEachRow' })).json<{ name: string }>()
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['events', 'sessions', 'sessions_data', 'sessions_mv', 'salts', 'schema_migrations']))
  })

  it('keeps the column names analysts rely on', async () => {
    const columns = async (table: string) =>
      (await (await storage.query({ query: 'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}', query_params: { db: 'cairn', t: table }, format: 'JSONEachRow' })).json<{ name: string; type: string }>())
    const events = Object.fromEntries((await columns('events')).map((c) => [c.name, c.type]))
    expect(events).toMatchObject({ site: expect.any(String), timestamp: "DateTime64(3, 'UTC')", visitor_id: 'UInt64', session_id: 'UInt64', ip_truncated: 'IPv6', props: 'Map(LowCardinality(String), String)' })
    for (const name of ['name', 'consent', 'hostname', 'pathname', 'referrer', 'referrer_source', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', 'link_url', 'browser', 'browser_version', 'os', 'os_version', 'device', 'country_code', 'engagement_ms', 'scroll_depth']) {
      expect(events, name).toHaveProperty(name)
    }
    const sessions = (await columns('sessions')).map((c) => c.name)
    expect(sessions).toEqual(expect.arrayContaining(['site', 'session_id', 'visitor_id', 'start', 'end', 'duration', 'pageviews', 'events', 'entry_page', 'exit_page', 'is_bounce', 'referrer_source', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', 'browser', 'os', 'device', 'country_code', 'consent']))
  })
})
