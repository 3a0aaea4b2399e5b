/**
 * The admin API (docs/admin-api.md) from the outside, on one real server: a security matrix generated
 * from one table of every admin route (who may call it, and everyone else refused in the one error
 * shape, from another origin, or without JSON), then what each group of routes does, checked on the
 * tables afterwards.
 */
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Secret, TOTP } from 'otpauth'
import { addUser } from '../dashboard/server/auth/users.ts'
import { prefixOf } from '../dashboard/server/auth/secrets.ts'
import { subjectOf } from '../sql/privacy.ts'
import { TestServer, pageview, setCookies, tempDataDir, uniqueSite } from './helpers/server.ts'
import { addPeopleWithKeys, adminApi, bearer, expectRefusal, json, passwordOf, type Call } from './helpers/admin-api.ts'

/** The site the matrix is about, another site, and one Cairn does not track. */
const A = uniqueSite('admin-a')
const B = uniqueSite('admin-b')
const UNTRACKED = uniqueSite('untracked')

const ROOT = 'root@example.com' // admin of every site
const SITE_ADMIN = 'site-admin@example.com' // admin of A
const VIEWER = 'viewer@example.com' // viewer of A
const OTHER_ADMIN = 'other-admin@example.com' // admin of B
const VICTIM = 'victim@example.com' // viewer of A, the target of the users routes in the matrix

let server: TestServer
/** API keys of the callers in the matrix, a shared link of A, and what the matrix's routes aim at. */
let keys: Record<string, string> = {}
let share = ''
let victimKeyPrefix = ''
let victimSharePrefix = ''
let rootCookie = ''
const backupDir = tempDataDir()

beforeAll(async () => {
  server = await TestServer.start({ sites: [A, B] })
  const access = server.server.collector.access
  keys = await addPeopleWithKeys(access, [[ROOT, 'admin', '*'], [SITE_ADMIN, 'admin', A], [VIEWER, 'viewer', A], [OTHER_ADMIN, 'admin', B]], 'matrix')
  await addUser(access, VICTIM, passwordOf(VICTIM), 'viewer', A)
  share = (await access.createShare(A, ROOT)).secret
  victimKeyPrefix = prefixOfKey(await access.createApiKey(VICTIM, 'victim'))
  victimSharePrefix = (await access.createShare(A, ROOT)).prefix
  rootCookie = await login(ROOT, passwordOf(ROOT))
})
afterAll(() => server?.stop())

// ---------------------------------------------------------------------------------------------------
// Helpers

const { call, login, loginResponse } = adminApi(() => server)
const prefixOfKey = (key: string) => prefixOf(key, 'key')

/** Whether a login cookie still works. */
const me = async (cookie: string) => (await call('GET', '/api/auth/me', { headers: { cookie } })).status

/**
 * What the admin state is: the newest version of every versioned table (any change is a new version)
 * and the counts of the others. Compared before and after refused requests: nothing changed.
 */
async function fingerprint(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const table of ['users', 'memberships', 'login_sessions', 'api_keys', 'shared_links', 'user_settings', 'sites', 'second_factors']) {
    out[table] = (await server.rows<{ v: string }>(`SELECT toString(max(version)) AS v FROM cairn.${table}`))[0]!.v
  }
  for (const table of ['privacy_requests', 'restrictions FINAL', 'events']) {
    out[table] = (await server.rows<{ n: string }>(`SELECT toString(count()) AS n FROM cairn.${table}`))[0]!.n
  }
  return out
}

/**
 * Events of a site (or of one visitor) and its visits in the rollup, once the queued events are written.
 * Visits are counted by id: a background merge folds a visit's partial rows into one at any moment.
 */
async function counts(where: { site?: string; visitorId?: string }): Promise<{ events: number; sessions_data: number }> {
  await server.flush()
  const condition = where.site ? 'site = {site:String}' : 'visitor_id = {v:UInt64}'
  const result = { events: 0, sessions_data: 0 }
  for (const [table, counted] of [['events', 'count()'], ['sessions_data', 'uniqExact(session_id)']] as const) {
    const [row] = await server.rows<{ n: string }>(`SELECT ${counted} AS n FROM cairn.${table} WHERE ${condition}`, { site: where.site, v: where.visitorId })
    result[table] = Number(row!.n)
  }
  return result
}

/** A request on the server's Unix socket, as the `cairn` commands send it: the operator. */
function viaSocket(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const text = body === undefined ? '' : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: join(server.dataDir, 'cairn.sock'), path, method, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
      (res) => {
        let out = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (out += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: out }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(text)
  })
}

const totp = (secret: string, at = Date.now()) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at })

// ---------------------------------------------------------------------------------------------------
// 1. The security matrix, from one table of every admin route

/** Who may call a route (docs/admin-api.md): any credential, a person, the site's admin, an admin of every site, the operator only. */
type Who = 'any' | 'user' | 'siteAdmin' | 'every' | 'operator'

interface Route {
  method: string
  /** The path, for a site when the route is a site's. */
  path: (site: string) => string
  who: Who
  /** A body that would succeed for the right caller: a refusal is then the check's doing, not the body's. */
  body?: () => unknown
  /** Whether the route names a site (then an untracked site answers 404). */
  site?: boolean
  /** The path as shown in the test's name, when it holds what is known only at run time. */
  name?: string
}

