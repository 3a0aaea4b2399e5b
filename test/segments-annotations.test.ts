/**
 * Saved segments and annotations (docs/admin-api.md, "Segments and annotations") from the outside, on one
 * real server: who may do what (a matrix of every new route: 401, 403 from another origin, 415 without
 * JSON, 403 for the wrong caller, 404 for an untracked site), then what each route does, checked on the
 * tables; a segment's filters given to the stats API equal independent SQL on cairn.events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DESKTOP_CHROME, TestServer, pageview, uniqueSite } from './helpers/server.ts'
import { addPeopleWithKeys, adminApi, bearer, expectRefusal as expectApiRefusal, json, passwordOf, type Call } from './helpers/admin-api.ts'

/** The site everything is about, another site, a third one filled to the segment limit, and one Cairn does not track. */
const A = uniqueSite('seg-a')
const B = uniqueSite('seg-b')
const FULL = uniqueSite('seg-full')
const UNTRACKED = uniqueSite('untracked')

const SITE_ADMIN = 'seg-admin@example.com' // admin of A and FULL
const VIEWER = 'seg-viewer@example.com' // viewer of A
const VIEWER2 = 'seg-viewer2@example.com' // another viewer of A
const OTHER_ADMIN = 'seg-other@example.com' // admin of B

let server: TestServer
let keys: Record<string, string> = {}
let share = ''
let adminCookie = ''
/** A shared segment and an annotation of A, the targets of the matrix's PATCH and DELETE. */
let targetSegment = ''
let targetAnnotation = ''

beforeAll(async () => {
  server = await TestServer.start({ sites: [A, B, FULL] })
  const access = server.server.collector.access
  keys = await addPeopleWithKeys(access, [[SITE_ADMIN, 'admin', A], [VIEWER, 'viewer', A], [VIEWER2, 'viewer', A], [OTHER_ADMIN, 'admin', B]], 'test')
  await access.setRole(SITE_ADMIN, FULL, 'admin')
  share = (await access.createShare(A, SITE_ADMIN)).secret
  adminCookie = await login(SITE_ADMIN, passwordOf(SITE_ADMIN))
  expect(adminCookie, 'the site admin logged in').not.toBe('')
  targetSegment = (await json<{ id: string }>(await call('POST', `/api/sites/${A}/segments`, { headers: as(SITE_ADMIN), body: { name: 'Target', filters: { device: 'mobile' }, shared: true } }))).id
  targetAnnotation = (await json<{ id: string }>(await call('POST', `/api/sites/${A}/annotations`, { headers: as(SITE_ADMIN), body: { day: '2026-01-15', text: 'Target' } }))).id
})
afterAll(() => server?.stop())

// ---------------------------------------------------------------------------------------------------
// Helpers

const { call, login } = adminApi(() => server)
const as = (email: string) => bearer(keys[email]!)
const viaShare = () => ({ 'x-cairn-share': share })

/** A refusal, in the one error shape; a 404 too names no person: it must not tell whose a segment or annotation is. */
const expectRefusal = (response: Response, status: number, what = '') => expectApiRefusal(response, status, what, { namesNoOneOn: [401, 403, 404] })

interface Segment {
  id: string
  name: string
  filters: Record<string, string>
  shared: boolean
  owner?: string
  created_at: string
  editable: boolean
}
interface Annotation {
  id: string
  day: string
  text: string
  author?: string
  created_at: string
  editable: boolean
}

const segments = async (site: string, headers: Record<string, string>) => {
  const response = await call('GET', `/api/sites/${site}/segments`, { headers })
  expect(response.status, await response.clone().text()).toBe(200)
  return (await json<{ segments: Segment[] }>(response)).segments
}
const segmentIds = async (site: string, headers: Record<string, string>) => (await segments(site, headers)).map((s) => s.id)

const createSegment = async (headers: Record<string, string>, body: Record<string, unknown>, site = A): Promise<Segment> => {
  const response = await call('POST', `/api/sites/${site}/segments`, { headers, body })
  expect(response.status, await response.clone().text()).toBe(201)
  return json<Segment>(response)
}

