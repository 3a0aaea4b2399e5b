/**
 * A data directory written before 0020–0022 (visits' pages keyed by the event's time) opened by this code:
 * every visit reads the same after the upgrade (its pages, end and duration), the old columns are gone, and a visit still open at the
 * upgrade goes on with the rows the new view writes (its entry page kept, its exit page the later one).
 * Its own file: the earlier code's engine and the server's share one data directory, one per process.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../sql/client.ts'
import { migrate, readMigrations } from '../sql/migrate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { TestServer, tempDataDir } from './helpers/server.ts'

const dataDir = tempDataDir()
const SITE = 'pages.example'
const DAY = 86_400_000
// Two days ago at noon (UTC), so that each visit is in a settled day and within 30 days.
const T0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY + 12 * 3_600_000
let server: TestServer | undefined
afterAll(() => server?.stop())

const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

/** One insert per event: each makes its own partial row of the visit, as a collector's batches do. */
async function event(storage: Storage, session: number, startMs: number, ms: number, name: string, pathname: string): Promise<void> {
  await storage.insert({
    table: 'cairn.events',
    values: [{ site: SITE, timestamp: at(ms), name, visitor_id: session * 10, session_id: session, session_start: at(startMs), consent: false, pathname, ip_truncated: '192.0.2.0' }],
    format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplicate: 0 },
  })
}

const VISITS = `SELECT session_id, entry_page, exit_page, toString(\`end\`) AS ended, duration, pageviews, events, is_bounce FROM cairn.sessions WHERE site = '${SITE}' ORDER BY session_id`

