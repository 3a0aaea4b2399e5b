/**
 * Goals and their conversions: defined through the admin API, counted by the stats API, and equal to a
 * recomputation in JavaScript from the raw rows of cairn.events — with no filter, a visit's attribute
 * (source) and a page (whole visits that saw it) as filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestServer, uniqueSite } from './helpers/server.ts'

const SITE = uniqueSite('goals')
let server: TestServer
let admin: Record<string, string>
let viewer: Record<string, string>

interface Raw {
  visitor_id: string
  session_id: string
  name: string
  pathname: string
  link_url: string
  props: Record<string, string>
  scroll_depth: number
  engagement_ms: number
  referrer_source: string
}

const GOALS = [
  { name: 'Signed up', kind: 'event', event_name: 'Signup' },
  { name: 'E-book', kind: 'event', event_name: 'Whitepaper', prop_key: 'paper', prop_value: 'ebook' },
  { name: 'Thanked', kind: 'page', pattern: '/thank-you' },
  { name: 'Read the docs', kind: 'page', pattern: '/docs/**' },
  { name: 'Any download', kind: 'download' },
  { name: 'PDF', kind: 'download', pattern: '**.pdf' },
  { name: 'GitHub', kind: 'outbound', pattern: 'https://github.com/**' },
  { name: 'Pricing read', kind: 'scroll', pattern: '/pricing', threshold: 75 },
  { name: 'Pricing studied', kind: 'engagement', pattern: '/pricing', threshold: 30 },
] as const

/** Each goal recomputed from raw rows: which rows count, and whether it is counted per visit. */
const MATCHES: Record<string, { row: (r: Raw) => boolean; perVisit?: boolean; visitSumMs?: number }> = {
  'Signed up': { row: (r) => r.name === 'Signup' },
  'E-book': { row: (r) => r.name === 'Whitepaper' && r.props.paper === 'ebook' },
  Thanked: { row: (r) => r.name === 'pageview' && r.pathname === '/thank-you' },
  'Read the docs': { row: (r) => r.name === 'pageview' && r.pathname.startsWith('/docs/') },
  'Any download': { row: (r) => r.name === 'download' },
  PDF: { row: (r) => r.name === 'download' && r.link_url.endsWith('.pdf') },
  GitHub: { row: (r) => r.name === 'outbound' && r.link_url.startsWith('https://github.com/') },
  'Pricing read': { row: (r) => r.name === 'engagement' && r.pathname === '/pricing' && r.scroll_depth >= 75, perVisit: true },
  'Pricing studied': { row: (r) => r.name === 'engagement' && r.pathname === '/pricing', visitSumMs: 30_000 },
}

function recompute(all: Raw[], keep: (r: Raw) => boolean) {
  const rows = all.filter(keep)
  const visitors = new Set(rows.filter((r) => r.name !== 'engagement').map((r) => r.visitor_id)).size
  const goals = GOALS.map((g) => {
    const m = MATCHES[g.name]!
    const hits = rows.filter(m.row)
    if (m.visitSumMs !== undefined) {
      const sums = new Map<string, { visitor: string; ms: number }>()
      for (const r of hits) sums.set(r.session_id, { visitor: r.visitor_id, ms: (sums.get(r.session_id)?.ms ?? 0) + r.engagement_ms })
      const reached = [...sums.values()].filter((s) => s.ms >= m.visitSumMs!)
      return { name: g.name, visitors: new Set(reached.map((s) => s.visitor)).size, events: reached.length }
    }
    return { name: g.name, visitors: new Set(hits.map((r) => r.visitor_id)).size, events: m.perVisit ? new Set(hits.map((r) => r.session_id)).size : hits.length }
  })
  return { visitors, goals: goals.map((g) => ({ ...g, conversion_rate: visitors ? Math.round((g.visitors / visitors) * 1000) / 10 : 0 })) }
}

const json = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' })