const annotations = async (headers: Record<string, string>, query = '') => {
  const response = await call('GET', `/api/sites/${A}/annotations${query}`, { headers })
  expect(response.status, await response.clone().text()).toBe(200)
  return (await json<{ annotations: Annotation[] }>(response)).annotations
}

const createAnnotation = async (headers: Record<string, string>, body: Record<string, unknown>): Promise<Annotation> => {
  const response = await call('POST', `/api/sites/${A}/annotations`, { headers, body })
  expect(response.status, await response.clone().text()).toBe(201)
  return json<Annotation>(response)
}

/** The newest version written to the two tables: any change is a new version. */
const fingerprint = async () =>
  Promise.all(['segments', 'annotations'].map(async (t) => (await server.rows<{ v: string }>(`SELECT toString(max(version)) AS v FROM cairn.${t}`))[0]!.v))

// ---------------------------------------------------------------------------------------------------
// 1. Who may call what

interface Route {
  method: string
  path: (site: string) => string
  name: string
  body?: () => unknown
  /** Whether a shared link may call it (the reads). */
  share: boolean
}

const ROUTES: Route[] = [
  { method: 'GET', path: (s) => `/api/sites/${s}/segments`, name: '/api/sites/{site}/segments', share: true },
  { method: 'POST', path: (s) => `/api/sites/${s}/segments`, name: '/api/sites/{site}/segments', share: false, body: () => ({ name: 'Never', filters: { source: 'Google' } }) },
  { method: 'PATCH', path: (s) => `/api/sites/${s}/segments/${targetSegment}`, name: '/api/sites/{site}/segments/{id}', share: false, body: () => ({ name: 'Renamed' }) },
  { method: 'DELETE', path: (s) => `/api/sites/${s}/segments/${targetSegment}`, name: '/api/sites/{site}/segments/{id}', share: false },
  { method: 'GET', path: (s) => `/api/sites/${s}/annotations`, name: '/api/sites/{site}/annotations', share: true },
  { method: 'POST', path: (s) => `/api/sites/${s}/annotations`, name: '/api/sites/{site}/annotations', share: false, body: () => ({ day: '2026-01-01', text: 'Never' }) },
  { method: 'PATCH', path: (s) => `/api/sites/${s}/annotations/${targetAnnotation}`, name: '/api/sites/{site}/annotations/{id}', share: false, body: () => ({ text: 'Renamed' }) },
  { method: 'DELETE', path: (s) => `/api/sites/${s}/annotations/${targetAnnotation}`, name: '/api/sites/{site}/annotations/{id}', share: false },
]
const label = (r: Route) => `${r.method} ${r.name}`
const send = (r: Route, headers: Record<string, string>, extra: Call = {}, site = A) => call(r.method, r.path(site), { headers, body: r.body?.(), ...extra })