const ROUTES: Route[] = [
  { method: 'GET', path: () => '/api/sites', who: 'any' },
  { method: 'POST', path: () => '/api/sites', who: 'every', body: () => ({ site: uniqueSite('never'), timezone: 'UTC' }) },
  { method: 'PATCH', path: (s) => `/api/sites/${s}`, who: 'siteAdmin', site: true, body: () => ({ timezone: 'Asia/Tokyo', exclude_paths: ['/**'] }) },
  { method: 'DELETE', path: (s) => `/api/sites/${s}`, who: 'every', site: true, body: () => ({ confirm: A, erase: true }) },
  { method: 'GET', path: (s) => `/api/sites/${s}/status`, who: 'siteAdmin', site: true },
  { method: 'GET', path: (s) => `/api/sites/${s}/export`, who: 'siteAdmin', site: true },
  { method: 'GET', path: (s) => `/api/sites/${s}/people`, who: 'siteAdmin', site: true },
  { method: 'POST', path: (s) => `/api/sites/${s}/people`, who: 'siteAdmin', site: true, body: () => ({ email: 'intruder@example.com', role: 'admin', password: 'intruder password' }) },
  { method: 'PATCH', path: (s) => `/api/sites/${s}/people/${VIEWER}`, who: 'siteAdmin', site: true, body: () => ({ role: 'admin' }) },
  { method: 'DELETE', path: (s) => `/api/sites/${s}/people/${VIEWER}`, who: 'siteAdmin', site: true },
  { method: 'GET', path: () => '/api/users', who: 'every' },
  // Not in the doc's table, but served (`cairn users add`): guarded the same way.
  { method: 'POST', path: () => '/api/users', who: 'every', body: () => ({ email: 'intruder@example.com', role: 'admin', site: '*', password: 'intruder password' }) },
  { method: 'DELETE', path: () => `/api/users/${VICTIM}`, who: 'every' },
  { method: 'POST', path: () => `/api/users/${VICTIM}/password`, who: 'every', body: () => ({ password: 'intruder password' }) },
  { method: 'POST', path: () => '/api/auth/password', who: 'user', body: () => ({ current: passwordOf(ROOT), password: 'a brand new password' }) },
  { method: 'POST', path: () => '/api/auth/second-factor', who: 'user' },
  { method: 'POST', path: () => '/api/auth/second-factor/confirm', who: 'user', body: () => ({ code: '123456' }) },
  { method: 'DELETE', path: () => '/api/auth/second-factor', who: 'user', body: () => ({ password: passwordOf(ROOT) }) },
  { method: 'GET', path: () => '/api/keys', who: 'user' },
  { method: 'GET', path: () => '/api/keys?all=1', who: 'every' },
  { method: 'POST', path: () => '/api/keys', who: 'user', body: () => ({ name: 'intruder', email: VICTIM }) },
  { method: 'DELETE', path: () => `/api/keys/${victimKeyPrefix}`, who: 'user', name: '/api/keys/{prefix}' },
  { method: 'GET', path: (s) => `/api/sites/${s}/shares`, who: 'siteAdmin', site: true },
  { method: 'POST', path: (s) => `/api/sites/${s}/shares`, who: 'siteAdmin', site: true },
  { method: 'DELETE', path: (s) => `/api/sites/${s}/shares/${victimSharePrefix}`, who: 'siteAdmin', site: true, name: '/api/sites/{site}/shares/{prefix}' },
  { method: 'GET', path: (s) => `/api/sites/${s}/privacy`, who: 'siteAdmin', site: true },
  { method: 'POST', path: (s) => `/api/sites/${s}/privacy`, who: 'siteAdmin', site: true, body: () => ({ action: 'restrict', visitor_id: '4242' }) },
  // Imports (collector/host/routes/imports.ts). Job 1 is made up: rights are checked before a job is looked up.
  // The upload is bytes (application/octet-stream, which (e) does not send): any other type is refused as for JSON.
  { method: 'GET', path: (s) => `/api/sites/${s}/imports`, who: 'siteAdmin', site: true },
  { method: 'POST', path: (s) => `/api/sites/${s}/imports`, who: 'siteAdmin', site: true, body: () => ({ kind: 'ga4' }) },
  { method: 'PUT', path: (s) => `/api/sites/${s}/imports/1/files?name=events_20260101.json`, who: 'siteAdmin', site: true, body: () => '{"event_name":"page_view"}\n' },
  { method: 'POST', path: (s) => `/api/sites/${s}/imports/1/publish`, who: 'siteAdmin', site: true, body: () => ({}) },
  { method: 'DELETE', path: (s) => `/api/sites/${s}/imports/1`, who: 'siteAdmin', site: true },
  { method: 'POST', path: (s) => `/api/sites/${s}/demo`, who: 'operator', site: true, body: () => ({ events: 10, days: 1 }) },
  { method: 'POST', path: () => '/api/backup', who: 'operator', body: () => ({ to: backupDir }) },
]

const label = (r: Route) => `${r.method} ${r.name ?? r.path('{site}')}`
const changesState = (r: Route) => r.method !== 'GET'
const send = (r: Route, headers: Record<string, string>, extra: Call = {}, site = A) => call(r.method, r.path(site), { headers, body: r.body?.(), ...extra })

/** The callers each kind of route refuses with 403 (a shared link of A; an admin of B; A's viewer and admin). */
const CALLERS = {
  share: () => ({ 'x-cairn-share': share }),
  viewer: () => bearer(keys[VIEWER]!),
  otherSiteAdmin: () => bearer(keys[OTHER_ADMIN]!),
  siteAdmin: () => bearer(keys[SITE_ADMIN]!),
  everySiteAdmin: () => bearer(keys[ROOT]!),
}
const REFUSED: Record<Who, (keyof typeof CALLERS)[]> = {
  any: [],
  user: ['share'],
  siteAdmin: ['share', 'viewer', 'otherSiteAdmin'],
  every: ['share', 'viewer', 'otherSiteAdmin', 'siteAdmin'],
  operator: ['share', 'viewer', 'otherSiteAdmin', 'siteAdmin', 'everySiteAdmin'],
}

