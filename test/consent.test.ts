/** Invariants 2, 3 and 5: the visitor cookie, read from the real responses and rows. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Clock, DAY, TestServer, pageview, setCookies, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('consent')
const clock = new Clock()
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site], clock })
})
afterAll(() => server.stop())

function cookieOf(response: Response): { value: string; maxAge: number; attributes: string } | undefined {
  const header = setCookies(response).find((c) => c.startsWith('cairn_id='))
  if (!header) return undefined
  return {
    value: header.slice('cairn_id='.length, header.indexOf(';')),
    maxAge: Number(/Max-Age=(\d+)/.exec(header)?.[1]),
    attributes: header,
  }
}

async function visitorIds(path: string): Promise<string[]> {
  await server.flush()
  const rows = await server.rows<{ visitor_id: string }>(
    'SELECT toString(visitor_id) AS visitor_id FROM cairn.events WHERE site = {site:String} AND pathname = {path:String} ORDER BY timestamp',
    { site, path },
  )
  return rows.map((r) => r.visitor_id)
}

describe('visitor cookie', () => {
  it('is never set without consent in the request', async () => {
    for (const body of [pageview(site, '/none'), pageview(site, '/none', { c: false }), pageview(site, '/none', { consent: null })]) {
      const response = await server.post(body)
      expect(response.status).toBe(202)
      expect(setCookies(response)).toEqual([])
    }
    await server.flush()
    const rows = await server.rows<{ consent: boolean }>('SELECT consent FROM cairn.events WHERE site = {site:String} AND pathname = {p:String}', { site, p: '/none' })
    expect(rows).toHaveLength(3)
    expect(rows.every((r) => r.consent === false)).toBe(true)
  })

  it('is set with consent, lives at most 6 months, and keeps the visitor on the next request', async () => {
    const first = await server.post(pageview(site, '/c1', { c: true }))
    const cookie = cookieOf(first)
    expect(cookie).toBeDefined()
    expect(cookie!.value).toMatch(/^[0-9a-f]{32}\.\d+$/)
    expect(cookie!.maxAge).toBeGreaterThan(0)
    expect(cookie!.maxAge).toBeLessThanOrEqual(183 * 86_400)
    expect(cookie!.attributes).toContain('HttpOnly')
    expect(cookie!.attributes).toContain('SameSite=Lax')
    expect(cookie!.attributes).toContain('Path=/')
    expect(cookie!.attributes).not.toContain('Secure') // plain http here

    clock.advance(60_000)
    const second = await server.post(pageview(site, '/c1', { c: true }), { cookie: `cairn_id=${cookie!.value}` })
    expect(setCookies(second)).toEqual([]) // not re-set, not extended
    const ids = await visitorIds('/c1')
    expect(ids).toHaveLength(2)
    expect(ids[0]).toBe(ids[1])
    const consent = await server.rows<{ consent: boolean }>('SELECT consent FROM cairn.events WHERE site = {site:String} AND pathname = {p:String}', { site, p: '/c1' })
    expect(consent.every((r) => r.consent === true)).toBe(true)

    // Five months later the same cookie still identifies the visitor and is not extended.
    clock.advance(150 * DAY)
    const later = await server.post(pageview(site, '/c2', { c: true }), { cookie: `cairn_id=${cookie!.value}` })
    expect(setCookies(later)).toEqual([])
    expect(await visitorIds('/c2')).toEqual([ids[0]])

    // Past its lifetime (a browser that kept it) the cookie no longer identifies anyone.
    clock.advance(31 * DAY)
    const expired = await server.post(pageview(site, '/c3', { c: true }), { cookie: `cairn_id=${cookie!.value}` })
    const fresh = cookieOf(expired)
    expect(fresh?.value).toBeDefined()
    expect(fresh!.value).not.toBe(cookie!.value)
    expect((await visitorIds('/c3'))[0]).not.toBe(ids[0])
  })

  it('is expired on withdrawal, and the visitor is counted cookieless again', async () => {
    const granted = cookieOf(await server.post(pageview(site, '/w', { c: true })))!
    const withdrawn = await server.post(pageview(site, '/w', { c: false }), { cookie: `cairn_id=${granted.value}` })
    const header = setCookies(withdrawn)
    expect(header).toHaveLength(1)
    expect(header[0]).toMatch(/^cairn_id=;/)
    expect(header[0]).toContain('Max-Age=0')
    await server.flush()
    const rows = await server.rows<{ consent: boolean; visitor_id: string }>(
      'SELECT consent, toString(visitor_id) AS visitor_id FROM cairn.events WHERE site = {site:String} AND pathname = {p:String} ORDER BY timestamp, consent DESC',
      { site, p: '/w' },
    )
    expect(rows.map((r) => r.consent)).toEqual([true, false])
    expect(rows[0]!.visitor_id).not.toBe(rows[1]!.visitor_id)
  })

  it('"not said" leaves an earlier cookie alone but does not use it', async () => {
    const granted = cookieOf(await server.post(pageview(site, '/u', { c: true })))!
    const unsaid = await server.post(pageview(site, '/u'), { cookie: `cairn_id=${granted.value}` })
    expect(setCookies(unsaid)).toEqual([])
    await server.flush()
    const rows = await server.rows<{ consent: boolean }>('SELECT consent FROM cairn.events WHERE site = {site:String} AND pathname = {p:String} ORDER BY consent DESC', { site, p: '/u' })
    expect(rows.map((r) => r.consent)).toEqual([true, false])
  })

  for (const [signal, headers] of [
    ['Sec-GPC: 1', { 'sec-gpc': '1' }],
    ['DNT: 1', { dnt: '1' }],
  ] as const) {
    it(`${signal} with consent sets no cookie and expires an existing one`, async () => {
      const response = await server.post(pageview(site, '/gpc', { c: true }), headers)
      expect(response.status).toBe(202)
      expect(setCookies(response)).toEqual([])
      const granted = cookieOf(await server.post(pageview(site, '/gpc-before', { c: true })))!
      const withSignal = await server.post(pageview(site, '/gpc', { c: true }), { ...headers, cookie: `cairn_id=${granted.value}` })
      expect(setCookies(withSignal)).toEqual([expect.stringMatching(/^cairn_id=; Max-Age=0/)])
      await server.flush()
      const rows = await server.rows<{ consent: boolean }>('SELECT consent FROM cairn.events WHERE site = {site:String} AND pathname = {p:String}', { site, p: '/gpc' })
      expect(rows.length).toBeGreaterThanOrEqual(2)
      expect(rows.every((r) => r.consent === false)).toBe(true)
    })
  }

  it('is Secure when the request came over https through a trusted proxy', async () => {
    const proxied = await TestServer.start({ sites: [site], env: { TRUST_PROXY: 'true' }, dataDir: server.dataDir })
    try {
      const response = await fetch(`${proxied.url}/api/event`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' },
        body: JSON.stringify(pageview(site, '/secure', { c: true })),
      })
      expect(cookieOf(response)?.attributes).toContain('; Secure')
    } finally {
      await proxied.stop()
    }
  })
})