describe('who may call the routes', () => {
  let before: string[]
  beforeAll(async () => {
    before = await fingerprint()
  })

  it.each(ROUTES.map((r) => [label(r), r] as const))('%s without credentials, or with made-up ones: 401', async (_, route) => {
    await expectRefusal(await send(route, {}), 401)
    await expectRefusal(await send(route, { authorization: 'Bearer cairn_key_madeUpmadeUpmadeUpmadeUpmadeUp' }), 401, 'key')
    await expectRefusal(await send(route, { 'x-cairn-share': 'cairn_share_madeUpmadeUpmadeUpmadeUp' }), 401, 'share')
  })

  it.each(ROUTES.filter((r) => r.method !== 'GET').map((r) => [label(r), r] as const))('%s from another origin, as the site’s admin: 403', async (_, route) => {
    const attacks: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }]
    for (const attack of attacks) {
      const body = await expectRefusal(await send(route, { cookie: adminCookie, ...attack }), 403, JSON.stringify(attack))
      expect(body.errors).toEqual({ origin: expect.any(String) })
    }
  })

  it.each(ROUTES.filter((r) => r.method === 'POST' || r.method === 'PATCH').map((r) => [label(r), r] as const))('%s without JSON: 415', async (_, route) => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', null]) {
      const body = await expectRefusal(await send(route, { cookie: adminCookie, origin: server.url }, { type }), 415, String(type))
      expect(body.errors).toEqual({ 'content-type': expect.any(String) })
    }
  })

  it.each(ROUTES.map((r) => [label(r), r] as const))('%s by another site’s admin: 403; for an untracked site: 404', async (_, route) => {
    await expectRefusal(await send(route, as(OTHER_ADMIN)), 403)
    await expectRefusal(await send(route, as(SITE_ADMIN), {}, UNTRACKED), 404)
  })

  it.each(ROUTES.filter((r) => !r.share).map((r) => [label(r), r] as const))('%s through a shared link: 403', async (_, route) => {
    await expectRefusal(await send(route, viaShare()), 403)
  })

  it('after these refusals nothing changed', async () => {
    expect(await fingerprint()).toEqual(before)
  })

  it('another site’s admin cannot reach A’s segment or annotation through their own site: 404, nothing said of it', async () => {
    for (const route of ROUTES.filter((r) => r.method !== 'GET' && r.method !== 'POST')) {
      const body = await expectRefusal(await send(route, as(OTHER_ADMIN), {}, B), 404, label(route))
      expect(JSON.stringify(body)).not.toMatch(/Target/)
    }
    expect(await segments(B, as(OTHER_ADMIN))).toEqual([])
    const response = await call('GET', `/api/sites/${B}/annotations`, { headers: as(OTHER_ADMIN) })
    expect(await response.json()).toEqual({ annotations: [] })
    expect((await segments(A, as(SITE_ADMIN))).map((s) => s.name)).toContain('Target')
  })
})

// ---------------------------------------------------------------------------------------------------
// 2. Segments

