/**
 * Rights requests, checked on the tables afterwards: a consented visitor exports then erases their data,
 * a restricted visitor's new events are not stored, and other visitors are untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restrictVisitor, subjectOf } from '../sql/privacy.ts'
import { TestServer, pageview, setCookies, uniqueSite } from './helpers/server.ts'
import { addUser } from '../dashboard/server/auth/users.ts'

const site = uniqueSite('privacy')
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site], env: { TRUST_PROXY: 'true' } })
})
afterAll(() => server.stop())

/** A consented visitor: their cookie, and their visitor_id as stored. */
async function consentedVisitor(ip: string, pages: string[]): Promise<{ cookie: string; visitorId: string }> {
  const first = await server.post(pageview(site, pages[0], { c: true }), { 'x-forwarded-for': ip })
  const cookie = setCookies(first)[0]!.split(';')[0]!
  for (const page of pages.slice(1)) await server.post(pageview(site, page, { c: true }), { 'x-forwarded-for': ip, cookie })
  await server.flush()
  const [row] = await server.rows<{ v: string }>('SELECT toString(visitor_id) AS v FROM cairn.events WHERE site = {site:String} AND pathname = {p:String}', { site, p: pages[0] })
  return { cookie, visitorId: row!.v }
}

async function rowsOf(visitorId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const table of ['events', 'sessions_data']) {
    const [row] = await server.rows<{ n: string }>(`SELECT count() AS n FROM cairn.${table} WHERE visitor_id = {v:UInt64}`, { v: visitorId })
    counts[table] = Number(row!.n)
  }
  return counts
}

describe('visitor self-service', () => {
  it('exports everything stored about the visitor, then erases it and expires the cookie', async () => {
    const anna = await consentedVisitor('198.51.100.10', ['/anna-1', '/anna-2', '/anna-3'])
    const ben = await consentedVisitor('203.0.113.20', ['/ben-1', '/ben-2'])
    const cookieless = await server.post(pageview(site, '/nobody'), { 'x-forwarded-for': '192.0.2.30' })
    expect(cookieless.status).toBe(202)
    await server.flush()

    const exported = await fetch(`${server.url}/api/privacy/me`, { headers: { cookie: anna.cookie } })
    expect(exported.status).toBe(200)
    const data = (await exported.json()) as { events: { pathname: string; visitor_id: string }[]; sessions: object[] }
    expect(data.events.map((e) => e.pathname)).toEqual(['/anna-1', '/anna-2', '/anna-3'])
    expect(new Set(data.events.map((e) => e.visitor_id))).toEqual(new Set([anna.visitorId]))
    expect(data.sessions).toHaveLength(1)

    expect(await rowsOf(anna.visitorId)).toEqual({ events: 3, sessions_data: expect.any(Number) })
    const erased = await fetch(`${server.url}/api/privacy/me`, { method: 'DELETE', headers: { cookie: anna.cookie } })
    expect(erased.status).toBe(200)
    expect(setCookies(erased)[0]).toMatch(/^cairn_id=; Max-Age=0/)
    expect(await rowsOf(anna.visitorId)).toEqual({ events: 0, sessions_data: 0 })
    const [inSessions] = await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.sessions WHERE visitor_id = {v:UInt64}', { v: anna.visitorId })
    expect(Number(inSessions!.n)).toBe(0)

    // Others are untouched.
    expect((await rowsOf(ben.visitorId)).events).toBe(2)
    const [others] = await server.rows<{ n: string }>("SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND pathname = '/nobody'", { site })
    expect(Number(others!.n)).toBe(1)
    // No row of any table holds the id any more; the request log knows the visitor only by a hash.
    const tables = await server.rows<{ table: string }>("SELECT DISTINCT table FROM system.columns WHERE database = 'cairn' AND name = 'visitor_id'")
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(['events', 'sessions_data', 'sessions', 'restrictions', 'pageviews', 'downloads']))
    for (const { table } of tables) {
      const [row] = await server.rows<{ n: string }>(`SELECT count() AS n FROM cairn.${table} WHERE visitor_id = {v:UInt64}`, { v: anna.visitorId })
      expect(Number(row!.n), table).toBe(0)
    }
    const log = await server.rows<{ kind: string }>('SELECT kind FROM cairn.privacy_requests WHERE subject = {s:String} ORDER BY at, kind', { s: subjectOf({ site, visitorId: anna.visitorId }) })
    expect(log.map((r) => r.kind).sort()).toEqual(['erase', 'export'])
  })

  it('says there is nothing to export for a browser without the cookie', async () => {
    const response = await fetch(`${server.url}/api/privacy/me`)
    expect(response.status).toBe(404)
    expect(((await response.json()) as { error: string }).error).toMatch(/consent/)
  })
})

