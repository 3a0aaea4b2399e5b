/**
 * A data directory written before imports (0024) opened by this code: the events already there are the
 * site's own (import_id 0) and count as before; an import then goes in beside them and, deleted, takes
 * only its own rows. Its own file: the earlier code's engine and the server's share one data directory.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStorage } from '../sql/client.ts'
import { migrate, readMigrations } from '../sql/migrate.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { addDays, localDate } from '../dashboard/server/range.ts'
import { writeGa4 } from './fixtures/imports/ga4.ts'
import { TestServer, tempDataDir } from './helpers/server.ts'

const dataDir = tempDataDir()
const SITE = 'shop.example'
const DAY = 86_400_000
const TODAY = localDate(Date.now(), 'UTC')
let server: TestServer | undefined
afterAll(() => server?.stop())

const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const COUNTS = `SELECT count() AS events, uniqExact(visitor_id) AS visitors, (SELECT count() FROM cairn.sessions WHERE site = '${SITE}') AS visits FROM cairn.events WHERE site = '${SITE}'`

describe('a data directory from before imports', () => {
  it('keeps its events as the site’s own, takes an import beside them, and loses none of them when it is deleted', async () => {
    const previous = openStorage({ dataDir })
    await migrate(previous, undefined, readMigrations().filter((m) => m.version < 24))
    const start = Date.now() - 2 * DAY
    await previous.insert({
      table: 'cairn.events',
      values: [0, 1, 2].map((i) => ({ site: SITE, timestamp: at(start + i * 60_000), name: 'pageview', visitor_id: 7, session_id: 70, session_start: at(start), consent: false, pathname: `/p${i}`, ip_truncated: '192.0.2.0' })),
      format: 'JSONEachRow',
    })
    const before = await (await previous.query({ query: COUNTS, format: 'JSONEachRow' })).json()
    await previous.close()

    server = await TestServer.start({ sites: [SITE], dataDir })
    const applied = await server.rows<{ name: string }>('SELECT name FROM cairn.schema_migrations FINAL WHERE version >= 24 ORDER BY version')
    expect(applied.map((r) => r.name)).toContain('0024_imports')
    expect(await server.rows(COUNTS)).toEqual(before)
    expect(await server.rows(`SELECT DISTINCT import_id FROM cairn.events WHERE site = '${SITE}'`)).toEqual([{ import_id: 0 }])

    await addUser(server.server.collector.access, 'owner@example.com', 'owner password 1', 'admin', '*')
    const key = await server.server.collector.access.createApiKey('owner@example.com', 'upgrade')
    const call = (method: string, path: string, body?: BodyInit, type = 'application/json') =>
      fetch(`${server!.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': type }, body })
    const dir = mkdtempSync(join(tmpdir(), 'cairn-upgrade-imports-'))
    await writeGa4(dir, addDays(TODAY, -30), 3)
    const job = (await (await call('POST', `/api/sites/${SITE}/imports`, JSON.stringify({ kind: 'ga4' }))).json()) as { id: number }
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      expect((await call('PUT', `/api/sites/${SITE}/imports/${job.id}/files?name=${file}`, readFileSync(join(dir, file)), 'application/octet-stream')).status).toBe(200)
    }
    expect((await call('POST', `/api/sites/${SITE}/imports/${job.id}/publish`, '{}')).status).toBe(200)
    const [withImport] = await server.rows<{ events: string }>(COUNTS)
    expect(Number(withImport!.events)).toBeGreaterThan(3)

    expect((await call('DELETE', `/api/sites/${SITE}/imports/${job.id}`)).status).toBe(200)
    expect(await server.rows(COUNTS)).toEqual(before)
  })
})