beforeAll(async () => {
  server = await TestServer.start({ sites: [SITE], env: { TRUST_PROXY: 'true' } })
  const access = server.server.collector.access
  const { addUser } = await import('../dashboard/server/auth/users.ts')
  await addUser(access, 'owner@goals.test', 'a long password', 'admin', SITE)
  await addUser(access, 'reader@goals.test', 'a long password', 'viewer', SITE)
  admin = { authorization: `Bearer ${await access.createApiKey('owner@goals.test', 'test')}` }
  viewer = { authorization: `Bearer ${await access.createApiKey('reader@goals.test', 'test')}` }

  // 30 visitors (one /24 each, so one cookieless id each), each on a small scripted visit.
  let seed = 7
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)
  for (let v = 0; v < 30; v++) {
    const headers = { 'x-forwarded-for': `10.1.${v}.9` }
    const send = async (body: Record<string, unknown>) => expect((await server.post({ d: SITE, ...body }, headers)).status).toBe(202)
    const page = (path: string, extra: Record<string, unknown> = {}) => send({ n: 'pageview', u: `https://${SITE}${path}`, ...extra })
    await page(v % 3 === 0 ? '/?utm_source=newsletter' : '/', v % 3 === 1 ? { r: 'https://www.google.com/' } : {})
    if (random() < 0.5) {
      await page('/pricing')
      // Two reports of one page view, as when the tab is hidden and shown again: the depth only grows.
      const depth = Math.floor(random() * 100)
      await send({ n: 'engagement', u: `https://${SITE}/pricing`, e: Math.floor(random() * 25_000), sd: depth })
      await send({ n: 'engagement', u: `https://${SITE}/pricing`, e: Math.floor(random() * 25_000), sd: Math.min(100, depth + Math.floor(random() * 20)) })
    }
    if (random() < 0.4) await page(`/docs/${random() < 0.5 ? 'start' : 'api/events'}`)
    if (random() < 0.3) await send({ n: 'download', u: `https://${SITE}/docs/start`, p: { url: `https://${SITE}/files/${random() < 0.5 ? 'guide.pdf' : 'data.csv'}` } })
    if (random() < 0.3) await send({ n: 'outbound', u: `https://${SITE}/`, p: { url: random() < 0.5 ? 'https://github.com/cairn/cairn' : 'https://example.org/' } })
    if (random() < 0.3) await send({ n: 'Whitepaper', u: `https://${SITE}/`, p: { paper: random() < 0.5 ? 'ebook' : 'checklist' } })
    if (random() < 0.35) {
      await send({ n: 'Signup', u: `https://${SITE}/signup` })
      if (random() < 0.3) await send({ n: 'Signup', u: `https://${SITE}/signup` })
      await page('/thank-you')
    }
  }
  await server.flush()
})
afterAll(() => server?.stop())