describe('security matrix', () => {
  let before: Record<string, string>
  beforeAll(async () => {
    before = await fingerprint()
  })

  describe('(a) without credentials: 401', () => {
    it.each(ROUTES.filter((r) => r.who !== 'operator').map((r) => [label(r), r] as const))('%s', async (_, route) => {
      await expectRefusal(await send(route, {}), 401)
    })

    // No credential sent over HTTP can ever reach them: 403 for everyone, anonymous callers included.
    it.each(ROUTES.filter((r) => r.who === 'operator').map((r) => [label(r), r] as const))('%s (operator only): 403', async (_, route) => {
      await expectRefusal(await send(route, {}), 403)
    })
  })

  describe('(b) with a made-up key, share token or login cookie: 401', () => {
    it.each(ROUTES.filter((r) => r.who !== 'operator').map((r) => [label(r), r] as const))('%s', async (_, route) => {
      await expectRefusal(await send(route, bearer('cairn_key_madeUpmadeUpmadeUpmadeUpmadeUp')), 401, 'key')
      await expectRefusal(await send(route, { 'x-cairn-share': 'cairn_share_madeUpmadeUpmadeUpmadeUp' }), 401, 'share')
      await expectRefusal(await send(route, { cookie: 'cairn_login=cairn_session_madeUpmadeUpmadeUp' }), 401, 'cookie')
    })
  })

  describe('(c) with credentials that lack the right: 403, and nothing of the site', () => {
    const cases = ROUTES.flatMap((r) => REFUSED[r.who].map((caller) => [label(r), caller, r] as const))
    it.each(cases)('%s as %s', async (_, caller, route) => {
      await expectRefusal(await send(route, CALLERS[caller]()), 403, caller)
    })

    it('lists, to each, only the sites they may read, and the rules only of those they administer', async () => {
      const sites = async (headers: Record<string, string>) => (await json<{ sites: { site: string }[] }>(await call('GET', '/api/sites', { headers }))).sites
      expect(await sites(CALLERS.viewer())).toEqual([{ site: A, timezone: 'UTC', admin: false }])
      expect(await sites(CALLERS.share())).toEqual([{ site: A, timezone: 'UTC', admin: false }])
      expect(await sites(CALLERS.otherSiteAdmin())).toEqual([{ site: B, timezone: 'UTC', admin: true, domains: [], exclude_paths: [], exclude_ranges: [] }])
      expect((await sites(CALLERS.everySiteAdmin())).map((s) => s.site)).toEqual(expect.arrayContaining([A, B]))
    })

    it('a viewer revoking someone else’s key learns nothing of it (404), and the key stays', async () => {
      await expectRefusal(await call('DELETE', `/api/keys/${victimKeyPrefix}`, { headers: CALLERS.viewer() }), 404)
      await expectRefusal(await call('DELETE', `/api/keys/${victimKeyPrefix}`, { headers: CALLERS.siteAdmin() }), 404)
      expect((await server.server.collector.access.apiKeys(VICTIM)).map((k) => k.prefix)).toEqual([victimKeyPrefix])
    })

    const siteRoutes = ROUTES.filter((r) => r.site && r.who !== 'operator')
    it.each(siteRoutes.map((r) => [label(r), r] as const))('%s for a site Cairn does not track: 404 when logged in, 401 without', async (_, route) => {
      const body = () => ({ ...(route.body?.() as object), confirm: UNTRACKED })
      for (const caller of ['everySiteAdmin', 'otherSiteAdmin', 'viewer'] as const) {
        await expectRefusal(await call(route.method, route.path(UNTRACKED), { headers: CALLERS[caller](), body: body() }), 404, caller)
      }
      await expectRefusal(await call(route.method, route.path(UNTRACKED), { body: body() }), 401)
    })
  })

  describe('(d) the right admin, from another origin: 403 and nothing changed', () => {
    const attacks: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }]
    it.each(ROUTES.filter(changesState).map((r) => [label(r), r] as const))('%s', async (_, route) => {
      for (const attack of attacks) {
        const body = await expectRefusal(await send(route, { cookie: rootCookie, ...attack }), 403, JSON.stringify(attack))
        expect(body.errors).toEqual({ origin: expect.any(String) })
      }
    })
  })

  describe('(e) a state change that is not JSON: 415', () => {
    it.each(ROUTES.filter((r) => changesState(r) && r.method !== 'DELETE').map((r) => [label(r), r] as const))('%s', async (_, route) => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', null]) {
        const response = await send(route, { cookie: rootCookie, origin: server.url }, { type })
        expect(await expectRefusal(response, 415, String(type))).toMatchObject({ errors: { 'content-type': expect.any(String) } })
      }
    })
  })

  it('after all these refusals nothing changed, and the admin is still logged in', async () => {
    expect(await fingerprint()).toEqual(before)
    expect(await me(rootCookie)).toBe(200)
    expect(server.server.collector.sites.has(A)).toBe(true)
  })

  it('the operator-only routes answer on the Unix socket', async () => {
    const demo = await viaSocket('POST', `/api/sites/${B}/demo`, { events: 20, days: 1, seed: 7 })
    expect(demo.status).toBe(200)
    const lines = demo.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.at(-1)).toHaveProperty('result')
    expect(lines.some((l) => 'error' in l)).toBe(false)
    expect((await viaSocket('POST', `/api/sites/${UNTRACKED}/demo`, { events: 1 })).status).toBe(404)
    expect((await viaSocket('POST', '/api/backup', { to: 'relative/dir' })).status).toBe(400)
  })
})

// ---------------------------------------------------------------------------------------------------
// 2. Sites