describe('restriction', () => {
  it('drops the visitor\'s new events and keeps the record of the request', async () => {
    const carl = await consentedVisitor('100.64.9.9', ['/carl-1'])
    await restrictVisitor(server.storage, [{ site, visitorId: carl.visitorId }], 'dpo@example.com')
    await server.restart() // as after the DPO's command, with the server stopped
    const response = await server.post(pageview(site, '/carl-2', { c: true }), { 'x-forwarded-for': '100.64.9.9', cookie: carl.cookie })
    expect(response.headers.get('x-cairn-dropped')).toBe('restricted')
    await server.flush()
    const rows = await server.rows<{ pathname: string }>('SELECT pathname FROM cairn.events WHERE visitor_id = {v:UInt64}', { v: carl.visitorId })
    expect(rows.map((r) => r.pathname)).toEqual(['/carl-1'])
    const [record] = await server.rows<{ by: string }>('SELECT requested_by AS by FROM cairn.restrictions WHERE visitor_id = {v:UInt64}', { v: carl.visitorId })
    expect(record!.by).toBe('dpo@example.com')
  })
})

describe('admin API for the DPO', () => {
  it('refuses without credentials or admin rights, and restricts at once for an admin', async () => {
    const dana = await consentedVisitor('100.64.10.10', ['/dana-1'])
    const call = (headers: Record<string, string>, body: object) =>
      fetch(`${server.url}/api/sites/${site}/privacy`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    expect((await call({}, { action: 'restrict', visitor_id: dana.visitorId })).status).toBe(401)
    await addUser(server.server.collector.access, 'viewer@example.com', 'viewer password 1', 'viewer', site)
    await addUser(server.server.collector.access, 'dpo@example.com', 'dpo password 12', 'admin', site)
    const viewerKey = await server.server.collector.access.createApiKey('viewer@example.com', 'x')
    const dpoKey = await server.server.collector.access.createApiKey('dpo@example.com', 'x')
    expect((await call({ authorization: `Bearer ${viewerKey}` }, { action: 'restrict', visitor_id: dana.visitorId })).status).toBe(403)
    expect((await call({ authorization: `Bearer ${dpoKey}` }, { action: 'erase' })).status).toBe(400)
    expect((await call({ authorization: `Bearer ${dpoKey}` }, { action: 'anonymize', before: '2020-01-01' })).status).toBe(403) // every site's admin only

    const exported = await call({ authorization: `Bearer ${dpoKey}` }, { action: 'export', visitor_id: dana.visitorId })
    expect(((await exported.json()) as { events: unknown[] }).events).toHaveLength(1)
    expect((await call({ authorization: `Bearer ${dpoKey}` }, { action: 'restrict', visitor_id: dana.visitorId })).status).toBe(200)
    const response = await server.post(pageview(site, '/dana-2', { c: true }), { 'x-forwarded-for': '100.64.10.10', cookie: dana.cookie })
    expect(response.headers.get('x-cairn-dropped')).toBe('restricted')
  })
})