describe('segments', () => {
  it('a viewer saves a personal one; nobody else sees or touches it, the site’s admin included', async () => {
    const created = await createSegment(as(VIEWER), { name: '  Google visitors  ', filters: { source: 'Google', device: 'desktop' } })
    expect(created).toEqual({
      id: expect.stringMatching(/^[\w-]{12}$/),
      name: 'Google visitors',
      filters: { source: 'Google', device: 'desktop' },
      shared: false,
      owner: VIEWER,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      editable: true,
    })
    expect(await segments(A, as(VIEWER))).toContainEqual(created)
    for (const [who, headers] of [['viewer2', as(VIEWER2)], ['admin', as(SITE_ADMIN)], ['share', viaShare()]] as const) {
      expect(await segmentIds(A, headers), who).not.toContain(created.id)
    }
    for (const headers of [as(VIEWER2), as(SITE_ADMIN)]) {
      await expectRefusal(await call('PATCH', `/api/sites/${A}/segments/${created.id}`, { headers, body: { name: 'Mine now' } }), 404)
      await expectRefusal(await call('DELETE', `/api/sites/${A}/segments/${created.id}`, { headers }), 404)
    }

    // Its owner changes it: only what was sent changes.
    const patched = await call('PATCH', `/api/sites/${A}/segments/${created.id}`, { headers: as(VIEWER), body: { filters: { source: 'Google' } } })
    expect(patched.status).toBe(200)
    expect(await patched.json()).toEqual({ ...created, filters: { source: 'Google' } })
    expect((await segments(A, as(VIEWER))).find((s) => s.id === created.id)).toEqual({ ...created, filters: { source: 'Google' } })

    // A viewer cannot share it, neither now nor when saving.
    const before = await fingerprint()
    await expectRefusal(await call('PATCH', `/api/sites/${A}/segments/${created.id}`, { headers: as(VIEWER), body: { shared: true } }), 403)
    await expectRefusal(await call('POST', `/api/sites/${A}/segments`, { headers: as(VIEWER), body: { name: 'For all', filters: { page: '/' }, shared: true } }), 403)
    expect(await fingerprint()).toEqual(before)

    // And deletes it.
    expect((await call('DELETE', `/api/sites/${A}/segments/${created.id}`, { headers: as(VIEWER) })).status).toBe(204)
    expect(await segmentIds(A, as(VIEWER))).not.toContain(created.id)
    await expectRefusal(await call('DELETE', `/api/sites/${A}/segments/${created.id}`, { headers: as(VIEWER) }), 404)
    const [row] = await server.rows<{ deleted: boolean }>('SELECT deleted FROM cairn.segments FINAL WHERE site = {s:String} AND id = {id:String}', { s: A, id: created.id })
    expect(row).toEqual({ deleted: true })
  })

  it('a site admin shares one: the site’s viewers and its shared link see it, read only; only admins change it', async () => {
    const shared = await createSegment(as(SITE_ADMIN), { name: 'Pricing from Google', filters: { source: 'Google', page: '/pricing' }, shared: true })
    expect(shared).toMatchObject({ shared: true, owner: SITE_ADMIN, editable: true })
    for (const viewer of [VIEWER, VIEWER2]) {
      expect((await segments(A, as(viewer))).find((s) => s.id === shared.id), viewer).toEqual({ ...shared, editable: false })
    }
    // A shared link reads it without learning who made it.
    const viaLink = (await segments(A, viaShare())).find((s) => s.id === shared.id)
    const { owner: _, ...withoutOwner } = shared
    expect(viaLink).toEqual({ ...withoutOwner, editable: false })

    await expectRefusal(await call('PATCH', `/api/sites/${A}/segments/${shared.id}`, { headers: as(VIEWER), body: { name: 'Hijacked' } }), 403)
    await expectRefusal(await call('DELETE', `/api/sites/${A}/segments/${shared.id}`, { headers: as(VIEWER) }), 403)
    expect(await segmentIds(A, as(VIEWER))).toContain(shared.id)

    const renamed = await call('PATCH', `/api/sites/${A}/segments/${shared.id}`, { headers: as(SITE_ADMIN), body: { name: 'Pricing (Google)' } })
    expect(await renamed.json()).toEqual({ ...shared, name: 'Pricing (Google)' })

    // Taken back to its owner: gone from the viewers' list.
    expect((await call('PATCH', `/api/sites/${A}/segments/${shared.id}`, { headers: as(SITE_ADMIN), body: { shared: false } })).status).toBe(200)
    expect(await segmentIds(A, as(VIEWER))).not.toContain(shared.id)
    expect(await segmentIds(A, as(SITE_ADMIN))).toContain(shared.id)
    expect((await call('DELETE', `/api/sites/${A}/segments/${shared.id}`, { headers: as(SITE_ADMIN) })).status).toBe(204)
    expect(await segmentIds(A, as(SITE_ADMIN))).not.toContain(shared.id)
  })

  it('refuses filters the stats API would refuse, naming each field, and saves nothing', async () => {
    const before = await fingerprint()
    const bad = async (body: Record<string, unknown>, fields: string[]) => {
      const refused = await expectRefusal(await call('POST', `/api/sites/${A}/segments`, { headers: as(VIEWER), body }), 400, JSON.stringify(body).slice(0, 80))
      expect(Object.keys(refused.errors as object).sort(), JSON.stringify(body).slice(0, 80)).toEqual(fields)
      return refused.errors as Record<string, string>
    }
    expect((await bad({ name: 'x', filters: { nope: 'x' } }, ['filters'])).filters).toMatch(/“nope” is not a filter.*source/)
    await bad({ name: 'x', filters: {} }, ['filters'])
    await bad({ name: 'x', filters: { source: 42 } }, ['filters'])
    await bad({ name: 'x', filters: 'source=Google' }, ['filters'])
    await bad({ name: 'x', filters: ['source'] }, ['filters'])
    await bad({ name: 'x' }, ['filters'])
    expect((await bad({ name: 'x', filters: { consent: 'maybe' } }, ['filters.consent']))['filters.consent']).toMatch(/true or false/)
    expect((await bad({ name: 'x', filters: { page: `/${'a'.repeat(2000)}` } }, ['filters.page']))['filters.page']).toMatch(/2,000 characters/)
    await bad({ name: '   ', filters: { source: 'Google' } }, ['name'])
    await bad({ name: 'n'.repeat(101), filters: { source: 'Google' } }, ['name'])
    await bad({ filters: { nope: 'x' }, shared: 'yes' }, ['filters', 'name', 'shared'])
    await bad({}, ['filters', 'name'])
    expect(await fingerprint()).toEqual(before)
    // The longest name and an empty value (a direct visit's source) are fine.
    const ok = await createSegment(as(VIEWER), { name: 'n'.repeat(100), filters: { source: '', consent: 'false' } })
    expect(ok.filters).toEqual({ source: '', consent: 'false' })
  })

  it(`keeps at most 200 segments a site: 409 after that`, async () => {
    // 199 written straight to the table, as if saved before; the 200th through the API.
    await server.storage.insert({
      table: 'cairn.segments',
      values: Array.from({ length: 199 }, (_, i) => ({ site: FULL, id: `seed${i}`, name: `Seed ${i}`, filters: { page: `/${i}` }, owner: SITE_ADMIN, shared: i % 2 === 0, version: 1 })),
      format: 'JSONEachRow',
    })
    const last = await createSegment(as(SITE_ADMIN), { name: 'The 200th', filters: { page: '/200' } }, FULL)
    const refused = await expectRefusal(await call('POST', `/api/sites/${FULL}/segments`, { headers: as(SITE_ADMIN), body: { name: 'One more', filters: { page: '/201' } } }), 409)
    expect(refused.error).toMatch(/200 segments/)
    expect((await segments(FULL, as(SITE_ADMIN))).length).toBe(200)
    // A site's limit is its own: A still takes new ones; one deleted makes room again.
    expect((await call('DELETE', `/api/sites/${FULL}/segments/${last.id}`, { headers: as(SITE_ADMIN) })).status).toBe(204)
    await createSegment(as(SITE_ADMIN), { name: 'One more', filters: { page: '/201' } }, FULL)
  })

  it('applied through the stats API, a segment’s filters give the numbers independent SQL gives for them', async () => {
    // Four visitors (told apart by their browsers, the same address): two from Google, one from Bing, one direct.
    const ua = (n: number) => DESKTOP_CHROME.replace('Chrome/131.0.0.0', `Chrome/${120 + n}.0.0.0`)
    const visit = async (n: number, referrer: string | undefined, paths: string[]) => {
      for (const path of paths) expect((await server.post(pageview(A, path, referrer ? { r: referrer } : {}), { 'user-agent': ua(n) })).status).toBe(202)
    }
    await visit(1, 'https://www.google.com/', ['/', '/pricing', '/docs'])
    await visit(2, 'https://www.google.com/', ['/'])
    await visit(3, 'https://www.bing.com/', ['/pricing', '/'])
    await visit(4, undefined, ['/pricing'])
    await server.flush()

    const google = await createSegment(as(SITE_ADMIN), { name: 'Google', filters: { source: 'Google' }, shared: true })
    const googlePricing = await createSegment(as(VIEWER), { name: 'Google on pricing', filters: { source: 'Google', page: '/pricing' } })
    const directDesktop = await createSegment(as(VIEWER), { name: 'Direct desktop', filters: { source: '', device: 'desktop' } })
    // Conditions written from the documented columns, not from the server's code: [on events, on visits].
    const conditions: Record<string, [string, string]> = {
      [google.id]: ["referrer_source = 'Google'", "referrer_source = 'Google'"],
      [googlePricing.id]: [
        "referrer_source = 'Google' AND pathname = '/pricing'",
        "referrer_source = 'Google' AND session_id IN (SELECT session_id FROM cairn.events WHERE site = {site:String} AND pathname = '/pricing')",
      ],
      [directDesktop.id]: ["referrer_source = '' AND device = 'desktop'", "referrer_source = '' AND device = 'desktop'"],
    }
    const expected: Record<string, { visitors: number; pageviews: number; visits: number }> = {
      [google.id]: { visitors: 2, pageviews: 4, visits: 2 },
      [googlePricing.id]: { visitors: 1, pageviews: 1, visits: 1 },
      [directDesktop.id]: { visitors: 1, pageviews: 1, visits: 1 },
    }

    // The viewer's list (their own and the shared one), each applied as the dashboard applies it.
    const listed = (await segments(A, as(VIEWER))).filter((s) => s.id in conditions)
    expect(listed.map((s) => s.name).sort()).toEqual(['Direct desktop', 'Google', 'Google on pricing'])
    for (const segment of listed) {
      const query = new URLSearchParams({ period: '7d', ...segment.filters })
      const response = await fetch(`${server.url}/api/stats/${A}/aggregate?${query}`, { headers: as(VIEWER) })
      expect(response.status, await response.clone().text()).toBe(200)
      const { range, results } = await json<{ range: { from: string; to: string }; results: Record<string, number> }>(response)
      const [onEvents, onVisits] = conditions[segment.id]!
      const params = { site: A, from: range.from, to: range.to }
      const [events] = await server.rows<Record<string, string>>(
        `SELECT uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews, countIf(name != 'pageview') AS events
         FROM cairn.events WHERE site = {site:String} AND name != 'engagement' AND toDate(timestamp, 'UTC') BETWEEN {from:Date} AND {to:Date} AND ${onEvents}`,
        params,
      )
      const [visits] = await server.rows<Record<string, string>>(
        `SELECT count() AS visits, round(avg(is_bounce) * 100) AS bounce_rate
         FROM cairn.sessions WHERE site = {site:String} AND toDate(start, 'UTC') BETWEEN {from:Date} AND {to:Date} AND ${onVisits}`,
        params,
      )
      const sql = Object.fromEntries(Object.entries({ ...events, ...visits }).map(([k, v]) => [k, Number(v)]))
      expect(results, segment.name).toMatchObject(sql)
      expect(sql, segment.name).toMatchObject(expected[segment.id]!)
    }
  })
})