describe('goals', () => {
  it('are defined by a site’s admins, listed for its readers, and refused when malformed, naming each field', async () => {
    for (const goal of GOALS) {
      const response = await fetch(`${server.url}/api/sites/${SITE}/goals`, { method: 'POST', headers: json(admin), body: JSON.stringify(goal) })
      expect(response.status, goal.name).toBe(201)
    }
    const bad = await fetch(`${server.url}/api/sites/${SITE}/goals`, { method: 'POST', headers: json(admin), body: JSON.stringify({ kind: 'scroll', pattern: 'pricing', threshold: 140 }) })
    expect(bad.status).toBe(400)
    expect(Object.keys(((await bad.json()) as { errors: object }).errors).sort()).toEqual(['pattern', 'threshold'])
    expect((await fetch(`${server.url}/api/sites/${SITE}/goals`, { method: 'POST', headers: json(viewer), body: JSON.stringify(GOALS[0]) })).status).toBe(403)
    expect((await fetch(`${server.url}/api/sites/${SITE}/goals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(GOALS[0]) })).status).toBe(401)
    const listed = (await (await fetch(`${server.url}/api/sites/${SITE}/goals`, { headers: viewer })).json()) as { goals: { name: string }[] }
    expect(listed.goals.map((g) => g.name)).toEqual(GOALS.map((g) => g.name))
  })

  it('count conversions equal to a recomputation from the raw events, with and without filters', async () => {
    const raw = await server.rows<Raw>(
      `SELECT toString(visitor_id) AS visitor_id, toString(session_id) AS session_id, name, pathname, link_url, props, scroll_depth, engagement_ms, referrer_source
       FROM cairn.events WHERE site = {site:String}`,
      { site: SITE },
    )
    const sessionsWith = (path: string) => new Set(raw.filter((r) => r.name === 'pageview' && r.pathname === path).map((r) => r.session_id))
    const pricingVisits = sessionsWith('/pricing')
    const source = raw.find((r) => r.referrer_source !== '' && r.name === 'pageview')!.referrer_source
    const cases: [string, (r: Raw) => boolean][] = [
      ['', () => true],
      [`&source=${encodeURIComponent(source)}`, (r) => r.referrer_source === source],
      ['&page=%2Fpricing', (r) => pricingVisits.has(r.session_id)],
    ]
    for (const [query, keep] of cases) {
      const response = await fetch(`${server.url}/api/stats/${SITE}/goals?period=7d${query}`, { headers: viewer })
      expect(response.status).toBe(200)
      const got = (await response.json()) as { visitors: number; goals: { name: string; visitors: number; events: number; conversion_rate: number }[] }
      const expected = recompute(raw, keep)
      expect(got.visitors, query).toBe(expected.visitors)
      expect(got.goals.map(({ name, visitors, events, conversion_rate }) => ({ name, visitors, events, conversion_rate })), query).toEqual(expected.goals)
    }
    // The data set reaches every goal, so no zero passes for a match.
    expect(recompute(raw, () => true).goals.every((g) => g.visitors > 0)).toBe(true)
  })

  it('filter every panel to the visitors who converted, with their rate beside each row, and add conversions to the cards', async () => {
    const raw = await server.rows<Raw>(
      `SELECT toString(visitor_id) AS visitor_id, toString(session_id) AS session_id, name, pathname, link_url, props, scroll_depth, engagement_ms, referrer_source
       FROM cairn.events WHERE site = {site:String}`,
      { site: SITE },
    )
    const { goals } = (await (await fetch(`${server.url}/api/sites/${SITE}/goals`, { headers: viewer })).json()) as { goals: { id: string; name: string }[] }
    const thanked = goals.find((g) => g.name === 'Thanked')!
    const converted = new Set(raw.filter(MATCHES.Thanked!.row).map((r) => r.visitor_id))
    const bySource = new Map<string, Set<string>>()
    for (const r of raw.filter((r) => r.name === 'pageview')) bySource.set(r.referrer_source, (bySource.get(r.referrer_source) ?? new Set()).add(r.visitor_id))
    const expected = [...bySource]
      .map(([value, visitors]) => ({ value, visitors: [...visitors].filter((v) => converted.has(v)).length, conversion_rate: Math.round(([...visitors].filter((v) => converted.has(v)).length / visitors.size) * 1000) / 10 }))
      .filter((r) => r.visitors > 0)
      .sort((a, b) => b.visitors - a.visitors || (a.value < b.value ? -1 : 1))
    const got = (await (await fetch(`${server.url}/api/stats/${SITE}/breakdown/source?period=7d&goal=${thanked.id}&limit=100`, { headers: viewer })).json()) as { metrics: string[]; rows: unknown[] }
    expect(got.metrics).toEqual(['visitors', 'conversion_rate'])
    expect(got.rows).toEqual(expected)
    const cards = (await (await fetch(`${server.url}/api/stats/${SITE}/aggregate?period=7d&goal=${thanked.id}`, { headers: viewer })).json()) as { results: Record<string, number> }
    const all = recompute(raw, () => true)
    const goal = all.goals.find((g) => g.name === 'Thanked')!
    expect([cards.results.conversions, cards.results.conversion_events, cards.results.conversion_rate]).toEqual([goal.visitors, goal.events, goal.conversion_rate])
    // Every kind of goal filters the cards with the same numbers (scroll and engaged time count visits).
    for (const other of goals) {
      const expectedOther = all.goals.find((g) => g.name === other.name)!
      const got = (await (await fetch(`${server.url}/api/stats/${SITE}/aggregate?period=7d&goal=${other.id}`, { headers: viewer })).json()) as { results: Record<string, number> }
      expect([got.results.conversions, got.results.conversion_events, got.results.conversion_rate], other.name).toEqual([expectedOther.visitors, expectedOther.events, expectedOther.conversion_rate])
    }
    // The graph: today's bucket has the day's conversions and rate (every event of this file is today's).
    const series = (await (await fetch(`${server.url}/api/stats/${SITE}/timeseries?period=7d&goal=${thanked.id}`, { headers: viewer })).json()) as { points: { bucket: string; conversions: number; conversion_rate: number }[] }
    const today = new Date().toISOString().slice(0, 10)
    expect(series.points.find((p) => p.bucket === today)).toMatchObject({ conversions: goal.visitors, conversion_rate: goal.conversion_rate })
    expect(series.points.filter((p) => p.bucket !== today).every((p) => p.conversions === 0 && p.conversion_rate === 0)).toBe(true)
    const unknown = await fetch(`${server.url}/api/stats/${SITE}/aggregate?period=7d&goal=nope`, { headers: viewer })
    expect(unknown.status).toBe(400)
    expect(Object.keys(((await unknown.json()) as { errors: object }).errors)).toEqual(['goal'])
  })

  it('answer a load’s goal-filtered breakdowns asked together (one query) as they answer each alone', async () => {
    const { goals } = (await (await fetch(`${server.url}/api/sites/${SITE}/goals`, { headers: viewer })).json()) as { goals: { id: string; name: string }[] }
    const goal = goals.find((g) => g.name === 'Thanked')!
    // Different breakdowns, sorts, limits and offsets, so that a part's parameters or rows going to another would show.
    const asked = [
      'source?limit=100', 'page?limit=3', 'page?limit=2&offset=1', 'country?sort=conversion_rate:desc', 'event?sort=value:asc',
      'browser?limit=1', 'download?limit=5', `source?limit=100&source=Google`,
    ].map((path) => `${server.url}/api/stats/${SITE}/breakdown/${path}&period=7d&goal=${goal.id}`)
    const answer = async (url: string) => {
      const response = await fetch(url, { headers: viewer })
      expect(response.status, url).toBe(200)
      return response.json()
    }
    const alone: unknown[] = []
    for (const url of asked) alone.push(await answer(url))
    const together = await Promise.all(asked.map(answer))
    expect(together).toEqual(alone)
    // Not vacuous: the parts differ from each other, and most have rows.
    expect(new Set(alone.map((a) => JSON.stringify(a))).size).toBe(asked.length)
    expect(alone.filter((a) => (a as { rows: unknown[] }).rows.length > 0).length).toBeGreaterThanOrEqual(6)
  })

  it('apply to the past at once when changed, and disappear when removed', async () => {
    const { goals } = (await (await fetch(`${server.url}/api/sites/${SITE}/goals`, { headers: viewer })).json()) as { goals: { id: string; name: string }[] }
    const docs = goals.find((g) => g.name === 'Read the docs')!
    const changed = await fetch(`${server.url}/api/sites/${SITE}/goals/${docs.id}`, { method: 'PATCH', headers: json(admin), body: JSON.stringify({ pattern: '/docs/api/**' }) })
    expect(changed.status).toBe(200)
    const [row] = await server.rows<{ v: string }>(
      "SELECT uniqExact(visitor_id) AS v FROM cairn.events WHERE site = {site:String} AND name = 'pageview' AND startsWith(pathname, '/docs/api/')",
      { site: SITE },
    )
    const stats = (await (await fetch(`${server.url}/api/stats/${SITE}/goals?period=7d`, { headers: viewer })).json()) as { goals: { id: string; visitors: number }[] }
    expect(stats.goals.find((g) => g.id === docs.id)!.visitors).toBe(Number(row!.v))
    expect((await fetch(`${server.url}/api/sites/${SITE}/goals/${docs.id}`, { method: 'DELETE', headers: admin })).status).toBe(204)
    const after = (await (await fetch(`${server.url}/api/sites/${SITE}/goals`, { headers: viewer })).json()) as { goals: { id: string }[] }
    expect(after.goals.map((g) => g.id)).not.toContain(docs.id)
  })
})
