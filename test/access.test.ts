/** Who may see what: every non-public route refused without credentials, roles per site, shared links, login cookie. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'

const mine = uniqueSite('mine')
const theirs = uniqueSite('theirs')
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [mine, theirs] })
  await addUser(server.server.collector.access, 'owner@example.com', 'owner password 1', 'admin', mine)
  await addUser(server.server.collector.access, 'viewer@example.com', 'viewer password 1', 'viewer', mine)
})
afterAll(() => server.stop())

const STATS = ['aggregate', 'timeseries', 'breakdown/page', 'breakdown/source', 'realtime', 'sessions']
const routes = (site: string): [string, string][] => [
  ...STATS.map((p): [string, string] => ['GET', `/api/stats/${site}/${p}`]),
  ['GET', '/api/auth/me'],
  ['GET', '/api/sites'],
  ['GET', `/api/sites/${site}/shares`],
  ['POST', `/api/sites/${site}/shares`],
  ['DELETE', `/api/sites/${site}/shares/cairn_share_x`],
]

async function login(email: string, password: string): Promise<{ response: Response; cookie: string }> {
  const response = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('cairn_login=')) ?? ''
  return { response, cookie: cookie.split(';')[0]! }
}

/** As the dashboard sends them: state changes as JSON. */
const call = (method: string, path: string, headers: Record<string, string> = {}) =>
  fetch(server.url + path, { method, headers: method === 'GET' ? headers : { 'content-type': 'application/json', ...headers } })

describe('without credentials', () => {
  it.each(routes(mine))('%s %s → 401', async (method, path) => {
    const response = await call(method, path)
    expect(response.status).toBe(401)
    expect(((await response.json()) as { error: string }).error).toMatch(/\w/)
  })

  it.each(routes(mine))('%s %s with a made-up key or share token → 401', async (method, path) => {
    expect((await call(method, path, { authorization: 'Bearer cairn_key_forged' })).status).toBe(401)
    expect((await call(method, path, { 'x-cairn-share': 'cairn_share_forged' })).status).toBe(401)
  })

  it('refuses a wrong password with the same answer as an unknown user', async () => {
    const wrong = await login('owner@example.com', 'not the password')
    const unknown = await login('nobody@example.com', 'not the password')
    expect([wrong.response.status, unknown.response.status]).toEqual([401, 401])
    expect(await wrong.response.json()).toEqual(await unknown.response.json())
    expect(wrong.cookie).toBe('')
  })
})

describe('refusals', () => {
  it('come in one shape: {error}, and {errors} naming the fields at fault', async () => {
    const { cookie } = await login('viewer@example.com', 'viewer password 1')
    const answers = await Promise.all([
      call('GET', `/api/stats/${mine}/aggregate?period=fortnight`, { cookie }),
      call('GET', `/api/stats/${mine}/aggregate`),
      call('GET', `/api/stats/${theirs}/aggregate`, { cookie }),
      call('GET', '/api/stats/nowhere.example/aggregate', { cookie }),
      call('GET', '/api/nothing-here', { cookie }),
      fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' } }),
    ])
    expect(answers.map((r) => r.status)).toEqual([400, 401, 403, 404, 404, 415])
    for (const response of answers) {
      const body = (await response.json()) as Record<string, unknown>
      expect(Object.keys(body).filter((k) => k !== 'error' && k !== 'errors')).toEqual([])
      expect(body.error).toEqual(expect.any(String))
      if (response.status === 400 || response.status === 415) expect(Object.values(body.errors as object).every((v) => typeof v === 'string')).toBe(true)
    }
  })
})

describe('logged in', () => {
  it('sets a strictly necessary session cookie and reads only permitted sites', async () => {
    const { response, cookie } = await login('viewer@example.com', 'viewer password 1')
    expect(response.status).toBe(200)
    const header = response.headers.getSetCookie()[0]!
    expect(header).toMatch(/HttpOnly/)
    expect(header).toMatch(/SameSite=Strict/)
    expect(header).toMatch(/Path=\//)
    expect(header).not.toMatch(/Secure/) // plain http in this test
    const headers = { cookie }
    expect((await call('GET', `/api/stats/${mine}/aggregate`, headers)).status).toBe(200)
    expect((await call('GET', `/api/stats/${theirs}/aggregate`, headers)).status).toBe(403)
    expect((await call('GET', '/api/stats/not-a-site.example/aggregate', headers)).status).toBe(404)
    expect(await (await call('GET', '/api/sites', headers)).json()).toEqual({ cookie_days: 180, retention_months: 25, can_add_sites: false, sites: [{ site: mine, timezone: 'UTC', admin: false }] })
    // A viewer cannot manage shared links.
    expect((await call('POST', `/api/sites/${mine}/shares`, headers)).status).toBe(403)
  })

  it('logs out for good: the token stops working', async () => {
    const { cookie } = await login('viewer@example.com', 'viewer password 1')
    const out = await call('POST', '/api/auth/logout', { cookie })
    expect(out.status).toBe(204)
    expect(out.headers.getSetCookie()[0]).toMatch(/cairn_login=;/)
    expect((await call('GET', `/api/stats/${mine}/aggregate`, { cookie })).status).toBe(401)
  })

  it('accepts an API key with its owner\'s rights', async () => {
    const key = await server.server.collector.access.createApiKey('viewer@example.com', 'reports')
    expect((await call('GET', `/api/stats/${mine}/aggregate`, { authorization: `Bearer ${key}` })).status).toBe(200)
    expect((await call('GET', `/api/stats/${theirs}/aggregate`, { authorization: `Bearer ${key}` })).status).toBe(403)
  })
})

describe('shared links', () => {
  it('show one site only, whatever parameter is changed, until revoked', async () => {
    const { cookie } = await login('owner@example.com', 'owner password 1')
    const created = await call('POST', `/api/sites/${mine}/shares`, { cookie })
    expect(created.status).toBe(201)
    const { path, prefix } = (await created.json()) as { path: string; prefix: string }
    const token = path.replace('/share/', '')
    const share = { 'x-cairn-share': token }
    expect((await call('GET', `/api/stats/${mine}/aggregate?period=7d`, share)).status).toBe(200)
    expect((await call('GET', `/api/stats/${theirs}/aggregate?period=7d`, share)).status).toBe(403)
    expect((await call('GET', `/api/stats/${theirs}/aggregate?site=${mine}`, share)).status).toBe(403)
    expect((await call('GET', `/api/sites/${mine}/shares`, share)).status).toBe(403)
    expect(await (await call('GET', '/api/sites', share)).json()).toEqual({ cookie_days: 180, retention_months: 25, can_add_sites: false, sites: [{ site: mine, timezone: 'UTC', admin: false }] })

    expect((await call('DELETE', `/api/sites/${mine}/shares/${prefix}`, { cookie })).status).toBe(204)
    expect((await call('GET', `/api/stats/${mine}/aggregate`, share)).status).toBe(401)
  })
})