describe('visits written before their pages were keyed by the time since their start', () => {
  it('read the same after the upgrade, and an open one goes on with the new rows', async () => {
    const previous = openStorage({ dataDir })
    await migrate(previous, undefined, readMigrations().filter((m) => m.version < 20))
    // 1: three pages, each in its own insert, then an engagement after the last; 2: no pageview at all;
    // 3: one page; 4: two pages in one insert, still open at the upgrade.
    await event(previous, 1, T0, T0, 'pageview', '/a')
    await event(previous, 1, T0, T0 + 60_000, 'pageview', '/b')
    await event(previous, 1, T0, T0 + 120_000, 'pageview', '/c')
    await event(previous, 1, T0, T0 + 150_000, 'engagement', '/c')
    await event(previous, 2, T0 + 1_000, T0 + 1_000, 'signup', '/form')
    await event(previous, 3, T0 + 2_000, T0 + 2_000, 'pageview', '/only')
    await previous.insert({
      table: 'cairn.events',
      values: ['/x', '/y'].map((pathname, i) => ({ site: SITE, timestamp: at(T0 + 3_000 + i * 30_000), name: 'pageview', visitor_id: 40, session_id: 4, session_start: at(T0 + 3_000), consent: false, pathname, ip_truncated: '192.0.2.0' })),
      format: 'JSONEachRow',
    })
    // 6: a page and an engagement after it in one row, a later page written after them in another: only
    // once merged (0020) is /y the exit page; converted row by row, the first row's last event would win.
    await previous.insert({
      table: 'cairn.events',
      values: [['/x', 'pageview', 0], ['/x', 'engagement', 100_000]].map(([pathname, name, ms]) => ({ site: SITE, timestamp: at(T0 + 6_000 + Number(ms)), name, visitor_id: 60, session_id: 6, session_start: at(T0 + 6_000), consent: false, pathname, ip_truncated: '192.0.2.0' })),
      format: 'JSONEachRow',
    })
    await event(previous, 6, T0 + 6_000, T0 + 6_000 + 50_000, 'pageview', '/y')
    const before = await (await previous.query({ query: VISITS, format: 'JSONEachRow' })).json()
    expect(before).toEqual([
      { session_id: '1', entry_page: '/a', exit_page: '/c', ended: at(T0 + 150_000), duration: 150, pageviews: '3', events: '3', is_bounce: false },
      { session_id: '2', entry_page: '', exit_page: '', ended: at(T0 + 1_000), duration: 0, pageviews: '0', events: '1', is_bounce: false },
      { session_id: '3', entry_page: '/only', exit_page: '/only', ended: at(T0 + 2_000), duration: 0, pageviews: '1', events: '1', is_bounce: true },
      { session_id: '4', entry_page: '/x', exit_page: '/y', ended: at(T0 + 33_000), duration: 30, pageviews: '2', events: '2', is_bounce: false },
      { session_id: '6', entry_page: '/x', exit_page: '/y', ended: at(T0 + 106_000), duration: 100, pageviews: '2', events: '2', is_bounce: false },
    ])
    await previous.close()

    server = await TestServer.start({ sites: [`${SITE}=UTC`], dataDir })
    const applied = await server.rows<{ name: string }>('SELECT name FROM cairn.schema_migrations FINAL WHERE version >= 20 ORDER BY version')
    expect(applied.slice(0, 3)).toEqual([{ name: '0020_visit_pages' }, { name: '0021_visit_pages_converted' }, { name: '0022_visit_pages_view' }])

    // The same visits, read from the new states; the old ones are gone.
    expect(await server.rows(VISITS)).toEqual(before)
    // Each visit is one row (0020 merged them), until the new view writes more.
    expect(await server.rows("SELECT count() AS rows FROM cairn.sessions_data WHERE site = {site:String}", { site: SITE })).toEqual([{ rows: '5' }])
    const columns = await server.rows("SELECT name, type FROM system.columns WHERE database = 'cairn' AND table = 'sessions_data' AND name LIKE '%state%' ORDER BY name")
    expect(columns).toEqual([
      { name: 'entry_page_state', type: 'AggregateFunction(argMin, String, UInt32)' },
      { name: 'exit_page_state', type: 'AggregateFunction(argMax, String, UInt32)' },
    ])
    expect(await server.rows("SELECT name FROM system.columns WHERE database = 'cairn' AND table = 'sessions_data' AND name IN ('last_event_at', 'duration_ms')")).toEqual([{ name: 'duration_ms' }])

    // Visit 4 goes on after the upgrade: the new view's row keeps its entry page and gives the later exit;
    // a new visit (5) is rolled up by the new view, its pages in two inserts.
    await event(server.storage, 4, T0 + 3_000, T0 + 3_000 + 90_000, 'pageview', '/z')
    await event(server.storage, 5, T0 + 5_000, T0 + 5_000, 'pageview', '/p')
    await event(server.storage, 5, T0 + 5_000, T0 + 5_000 + 10_000, 'pageview', '/q')
    const after = await server.rows(`${VISITS.replace('ORDER BY', 'AND session_id IN (4, 5) ORDER BY')}`)
    expect(after).toEqual([
      { session_id: '4', entry_page: '/x', exit_page: '/z', ended: at(T0 + 93_000), duration: 90, pageviews: '3', events: '3', is_bounce: false },
      { session_id: '5', entry_page: '/p', exit_page: '/q', ended: at(T0 + 15_000), duration: 10, pageviews: '2', events: '2', is_bounce: false },
    ])
    // And merged whole, the same.
    await server.storage.command({ query: 'OPTIMIZE TABLE cairn.sessions_data FINAL' })
    expect(await server.rows(VISITS)).toEqual([...before.slice(0, 3), ...after, before[4]])

    // The dashboard's entry and exit pages, from the visits as they are now (visit 2 has none: '', as before).
    await addUser(server.server.collector.access, 'owner@example.com', 'correct horse battery', 'admin', '*')
    const key = await server.server.collector.access.createApiKey('owner@example.com', 'test')
    const breakdown = async (name: string) => {
      const response = await fetch(`${server!.url}/api/stats/${SITE}/breakdown/${name}?period=7d&exact=true`, { headers: { authorization: `Bearer ${key}` } })
      expect(response.status).toBe(200)
      return ((await response.json()) as { rows: { value: string; visits: number }[] }).rows.map((r) => [r.value, r.visits])
    }
    expect(await breakdown('entry_page')).toEqual([['/x', 2], ['', 1], ['/a', 1], ['/only', 1], ['/p', 1]])
    expect(await breakdown('exit_page')).toEqual([['', 1], ['/c', 1], ['/only', 1], ['/q', 1], ['/y', 1], ['/z', 1]])
  }, 120_000)
})