// ---------------------------------------------------------------------------------------------------
// 3. Annotations

describe('annotations', () => {
  it('anyone with a role writes them; every reader of the site, its shared link included, lists them by range', async () => {
    const launch = await createAnnotation(as(VIEWER), { day: '2026-03-02', text: '  Campaign launched  ' })
    expect(launch).toEqual({
      id: expect.stringMatching(/^[\w-]{12}$/),
      day: '2026-03-02',
      text: 'Campaign launched',
      author: VIEWER,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      editable: true,
    })
    const outage = await createAnnotation(as(SITE_ADMIN), { day: '2026-03-31', text: 'Tracker outage' })
    const april = await createAnnotation(as(SITE_ADMIN), { day: '2026-04-01', text: 'New pricing' })
    await createAnnotation(as(VIEWER2), { day: '2026-02-28', text: 'Before' })

    const march = await annotations(as(VIEWER2), '?from=2026-03-01&to=2026-03-31')
    expect(march).toEqual([
      { ...launch, editable: false },
      { ...outage, editable: false },
    ])
    // The shared link sees the graph's notes, not who wrote them.
    const { author: _, ...anonymous } = april
    expect(await annotations(viaShare(), '?from=2026-04-01&to=2026-04-01')).toEqual([{ ...anonymous, editable: false }])
    // Without a range: all of them, by day.
    const days = (await annotations(as(SITE_ADMIN))).map((a) => a.day)
    expect(days).toEqual([...days].sort())
    expect(days).toEqual(expect.arrayContaining(['2026-02-28', '2026-03-02', '2026-03-31', '2026-04-01']))
    // The site's admin may change anyone's.
    expect((await annotations(as(SITE_ADMIN), '?from=2026-03-02&to=2026-03-02')).map((a) => a.editable)).toEqual([true])
  })

  it('its author or a site admin changes and deletes one; another viewer cannot', async () => {
    const note = await createAnnotation(as(VIEWER), { day: '2026-05-10', text: 'Newsletter' })
    const admins = await createAnnotation(as(SITE_ADMIN), { day: '2026-05-11', text: 'Admin’s note' })
    await expectRefusal(await call('PATCH', `/api/sites/${A}/annotations/${note.id}`, { headers: as(VIEWER2), body: { text: 'Spam' } }), 403)
    await expectRefusal(await call('DELETE', `/api/sites/${A}/annotations/${note.id}`, { headers: as(VIEWER2) }), 403)
    await expectRefusal(await call('DELETE', `/api/sites/${A}/annotations/${admins.id}`, { headers: as(VIEWER) }), 403)
    await expectRefusal(await call('PATCH', `/api/sites/${A}/annotations/nosuchid`, { headers: as(VIEWER), body: { text: 'x' } }), 404)

    const patched = await call('PATCH', `/api/sites/${A}/annotations/${note.id}`, { headers: as(VIEWER), body: { text: 'Newsletter sent', day: '2026-05-12' } })
    expect(patched.status).toBe(200)
    expect(await patched.json()).toEqual({ ...note, text: 'Newsletter sent', day: '2026-05-12' })
    expect((await annotations(as(VIEWER), '?from=2026-05-12&to=2026-05-12')).map((a) => a.text)).toEqual(['Newsletter sent'])
    expect(await annotations(as(VIEWER), '?from=2026-05-10&to=2026-05-10')).toEqual([])

    expect((await call('DELETE', `/api/sites/${A}/annotations/${note.id}`, { headers: as(SITE_ADMIN) })).status).toBe(204)
    expect((await call('DELETE', `/api/sites/${A}/annotations/${admins.id}`, { headers: as(SITE_ADMIN) })).status).toBe(204)
    expect(await annotations(as(VIEWER), '?from=2026-05-01&to=2026-05-31')).toEqual([])
    await expectRefusal(await call('DELETE', `/api/sites/${A}/annotations/${note.id}`, { headers: as(SITE_ADMIN) }), 404)
  })

  it('refuses bad days, texts and ranges, naming each field', async () => {
    const before = await fingerprint()
    const bad = async (body: Record<string, unknown>, fields: string[]) => {
      const refused = await expectRefusal(await call('POST', `/api/sites/${A}/annotations`, { headers: as(VIEWER), body }), 400, JSON.stringify(body).slice(0, 80))
      expect(Object.keys(refused.errors as object).sort()).toEqual(fields)
    }
    await bad({ day: '2026-02-30', text: 'x' }, ['day'])
    await bad({ day: '1999-12-31', text: 'x' }, ['day'])
    await bad({ day: 20260301, text: 'x' }, ['day'])
    await bad({ day: '2026-03-01', text: 'x'.repeat(501) }, ['text'])
    await bad({ day: '2026-03-01', text: ' ' }, ['text'])
    await bad({}, ['day', 'text'])
    await expectRefusal(await call('PATCH', `/api/sites/${A}/annotations/${targetAnnotation}`, { headers: as(SITE_ADMIN), body: { text: '' } }), 400)
    expect(await fingerprint()).toEqual(before)
    await createAnnotation(as(VIEWER), { day: '2026-03-01', text: 'é'.repeat(500) })

    const range = async (query: string, fields: string[]) => {
      const refused = await expectRefusal(await call('GET', `/api/sites/${A}/annotations${query}`, { headers: as(VIEWER) }), 400, query)
      expect(Object.keys(refused.errors as object).sort(), query).toEqual(fields)
    }
    await range('?from=2026-13-01', ['from'])
    await range('?from=yesterday&to=nope', ['from', 'to'])
    await range('?from=2026-03-31&to=2026-03-01', ['to'])
  })
})

// ---------------------------------------------------------------------------------------------------
// 4. Languages

describe('languages', () => {
  it('answers errors in French for Accept-Language: fr', async () => {
    const response = await call('POST', `/api/sites/${A}/segments`, { headers: { ...as(VIEWER), 'accept-language': 'fr-FR,fr;q=0.9' }, body: { name: 'x', filters: { pays: 'FR' } } })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-language')).toBe('fr')
    const body = await json<{ error: string; errors: Record<string, string> }>(response)
    expect(body.error).toMatch(/^non valide\s:\sfilters$/)
    expect(body.errors.filters).toMatch(/^«\spays\s» n’est pas un filtre de l’API de statistiques\s: utilisez source, .* ou consent$/)
    const refused = await call('POST', `/api/sites/${A}/segments`, { headers: { ...as(VIEWER), 'accept-language': 'fr' }, body: { name: 'x', filters: { page: '/' }, shared: true } })
    expect(await refused.json()).toEqual({ error: `seul un administrateur de ${A} peut partager un segment avec tous ceux qui lisent le site, ou modifier un segment partagé` })
  })
})