describe('sites', () => {
  const root = () => bearer(keys[ROOT]!)
  const post = (site: string, path = '/', headers: Record<string, string> = {}, host = site) => server.post({ n: 'pageview', u: `https://${host}${path}`, d: host }, headers)

  it('refuses bad fields, naming each of them at once, and adds nothing', async () => {
    const site = uniqueSite('bad')
    const response = await call('POST', '/api/sites', {
      headers: root(),
      body: { site, timezone: 'Mars/Olympus', domains: ['not a domain'], exclude_paths: ['admin/**'], exclude_ranges: ['203.0.113.0/25'] },
    })
    const body = await expectRefusal(response, 400)
    expect(Object.keys(body.errors as object).sort()).toEqual(['domains', 'exclude_paths', 'exclude_ranges', 'timezone'])
    expect((body.errors as Record<string, string>).exclude_ranges).toMatch(/\/24/)

    // Each other way a rule can be wrong.
    const bad = async (fields: Record<string, unknown>, field: string) => {
      const refused = await expectRefusal(await call('POST', '/api/sites', { headers: root(), body: { site, ...fields } }), 400, JSON.stringify(fields))
      expect(Object.keys(refused.errors as object), JSON.stringify(fields)).toEqual([field])
    }
    await bad({ exclude_ranges: ['2001:db8:1234:5600::/56'] }, 'exclude_ranges') // narrower than the IPv6 /48
    await bad({ exclude_ranges: ['not-a-range'] }, 'exclude_ranges')
    await bad({ exclude_ranges: '203.0.113.0/24' }, 'exclude_ranges') // not a list
    await bad({ domains: [site] }, 'domains') // its own domain
    await bad({ domains: [B] }, 'domains') // another site's
    await bad({ timezone: 42 }, 'timezone')
    await bad({ site: 'not a domain' }, 'site')
    expect(server.server.collector.sites.has(site)).toBe(false)
    expect(await fingerprintOfSite(site)).toBe(0)
  })

  it('names a bad site name and a bad field together', async () => {
    // dashboard/server/admin/sites.ts, POST /api/sites: the `site` check throws before fields() runs.
    const body = await expectRefusal(await call('POST', '/api/sites', { headers: root(), body: { site: 'not a domain', timezone: 'Mars/Olympus' } }), 400)
    expect(Object.keys(body.errors as object).sort()).toEqual(['site', 'timezone'])
  })

  const S = uniqueSite('new')
  const EXTRA = uniqueSite('extra')

  it('adds a site whose events count at once, its extra domain’s too, its excluded paths not', async () => {
    const created = await call('POST', '/api/sites', {
      headers: root(),
      body: { site: `www.${S.toUpperCase()}`, timezone: 'Europe/Paris', domains: [EXTRA], exclude_paths: ['/admin/**'], exclude_ranges: [] },
    })
    expect(created.status).toBe(201)
    expect(await created.json()).toEqual({ site: S, timezone: 'Europe/Paris', admin: true, domains: [EXTRA], exclude_paths: ['/admin/**'], exclude_ranges: [] })
    await expectRefusal(await call('POST', '/api/sites', { headers: root(), body: { site: S } }), 409)
    await expectRefusal(await call('POST', '/api/sites', { headers: root(), body: { site: EXTRA } }), 409) // an extra domain is taken too

    expect((await post(S, '/pricing')).status).toBe(202)
    expect((await post(S, '/on-extra', {}, EXTRA)).status).toBe(202)
    const excludedBefore = server.server.collector.counters.dropped.get('excluded') ?? 0
    const excluded = await post(S, '/admin/users/7')
    expect(excluded.status).toBe(202)
    expect(excluded.headers.get('x-cairn-dropped')).toBe('excluded')
    expect(server.server.collector.counters.dropped.get('excluded')).toBe(excludedBefore + 1)
    await server.flush()
    const rows = await server.rows<{ site: string; hostname: string; pathname: string }>('SELECT site, hostname, pathname FROM cairn.events WHERE site IN ({s:String}, {e:String}) ORDER BY pathname', { s: S, e: EXTRA })
    expect(rows).toEqual([
      { site: S, hostname: EXTRA, pathname: '/on-extra' },
      { site: S, hostname: S, pathname: '/pricing' },
    ])
    const status = await json(await call('GET', `/api/sites/${S}/status`, { headers: root() }))
    expect(status).toEqual({ last_event_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), events_24h: 2 })
  })

  it('its admin edits it (an excluded range then drops this client’s events); a viewer cannot', async () => {
    const access = server.server.collector.access
    await addUser(access, 'new-admin@example.com', 'new admin password', 'admin', S)
    await addUser(access, 'new-viewer@example.com', 'new viewer password', 'viewer', S)
    const admin = bearer(await access.createApiKey('new-admin@example.com', 'x'))
    const viewer = bearer(await access.createApiKey('new-viewer@example.com', 'x'))

    await expectRefusal(await call('PATCH', `/api/sites/${S}`, { headers: viewer, body: { exclude_ranges: ['127.0.0.0/24'] } }), 403)
    await expectRefusal(await call('PATCH', `/api/sites/${S}`, { headers: admin, body: { exclude_ranges: ['127.0.0.0/25'] } }), 400)
    const patched = await call('PATCH', `/api/sites/${S}`, { headers: admin, body: { exclude_ranges: ['127.0.0.0/24'] } })
    expect(patched.status).toBe(200)
    expect(await patched.json()).toEqual({ site: S, timezone: 'Europe/Paris', admin: true, domains: [EXTRA], exclude_paths: ['/admin/**'], exclude_ranges: ['127.0.0.0/24'] })
    // Only what was sent changed; the viewer sees the site without its rules.
    expect((await json<{ sites: unknown[] }>(await call('GET', '/api/sites', { headers: viewer }))).sites).toEqual([{ site: S, timezone: 'Europe/Paris', admin: false }])

    // Requests of this test come from 127.0.0.1, kept as 127.0.0.0: in the range.
    const dropped = await post(S, '/pricing')
    expect(dropped.status).toBe(202)
    expect(dropped.headers.get('x-cairn-dropped')).toBe('excluded')
    expect((await counts({ site: S })).events).toBe(2)

    // Taken away again: counted again at once.
    expect((await call('PATCH', `/api/sites/${S}`, { headers: admin, body: { exclude_ranges: [] } })).status).toBe(200)
    expect((await post(S, '/pricing')).headers.get('x-cairn-dropped')).toBeNull()
    expect((await counts({ site: S })).events).toBe(3)
  })

  it('removes a site only with the typed confirmation; ingest stops at once; the rows stay without erase', async () => {
    const keep = uniqueSite('keep')
    expect((await call('POST', '/api/sites', { headers: root(), body: { site: keep } })).status).toBe(201)
    expect((await post(keep, '/a')).status).toBe(202)
    expect((await post(keep, '/b')).status).toBe(202)
    const stored = await counts({ site: keep })
    expect(stored.events).toBe(2)
    expect(stored.sessions_data).toBeGreaterThan(0)

    const missing = await expectRefusal(await call('DELETE', `/api/sites/${keep}`, { headers: root() }), 400)
    expect(Object.keys(missing.errors as object)).toEqual(['confirm'])
    await expectRefusal(await call('DELETE', `/api/sites/${keep}`, { headers: root(), body: { confirm: `www.${keep}` } }), 400)
    await expectRefusal(await call('DELETE', `/api/sites/${keep}`, { headers: root(), body: { confirm: keep, erase: 'yes' } }), 400)
    expect((await post(keep, '/still')).status).toBe(202)

    const removed = await call('DELETE', `/api/sites/${keep}`, { headers: root(), body: { confirm: keep } })
    expect(removed.status).toBe(200)
    expect(await removed.json()).toEqual({ removed: keep, erased: false })
    expect((await post(keep, '/after')).status).toBe(403)
    expect((await counts({ site: keep })).events).toBe(3)
    await expectRefusal(await call('GET', `/api/sites/${keep}/status`, { headers: root() }), 404)

    // Added again, it shows them.
    expect((await call('POST', '/api/sites', { headers: root(), body: { site: keep } })).status).toBe(201)
    expect(await json(await call('GET', `/api/sites/${keep}/status`, { headers: root() }))).toMatchObject({ events_24h: 3 })
  })

  it('with erase, the site’s events and visits are deleted', async () => {
    const gone = uniqueSite('gone')
    expect((await call('POST', '/api/sites', { headers: root(), body: { site: gone } })).status).toBe(201)
    for (const path of ['/a', '/b', '/c']) expect((await post(gone, path)).status).toBe(202)
    expect((await counts({ site: gone })).events).toBe(3)
    const others = await counts({ site: S })

    const removed = await call('DELETE', `/api/sites/${gone}`, { headers: root(), body: { confirm: gone, erase: true } })
    expect(await removed.json()).toEqual({ removed: gone, erased: true })
    expect((await post(gone, '/after')).status).toBe(403)
    expect(await counts({ site: gone })).toEqual({ events: 0, sessions_data: 0 })
    expect(await counts({ site: S })).toEqual(others)
  })

  it('with erase, deletes the events accepted just before the removal too (still queued for ClickHouse then)', async () => {
    // The writer sends a batch every second: an event posted just before the removal is still queued when
    // the erasure starts, unless the route writes the queue first.
    for (let attempt = 0; attempt < 3; attempt++) {
      const site = uniqueSite('race')
      expect((await call('POST', '/api/sites', { headers: root(), body: { site } })).status).toBe(201)
      expect((await post(site, '/just-before')).status).toBe(202)
      const removed = await call('DELETE', `/api/sites/${site}`, { headers: root(), body: { confirm: site, erase: true } })
      expect(removed.status).toBe(200)
      await server.flush()
      expect(await counts({ site })).toEqual({ events: 0, sessions_data: 0 })
    }
  })

  /** Rows of `cairn.sites` ever written for a site. */
  async function fingerprintOfSite(site: string): Promise<number> {
    return Number((await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.sites WHERE site = {s:String}', { s: site }))[0]!.n)
  }
})

// ---------------------------------------------------------------------------------------------------
// 3. People

describe('people', () => {
  const siteAdmin = () => bearer(keys[SITE_ADMIN]!)
  const root = () => bearer(keys[ROOT]!)
  const NEW = 'new-person@example.com'

  it('a site admin adds a viewer, whose generated password is shown once and reads that site only', async () => {
    const added = await call('POST', `/api/sites/${A}/people`, { headers: siteAdmin(), body: { email: NEW, role: 'viewer' } })
    expect(added.status).toBe(201)
    const { password, ...rest } = await json<{ password: string }>(added)
    expect(password).toEqual(expect.any(String))
    expect(password.length).toBeGreaterThanOrEqual(10)
    expect(rest).toMatchObject({ email: NEW, role: 'viewer' })
    const cookie = await login(NEW, password)
    expect(cookie).not.toBe('')
    expect((await call('GET', `/api/stats/${A}/aggregate`, { headers: { cookie } })).status).toBe(200)
    await expectRefusal(await call('GET', `/api/stats/${B}/aggregate`, { headers: { cookie } }), 403)
    expect((await json<{ sites: { site: string }[] }>(await call('GET', '/api/sites', { headers: { cookie } }))).sites.map((s) => s.site)).toEqual([A])

    // An existing person gets the role, and no password: not shown again.
    const again = await call('POST', `/api/sites/${A}/people`, { headers: siteAdmin(), body: { email: NEW, role: 'viewer' } })
    expect(again.status).toBe(201)
    expect(await again.json()).not.toHaveProperty('password')
    const people = await json<{ people: { email: string; role: string; site: string; two_factor: boolean }[] }>(await call('GET', `/api/sites/${A}/people`, { headers: siteAdmin() }))
    expect(people.people).toEqual(expect.arrayContaining([
      { email: NEW, role: 'viewer', site: A, two_factor: false },
      { email: ROOT, role: 'admin', site: '*', two_factor: false },
    ]))
    expect(people.people.map((p) => p.email)).not.toContain(OTHER_ADMIN)
  })

  it('a site admin cannot give an existing person a password (409) nor change someone with a role on every site (403)', async () => {
    await expectRefusal(await call('POST', `/api/sites/${A}/people`, { headers: siteAdmin(), body: { email: NEW, role: 'viewer', password: 'a password I chose' } }), 409)
    expect(await login(NEW, 'a password I chose')).toBe('')
    await expectRefusal(await call('PATCH', `/api/sites/${A}/people/${ROOT}`, { headers: siteAdmin(), body: { role: 'viewer' } }), 403)
    await expectRefusal(await call('DELETE', `/api/sites/${A}/people/${ROOT}`, { headers: siteAdmin() }), 403)
    await expectRefusal(await call('PATCH', `/api/sites/${A}/people/nobody@example.org`, { headers: siteAdmin(), body: { role: 'viewer' } }), 404)
    await expectRefusal(await call('PATCH', `/api/sites/${A}/people/${NEW}`, { headers: siteAdmin(), body: { role: 'owner' } }), 400)
    expect(await me(rootCookie)).toBe(200)
  })

  it('a site admin cannot change the role of a person with a role on every site who also has one on the site', async () => {
    // dashboard/server/admin/people.ts, mayChange: the `*` role is checked only when the person has no
    // role on the site; with one, the site admin changes it (and ends the logins of an admin of every site).
    const access = server.server.collector.access
    await addUser(access, 'both@example.com', 'both password 1', 'admin', '*')
    await addUser(access, 'both@example.com', undefined, 'viewer', A)
    const cookie = await login('both@example.com', 'both password 1')
    await expectRefusal(await call('PATCH', `/api/sites/${A}/people/both@example.com`, { headers: siteAdmin(), body: { role: 'admin' } }), 403)
    expect(await me(cookie)).toBe(200)
  })

  it('a site admin cannot give a role to a person with a role on every site (it ends their logins)', async () => {
    // dashboard/server/admin/people.ts, POST /api/sites/:site/people: no mayChange-like check; addUser →
    // access.setRole ends every login of that admin of every site, as often as the site admin likes.
    await addUser(server.server.collector.access, 'star@example.com', 'star password 1', 'admin', '*')
    const cookie = await login('star@example.com', 'star password 1')
    await expectRefusal(await call('POST', `/api/sites/${A}/people`, { headers: siteAdmin(), body: { email: 'star@example.com', role: 'viewer' } }), 403)
    expect(await me(cookie)).toBe(200)
  })

  it('a change of role ends the person’s logins; so does taking the role away', async () => {
    const password = 'role change password'
    await addUser(server.server.collector.access, 'changed@example.com', password, 'viewer', A)
    const first = await login('changed@example.com', password)
    expect(await me(first)).toBe(200)
    const changed = await call('PATCH', `/api/sites/${A}/people/changed@example.com`, { headers: siteAdmin(), body: { role: 'admin' } })
    expect(changed.status).toBe(200)
    expect(await me(first)).toBe(401)

    const second = await login('changed@example.com', password)
    expect((await call('GET', `/api/sites/${A}/status`, { headers: { cookie: second } })).status).toBe(200) // now an admin
    expect((await call('DELETE', `/api/sites/${A}/people/changed@example.com`, { headers: siteAdmin() })).status).toBe(204)
    expect(await me(second)).toBe(401)
    const third = await login('changed@example.com', password)
    await expectRefusal(await call('GET', `/api/stats/${A}/aggregate`, { headers: { cookie: third } }), 403)
  })

  it('a reset by an admin of every site: the old password fails, the new works, logins and keys end', async () => {
    const email = 'reset@example.com'
    await addUser(server.server.collector.access, email, 'old password 12', 'viewer', A)
    const cookie = await login(email, 'old password 12')
    const key = await server.server.collector.access.createApiKey(email, 'x')
    expect((await call('GET', `/api/stats/${A}/aggregate`, { headers: bearer(key) })).status).toBe(200)

    await expectRefusal(await call('POST', `/api/users/${email}/password`, { headers: siteAdmin(), body: {} }), 403)
    await expectRefusal(await call('POST', `/api/users/${email}/password`, { headers: root(), body: { password: 'short' } }), 400)
    await expectRefusal(await call('POST', '/api/users/nobody@example.org/password', { headers: root(), body: {} }), 404)
    const reset = await call('POST', `/api/users/${email}/password`, { headers: root(), body: {} })
    expect(reset.status).toBe(200)
    const { password } = await json<{ password: string }>(reset)
    expect(password.length).toBeGreaterThanOrEqual(10)

    expect(await login(email, 'old password 12')).toBe('')
    expect(await login(email, password)).not.toBe('')
    expect(await me(cookie)).toBe(401)
    await expectRefusal(await call('GET', `/api/stats/${A}/aggregate`, { headers: bearer(key) }), 401)
  })

  it('an admin of every site removes a person (not themselves): their logins and keys end', async () => {
    const email = 'removed@example.com'
    await addUser(server.server.collector.access, email, 'removed password', 'viewer', A)
    const cookie = await login(email, 'removed password')
    const key = await server.server.collector.access.createApiKey(email, 'x')
    await expectRefusal(await call('DELETE', `/api/users/${ROOT}`, { headers: root() }), 409)
    expect((await call('DELETE', `/api/users/${email}`, { headers: root() })).status).toBe(204)
    expect(await me(cookie)).toBe(401)
    await expectRefusal(await call('GET', '/api/auth/me', { headers: bearer(key) }), 401)
    expect(await login(email, 'removed password')).toBe('')
    const users = await json<{ users: { email: string }[] }>(await call('GET', '/api/users', { headers: root() }))
    expect(users.users.map((u) => u.email)).not.toContain(email)
    await expectRefusal(await call('DELETE', `/api/users/${email}`, { headers: root() }), 404)
  })
})

// ---------------------------------------------------------------------------------------------------
// 4. Own password

describe('own password', () => {
  const email = 'own@example.com'
  it('needs the current one; then this browser gets a new login and every other login and key ends', async () => {
    await addUser(server.server.collector.access, email, 'own password 1', 'viewer', A)
    const cookie = await login(email, 'own password 1')
    const elsewhere = await login(email, 'own password 1')
    const key = await server.server.collector.access.createApiKey(email, 'x')

    const wrong = await expectRefusal(await call('POST', '/api/auth/password', { headers: { cookie }, body: { current: 'not it at all', password: 'own password 2' } }), 400)
    expect(Object.keys(wrong.errors as object)).toEqual(['current'])
    const short = await expectRefusal(await call('POST', '/api/auth/password', { headers: { cookie }, body: { current: 'own password 1', password: 'short' } }), 400)
    expect(Object.keys(short.errors as object)).toEqual(['password'])
    expect(await me(cookie)).toBe(200)

    const changed = await call('POST', '/api/auth/password', { headers: { cookie }, body: { current: 'own password 1', password: 'own password 2' } })
    expect(changed.status).toBe(204)
    const renewed = setCookies(changed).find((c) => c.startsWith('cairn_login='))!.split(';')[0]!
    expect(renewed).not.toBe(cookie)
    expect(await me(renewed)).toBe(200)
    expect(await me(cookie)).toBe(401)
    expect(await me(elsewhere)).toBe(401)
    await expectRefusal(await call('GET', '/api/auth/me', { headers: bearer(key) }), 401)
    expect(await login(email, 'own password 1')).toBe('')
    expect(await login(email, 'own password 2')).not.toBe('')
  })
})

// ---------------------------------------------------------------------------------------------------
// 5. Second factor

describe('second factor', () => {
  const email = 'two-factor@example.com'
  const password = 'two factor password'
  let cookie = ''
  let secret = ''
  let recovery: string[] = []

  it('is enrolled with a code of the app, giving ten recovery codes once', async () => {
    await addUser(server.server.collector.access, email, password, 'viewer', A)
    cookie = await login(email, password)
    const begun = await call('POST', '/api/auth/second-factor', { headers: { cookie } })
    expect(begun.status).toBe(200)
    const started = await json<{ secret: string; uri: string; qr_svg: string }>(begun)
    secret = started.secret
    expect(started.uri).toMatch(/^otpauth:\/\/totp\//)
    expect(started.uri).toContain(`secret=${secret}`)
    expect(started.qr_svg).toMatch(/<svg/)

    const valid = new Set([-30_000, 0, 30_000, 60_000].map((d) => totp(secret, Date.now() + d)))
    const wrongCode = String((Number(totp(secret)) + 1) % 1_000_000).padStart(6, '0')
    if (!valid.has(wrongCode)) {
      const wrong = await expectRefusal(await call('POST', '/api/auth/second-factor/confirm', { headers: { cookie }, body: { code: wrongCode } }), 400)
      expect(Object.keys(wrong.errors as object)).toEqual(['code'])
    }
    const confirmed = await call('POST', '/api/auth/second-factor/confirm', { headers: { cookie }, body: { code: totp(secret) } })
    expect(confirmed.status).toBe(200)
    recovery = (await json<{ recovery_codes: string[] }>(confirmed)).recovery_codes
    expect(recovery).toHaveLength(10)
    expect(new Set(recovery).size).toBe(10)
    expect(await json(await call('GET', '/api/auth/me', { headers: { cookie } }))).toMatchObject({ two_factor: true })
    const stored = await server.rows<{ h: string[] }>('SELECT recovery_hashes AS h FROM cairn.second_factors FINAL WHERE email = {e:String}', { e: email })
    expect(JSON.stringify(stored)).not.toContain(recovery[0]!.replace(/-/g, '')) // kept hashed
  })

  it('is then asked at login: without it 401 {second_factor}, wrong 401, right 200, the same code again 401', async () => {
    const without = await loginResponse(email, password)
    expect(without.status).toBe(401)
    expect(await without.json()).toMatchObject({ second_factor: true, error: expect.any(String) })
    expect(setCookies(without)).toEqual([])

    const next = totp(secret, Date.now() + 30_000) // the next step's code: the one used at enrolment is spent
    const valid = new Set([-30_000, 0, 30_000, 60_000].map((d) => totp(secret, Date.now() + d)))
    const wrongCode = ['000000', '123456', '999999', '314159'].find((c) => !valid.has(c))!
    const wrong = await loginResponse(email, password, wrongCode)
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toMatchObject({ second_factor: true })
    expect((await loginResponse(email, 'not the password', next)).status).toBe(401) // the code does not stand for the password

    const right = await loginResponse(email, password, next)
    expect(right.status).toBe(200)
    expect(setCookies(right)[0]).toMatch(/^cairn_login=/)
    const replay = await loginResponse(email, password, next)
    expect(replay.status).toBe(401)
  })

  it('takes a recovery code once', async () => {
    expect((await loginResponse(email, password, recovery[3]!)).status).toBe(200)
    expect((await loginResponse(email, password, recovery[3]!)).status).toBe(401)
    expect((await loginResponse(email, password, recovery[4]!.toUpperCase().replace(/-/g, ' '))).status).toBe(200)
  })

  it('is turned off with the password only', async () => {
    const wrong = await expectRefusal(await call('DELETE', '/api/auth/second-factor', { headers: { cookie }, body: { password: 'not the password' } }), 400)
    expect(Object.keys(wrong.errors as object)).toEqual(['password'])
    expect((await loginResponse(email, password)).status).toBe(401)
    expect((await call('DELETE', '/api/auth/second-factor', { headers: { cookie }, body: { password } })).status).toBe(204)
    expect((await loginResponse(email, password)).status).toBe(200)
    expect(await json(await call('GET', '/api/auth/me', { headers: { cookie } }))).toMatchObject({ two_factor: false })
  })

  it('removing a person removes their second factor: a new account of that email has none', async () => {
    // dashboard/server/auth/access.ts removeUser (and DELETE /api/users/:email in admin/people.ts) leave
    // cairn.second_factors as it was: re-created, the person is asked for the old app's codes.
    const removed = 'removed-2fa@example.com'
    await addUser(server.server.collector.access, removed, 'removed 2fa password', 'viewer', A)
    const own = await login(removed, 'removed 2fa password')
    const { secret: theirs } = await json<{ secret: string }>(await call('POST', '/api/auth/second-factor', { headers: { cookie: own } }))
    expect((await call('POST', '/api/auth/second-factor/confirm', { headers: { cookie: own }, body: { code: totp(theirs) } })).status).toBe(200)
    const root = bearer(keys[ROOT]!)
    expect((await call('DELETE', `/api/users/${removed}`, { headers: root })).status).toBe(204)
    expect((await call('POST', `/api/sites/${A}/people`, { headers: root, body: { email: removed, role: 'viewer', password: 'a new person here' } })).status).toBe(201)
    const users = await json<{ users: { email: string; two_factor: boolean }[] }>(await call('GET', '/api/users', { headers: root }))
    expect(users.users.find((u) => u.email === removed)).toMatchObject({ two_factor: false })
    expect((await loginResponse(removed, 'a new person here')).status).toBe(200)
  })
})

// ---------------------------------------------------------------------------------------------------
// 6. API keys

describe('API keys', () => {
  const email = 'key-holder@example.com'
  let cookie = ''
  beforeAll(async () => {
    await addUser(server.server.collector.access, email, 'key holder password', 'viewer', A)
    cookie = await login(email, 'key holder password')
  })

  it('a person makes their own key, shown once, and nobody else’s; lists and revokes only theirs', async () => {
    const created = await call('POST', '/api/keys', { headers: { cookie }, body: { name: 'weekly report' } })
    expect(created.status).toBe(201)
    const { key, prefix } = await json<{ key: string; prefix: string }>(created)
    expect(key.startsWith(prefix)).toBe(true)
    expect((await call('GET', `/api/stats/${A}/aggregate`, { headers: bearer(key) })).status).toBe(200)
    await expectRefusal(await call('GET', `/api/stats/${B}/aggregate`, { headers: bearer(key) }), 403)

    await expectRefusal(await call('POST', '/api/keys', { headers: { cookie }, body: { name: 'theirs', email: VIEWER } }), 403)
    await expectRefusal(await call('POST', '/api/keys', { headers: { cookie }, body: { name: '' } }), 400)
    await expectRefusal(await call('GET', '/api/keys?all=1', { headers: { cookie } }), 403)
    const listed = await call('GET', '/api/keys', { headers: { cookie } })
    const text = await listed.text()
    expect(text).not.toContain(key)
    expect((JSON.parse(text) as { keys: { prefix: string; email: string; name: string }[] }).keys).toEqual([
      { prefix, email, name: 'weekly report', created_at: expect.any(String) },
    ])
    await expectRefusal(await call('DELETE', `/api/keys/${prefixOfKey(keys[ROOT]!)}`, { headers: { cookie } }), 404)
    expect((await call('GET', '/api/auth/me', { headers: bearer(keys[ROOT]!) })).status).toBe(200)

    expect((await call('DELETE', `/api/keys/${prefix}`, { headers: { cookie } })).status).toBe(204)
    await expectRefusal(await call('GET', '/api/auth/me', { headers: bearer(key) }), 401)
  })

  it('an admin of every site lists everyone’s, makes one for another person, and revokes anyone’s', async () => {
    const root = bearer(keys[ROOT]!)
    const made = await call('POST', '/api/keys', { headers: root, body: { name: 'for them', email } })
    expect(made.status).toBe(201)
    const { key, prefix } = await json<{ key: string; prefix: string }>(made)
    expect((await json(await call('GET', '/api/auth/me', { headers: bearer(key) })))).toMatchObject({ email })
    await expectRefusal(await call('POST', '/api/keys', { headers: root, body: { name: 'x', email: 'nobody@example.org' } }), 404)

    const all = await json<{ keys: { prefix: string; email: string }[] }>(await call('GET', '/api/keys?all=1', { headers: root }))
    expect(all.keys).toEqual(expect.arrayContaining([expect.objectContaining({ prefix, email }), expect.objectContaining({ email: VIEWER })]))
    const own = await json<{ keys: { email: string }[] }>(await call('GET', '/api/keys', { headers: root }))
    expect(new Set(own.keys.map((k) => k.email))).toEqual(new Set([ROOT]))

    expect((await call('DELETE', `/api/keys/${prefix}…`, { headers: root })).status).toBe(204)
    await expectRefusal(await call('GET', '/api/auth/me', { headers: bearer(key) }), 401)
  })
})

// ---------------------------------------------------------------------------------------------------
// 7. Data-subject requests

describe('privacy requests', () => {
  it('erase by the visitor’s cookie removes their rows; the log proves it by a hash, never the id', async () => {
    const first = await server.post(pageview(A, '/dsr-1', { c: true }))
    expect(first.status).toBe(202)
    const cookie = setCookies(first).find((c) => c.startsWith('cairn_id='))!.split(';')[0]!
    expect((await server.post(pageview(A, '/dsr-2', { c: true }), { cookie })).status).toBe(202)
    await server.flush()
    const [row] = await server.rows<{ v: string }>('SELECT toString(visitor_id) AS v FROM cairn.events WHERE site = {s:String} AND pathname = {p:String}', { s: A, p: '/dsr-1' })
    const visitorId = row!.v
    expect((await counts({ visitorId })).events).toBe(2)
    const value = cookie.slice('cairn_id='.length)
    const cookieId = value.split('.')[0]!

    const admin = bearer(keys[SITE_ADMIN]!)
    await expectRefusal(await call('POST', `/api/sites/${A}/privacy`, { headers: admin, body: { action: 'erase', cookie: 'not a cookie' } }), 400)
    await expectRefusal(await call('POST', `/api/sites/${A}/privacy`, { headers: bearer(keys[VIEWER]!), body: { action: 'erase', cookie: value } }), 403)
    const erased = await call('POST', `/api/sites/${A}/privacy`, { headers: admin, body: { action: 'erase', cookie: value } })
    expect(erased.status).toBe(200)
    expect(await erased.json()).toEqual({ erased: visitorId })
    expect(await counts({ visitorId })).toEqual({ events: 0, sessions_data: 0 })

    const log = await call('GET', `/api/sites/${A}/privacy`, { headers: admin })
    expect(log.status).toBe(200)
    const text = await log.text()
    const { requests } = JSON.parse(text) as { requests: { at: string; kind: string; subject: string; detail: string; by: string }[] }
    expect(requests[0]).toEqual({ at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), kind: 'erase', subject: subjectOf({ site: A, visitorId }), detail: expect.any(String), by: SITE_ADMIN })
    expect(requests[0]!.subject).toMatch(/^[0-9a-f]{64}$/)
    expect(text).not.toContain(visitorId)
    expect(text).not.toContain(cookieId)
    // Another site's admin sees no log of A.
    await expectRefusal(await call('GET', `/api/sites/${A}/privacy`, { headers: bearer(keys[OTHER_ADMIN]!) }), 403)
  })
})

// ---------------------------------------------------------------------------------------------------
// 8. Languages

describe('languages', () => {
  it('answers errors in French for Accept-Language: fr', async () => {
    const response = await call('POST', '/api/sites', { headers: { ...bearer(keys[ROOT]!), 'accept-language': 'fr-FR,fr;q=0.9' }, body: { site: uniqueSite('fr'), timezone: 'Mars/Olympus' } })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-language')).toBe('fr')
    // French typography: (narrow) no-break spaces before the colon and inside the guillemets.
    const body = await json<{ error: string; errors: Record<string, string> }>(response)
    expect(Object.keys(body.errors)).toEqual(['timezone'])
    expect(body.error).toMatch(/^non valide\s:\stimezone$/)
    expect(body.errors.timezone).toMatch(/^«\sMars\/Olympus\s» n’est pas un fuseau horaire IANA \(comme Europe\/Paris\)$/)
    const refused = await call('GET', '/api/users', { headers: { ...bearer(keys[VIEWER]!), 'accept-language': 'fr' } })
    expect(await refused.json()).toEqual({ error: 'cela demande d’administrer tous les sites' })
  })
})
