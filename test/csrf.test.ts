/**
 * Cross-site request forgery: a page on another origin, here the tracked site itself (same site as the
 * dashboard on its subdomain, so SameSite cookies go along), must not change anything with an admin's
 * login. In Chromium, as the review reproduced it, then each rule over raw HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { SITE, TestSite } from './helpers/site.ts'
import { pageview } from './helpers/server.ts'

let site: TestSite
let dashboard = ''

beforeAll(async () => {
  site = await TestSite.start()
  await addUser(site.server.server.collector.access, 'admin@shop.test', 'admin password 1', 'admin', SITE)
  dashboard = `http://stats.shop.test:${site.server.server.port}`
})
afterAll(() => site.stop())

const shares = () => site.server.server.collector.access.shares(SITE)
const restrictions = async () => (await site.server.rows<{ n: string }>('SELECT count() AS n FROM cairn.restrictions'))[0]!.n

describe('in Chromium, from a page of the tracked site', () => {
  it('a logged-in admin’s browser creates no shared link, restricts no one and is not logged out', async () => {
    const context = await site.newContext()
    const admin = await context.newPage()
    await admin.goto(`${dashboard}/healthz`)
    const logged = await admin.evaluate(async () => {
      const r = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@shop.test', password: 'admin password 1' }) })
      return r.status
    })
    expect(logged).toBe(200)
    const before = { shares: (await shares()).length, restrictions: await restrictions() }

    site.page('/evil', {
      body: `<form id="f" method="post" action="${dashboard}/api/auth/logout" enctype="text/plain"><input name='{"a":"' value='"}'></form>`,
    })
    const evil = await context.newPage()
    await evil.goto(site.pages.url(SITE, '/evil'))
    const answers = await evil.evaluate(async ([base, target]) => {
      const send = (path: string, init: RequestInit) => fetch(base + path, { credentials: 'include', mode: 'no-cors', ...init }).then(() => 'sent', () => 'blocked')
      return [
        await send(`/api/sites/${target}/shares`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }),
        await send(`/api/sites/${target}/privacy`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ action: 'restrict', visitor_id: '42' }) }),
        await send(`/api/sites/${target}/shares`, { method: 'POST', body: new URLSearchParams({ a: 'b' }) }),
      ]
    }, [dashboard, SITE] as const)
    expect(answers).toEqual(['sent', 'sent', 'sent']) // the browser sent them: the server had to refuse them
    await Promise.all([evil.waitForNavigation().catch(() => undefined), evil.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit())])

    expect((await shares()).length).toBe(before.shares)
    expect(await restrictions()).toBe(before.restrictions)
    const still = await admin.evaluate(async () => (await fetch('/api/auth/me')).status)
    expect(still).toBe(200)
    await context.close()
  })
})

describe('over HTTP', () => {
  let cookie = ''
  beforeAll(async () => {
    const response = await fetch(`${site.server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@shop.test', password: 'admin password 1' }) })
    cookie = response.headers.getSetCookie()[0]!.split(';')[0]!
  })
  const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    fetch(`${site.server.url}${path}`, { method, headers: { cookie, ...headers }, body })
  const own = () => ({ origin: site.server.url })
  const json = { 'content-type': 'application/json' }
  const ROUTES: [string, string, string?][] = [
    ['POST', `/api/sites/${SITE}/shares`],
    ['POST', `/api/sites/${SITE}/privacy`, JSON.stringify({ action: 'restrict', visitor_id: '7' })],
    ['DELETE', `/api/sites/${SITE}/shares/cairn_share_x`],
    ['POST', '/api/auth/logout'],
    ['POST', '/api/auth/login', JSON.stringify({ email: 'admin@shop.test', password: 'admin password 1' })],
  ]

  it.each(ROUTES)('%s %s refuses another origin, "null", and Sec-Fetch-Site same-site', async (method, path, body) => {
    const before = { shares: (await shares()).length, restrictions: await restrictions() }
    const attacks: Record<string, string>[] = [{ origin: `http://${SITE}` }, { origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'same-site' }, { 'sec-fetch-site': 'cross-site' }]
    for (const headers of attacks) {
      const response = await send(method, path, { ...json, ...headers }, body)
      expect(response.status, JSON.stringify(headers)).toBe(403)
      expect(await response.json()).toMatchObject({ errors: { origin: expect.any(String) } })
      expect(response.headers.getSetCookie()).toEqual([])
    }
    expect((await shares()).length).toBe(before.shares)
    expect(await restrictions()).toBe(before.restrictions)
    expect((await send('GET', '/api/auth/me', {})).status).toBe(200)
  })

  it.each(ROUTES.filter(([m]) => m === 'POST'))('%s %s needs a JSON content type, even from its own origin', async (method, path, body) => {
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await send(method, path, { ...own(), ...(type && { 'content-type': type }) }, body)
      expect(response.status, type).toBe(415)
      expect(await response.json()).toEqual({ error: 'send JSON', errors: { 'content-type': 'must be application/json' } })
    }
  })

  it('accepts the dashboard’s own requests, and clients without Origin (API keys, scripts)', async () => {
    const created = await send('POST', `/api/sites/${SITE}/shares`, { ...own(), ...json, 'sec-fetch-site': 'same-origin' })
    expect(created.status).toBe(201)
    const key = await site.server.server.collector.access.createApiKey('admin@shop.test', 'script')
    const byKey = await fetch(`${site.server.url}/api/sites/${SITE}/shares`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...json } })
    expect(byKey.status).toBe(201)
  })

  it('lets the tracked site’s privacy page erase its visitor, and no other origin', async () => {
    const consented = await site.server.post(pageview(SITE, '/', { c: true }))
    const visitor = consented.headers.getSetCookie()[0]!.split(';')[0]!
    const other = await fetch(`${site.server.url}/api/privacy/me`, { method: 'DELETE', headers: { cookie: visitor, origin: 'https://evil.example' } })
    expect(other.status).toBe(403)
    const fromSite = await fetch(`${site.server.url}/api/privacy/me`, { method: 'DELETE', headers: { cookie: visitor, origin: `https://${SITE}` } })
    expect(fromSite.status).toBe(200)
  })
})
