/**
 * Custom properties: the keys the events carry, one key's values broken down (JSON and CSV), and a
 * property as a filter of every other number — each equal to a recomputation from the raw rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestServer, uniqueSite } from './helpers/server.ts'

const SITE = uniqueSite('props')
let server: TestServer
let key: Record<string, string>

interface Raw {
  visitor_id: string
  name: string
  props: Record<string, string>
  referrer_source: string
}

beforeAll(async () => {
  server = await TestServer.start({ sites: [SITE], env: { TRUST_PROXY: 'true' } })
  const access = server.server.collector.access
  const { addUser } = await import('../dashboard/server/auth/users.ts')
  await addUser(access, 'analyst@props.test', 'a long password', 'viewer', SITE)
  key = { authorization: `Bearer ${await access.createApiKey('analyst@props.test', 'test')}` }
  let seed = 11
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)
  for (let v = 0; v < 24; v++) {
    const headers = { 'x-forwarded-for': `10.3.${v}.9` }
    const send = async (body: Record<string, unknown>) => expect((await server.post({ d: SITE, ...body }, headers)).status).toBe(202)
    await send({ n: 'pageview', u: `https://${SITE}/${v % 2 ? '?utm_source=newsletter' : ''}`, r: v % 3 === 0 ? 'https://www.google.com/' : null })
    if (random() < 0.6) await send({ n: 'Signup', u: `https://${SITE}/signup`, p: { plan: random() < 0.4 ? 'pro' : 'free', seats: Math.ceil(random() * 3) } })
    if (random() < 0.4) await send({ n: 'Whitepaper', u: `https://${SITE}/`, p: { paper: random() < 0.5 ? 'ebook' : 'checklist' } })
    if (random() < 0.3) await send({ n: 'Signup', u: `https://${SITE}/signup`, p: { plan: 'pro', seats: 1 } })
  }
  await server.flush()
})
afterAll(() => server?.stop())

const get = async <T>(path: string) => {
  const response = await fetch(`${server.url}/api/stats/${SITE}/${path}`, { headers: key })
  expect(response.status, path).toBe(200)
  return (await response.json()) as T
}
const raw = () => server.rows<Raw>("SELECT toString(visitor_id) AS visitor_id, name, props, referrer_source FROM cairn.events WHERE site = {site:String} AND name != 'engagement'", { site: SITE })
const tally = (rows: Raw[], group: (r: Raw) => string) => {
  const groups = new Map<string, Raw[]>()
  for (const r of rows) groups.set(group(r), [...(groups.get(group(r)) ?? []), r])
  return [...groups].map(([value, rs]) => ({ value, visitors: new Set(rs.map((r) => r.visitor_id)).size, events: rs.length }))
}
const byEventsThenValue = (a: { value: string; events: number }, b: { value: string; events: number }) => b.events - a.events || (a.value < b.value ? -1 : 1)

describe('custom properties', () => {
  it('lists the keys the range’s events carry, most used first', async () => {
    const rows = await raw()
    const expected = ['plan', 'seats', 'paper']
      .map((k) => ({ key: k, ...tally(rows.filter((r) => k in r.props), () => k)[0]! }))
      .map(({ key: k, visitors, events }) => ({ key: k, visitors, events }))
      .sort((a, b) => b.events - a.events || (a.key < b.key ? -1 : 1))
    const got = await get<{ properties: { key: string; visitors: number; events: number }[] }>('properties?period=7d')
    expect(got.properties).toEqual(expected)
  })

  it('breaks one key down by its values, in JSON and in CSV', async () => {
    const rows = await raw()
    const expected = tally(rows.filter((r) => 'plan' in r.props), (r) => r.props.plan!).sort(byEventsThenValue)
    const got = await get<{ rows: { value: string; visitors: number; events: number }[] }>('properties/plan?period=7d&sort=events')
    expect(got.rows).toEqual(expected)
    const csv = await fetch(`${server.url}/api/stats/${SITE}/properties/plan?period=7d&sort=events&format=csv`, { headers: { ...key, 'accept-language': 'fr' } })
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/)
    expect((await csv.text()).trim().split(/\r?\n/)).toEqual(['plan,Visiteurs,Événements', ...expected.map((r) => `${r.value},${r.visitors},${r.events}`)])
  })

  it('filters every other number by a property’s value', async () => {
    const rows = await raw()
    const pro = rows.filter((r) => r.props.plan === 'pro')
    const aggregate = await get<{ results: { visitors: number; events: number } }>('aggregate?period=7d&prop.plan=pro')
    expect(aggregate.results.visitors).toBe(new Set(pro.map((r) => r.visitor_id)).size)
    const sources = await get<{ rows: { value: string; visitors: number }[] }>('breakdown/source?period=7d&prop.plan=pro&limit=100')
    const expected = tally(pro, (r) => r.referrer_source).map(({ value, visitors }) => ({ value, visitors }))
    expect(sources.rows.map(({ value, visitors }) => ({ value, visitors })).sort((a, b) => (a.value < b.value ? -1 : 1))).toEqual(expected.sort((a, b) => (a.value < b.value ? -1 : 1)))
    // Two properties narrow further: both must hold on one event.
    const both = await get<{ results: { visitors: number } }>('aggregate?period=7d&prop.plan=pro&prop.seats=1')
    expect(both.results.visitors).toBe(new Set(pro.filter((r) => r.props.seats === '1').map((r) => r.visitor_id)).size)
  })

  it('refuses a property filter without a key, or too many, naming the parameter', async () => {
    const noKey = await fetch(`${server.url}/api/stats/${SITE}/aggregate?period=7d&prop.=x`, { headers: key })
    expect(noKey.status).toBe(400)
    expect(Object.keys(((await noKey.json()) as { errors: object }).errors)).toEqual(['prop.'])
    const many = Array.from({ length: 6 }, (_, i) => `prop.k${i}=v`).join('&')
    const tooMany = await fetch(`${server.url}/api/stats/${SITE}/aggregate?period=7d&${many}`, { headers: key })
    expect(tooMany.status).toBe(400)
    expect(Object.keys(((await tooMany.json()) as { errors: object }).errors)).toEqual(['prop.k5'])
  })
})
