/** Retention by TTL from the configuration, and a cookie declaration that matches what the server really sets. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { clickhouseTime } from '../collector/ingest/row.ts'
import { TestServer, pageview, setCookies, tempDataDir, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('retained')
const dataDir = tempDataDir()
const MONTH = 30.5 * 86_400_000
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site], dataDir, env: { CAIRN_COOKIE_DAYS: '90' } })
})
afterAll(() => server.stop())

async function ttl(table: string): Promise<string> {
  const [row] = await server.rows<{ e: string }>('SELECT engine_full AS e FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: 'cairn', t: table })
  return /TTL (.*?) SETTINGS/.exec(row!.e)?.[1] ?? ''
}

async function pathsLeft(): Promise<string[]> {
  await server.storage.command({ query: 'OPTIMIZE TABLE cairn.events FINAL' })
  const rows = await server.rows<{ pathname: string }>('SELECT pathname FROM cairn.events WHERE site = {site:String} ORDER BY pathname', { site })
  return rows.map((r) => r.pathname)
}

describe('retention', () => {
  it('deletes events older than the configured months, and follows a change of the setting at the next start', async () => {
    expect(await ttl('events')).toBe('toDateTime(timestamp) + toIntervalMonth(25)')
    const at = (monthsAgo: number, pathname: string) => ({
      site, timestamp: clickhouseTime(Date.now() - monthsAgo * MONTH), name: 'pageview', visitor_id: '1', session_id: String(monthsAgo + 1),
      session_start: clickhouseTime(Date.now() - monthsAgo * MONTH), pathname,
    })
    await server.storage.insert({ table: 'cairn.events', values: [at(26, '/26-months'), at(14, '/14-months'), at(1, '/1-month')], format: 'JSONEachRow' })
    expect(await pathsLeft()).toEqual(['/1-month', '/14-months'])

    await server.stop()
    server = await TestServer.start({ sites: [site], dataDir, env: { CAIRN_RETENTION_MONTHS: '13' } })
    expect(await ttl('events')).toBe('toDateTime(timestamp) + toIntervalMonth(13)')
    expect(await ttl('sessions_data')).toBe('toDateTime(start) + toIntervalMonth(13)')
    // The new TTL is applied to existing parts by a background mutation; merges then drop the rows.
    const until = Date.now() + 20_000
    let left = await pathsLeft()
    while (left.length > 1 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200))
      left = await pathsLeft()
    }
    expect(left).toEqual(['/1-month'])
  })
})

describe('cookie declaration', () => {
  it('lists exactly the cookies the server sets, with the configured lifetimes', async () => {
    await server.stop()
    server = await TestServer.start({ sites: [site], dataDir, env: { CAIRN_COOKIE_DAYS: '90' } })
    // Every way the server sets a cookie: a consented visitor, a withdrawal, a login.
    const seen = new Map<string, string>()
    const remember = (response: Response) => {
      for (const header of setCookies(response)) if (!seen.has(header.split('=')[0]!)) seen.set(header.split('=')[0]!, header)
    }
    remember(await server.post(pageview(site, '/', { c: true })))
    remember(await server.post(pageview(site, '/', { c: false }), { cookie: 'cairn_id=x' }))
    await addUser(server.server.collector.access, 'staff@example.com', 'staff password 1', 'viewer', site)
    remember(await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'staff@example.com', password: 'staff password 1' }) }))

    const { stdout } = await promisify(execFile)(process.execPath, ['collector/bin/cairn.js', 'cookies'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, CAIRN_SITES: site, CAIRN_COOKIE_DAYS: '90' },
    })
    const declared = [...stdout.matchAll(/^\| `([\w-]+)` \| [^|]+ \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => ({ name: m[1]!, category: m[2]!.trim(), expiration: m[3]!.trim() }))
    expect(declared.map((d) => d.name).sort()).toEqual([...seen.keys()].sort())
    expect(declared.find((d) => d.name === 'cairn_id')).toMatchObject({ category: 'Statistics (needs consent)', expiration: expect.stringContaining('90 days') })
    expect(seen.get('cairn_id')).toMatch(`Max-Age=${90 * 86_400}`)
    expect(declared.find((d) => d.name === 'cairn_login')).toMatchObject({ category: 'Strictly necessary', expiration: expect.stringContaining('14 days') })
    expect(seen.get('cairn_login')).toMatch(`Max-Age=${14 * 86_400}`)
  })
})
