/**
 * What a failure leaves in the log: ClickHouse's messages quote the query with its values, so an
 * unexpected error is logged by its code and type only. The failure is a real engine error, caused by a
 * time-zone parameter the transport rewrites; dates the engine cannot take never reach it (400).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Transport } from '../sql/client.ts'
import { addUser } from '../dashboard/server/auth/users.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('errors')
const lines: string[] = []
let broken = false
let server: TestServer
let key = ''

/** Sends the stats queries, while `broken`, with a time zone the engine does not know. */
const breakTimeZone = (transport: Transport): Transport =>
  new Proxy(transport, {
    get: (target, property, receiver) => {
      const value = Reflect.get(target, property, receiver) as (...args: unknown[]) => unknown
      if (property !== 'query') return typeof value === 'function' ? value.bind(target) : value
      return (params: { query_params?: Record<string, unknown> }) =>
        value.call(target, broken && params.query_params?.tz ? { ...params, query_params: { ...params.query_params, tz: 'Mars/Olympus_Mons' } } : params)
    },
  })

beforeAll(async () => {
  server = await TestServer.start({
    sites: [`${site}=Europe/Paris`],
    wrapTransport: breakTimeZone,
    log: { info: (m) => lines.push(m), error: (m) => lines.push(m) },
  })
  await addUser(server.server.collector.access, 'admin@example.com', 'admin password 1', 'admin', '*')
  key = await server.server.collector.access.createApiKey('admin@example.com', 'errors')
})
afterAll(() => server.stop())

const asAdmin = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } })

describe('an unexpected ClickHouse error', () => {
  it('answers 500 and logs its code and type, not the query or its values', async () => {
    lines.length = 0
    broken = true
    const response = await asAdmin(`/api/stats/${site}/aggregate?period=custom&from=2026-02-01&to=2026-02-28&page=/secret-landing-page`)
    broken = false
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ error: 'internal error' })
    const logged = lines.filter((l) => l.includes('unhandled error'))
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatch(new RegExp(`^unhandled error on GET /api/stats/${site.replaceAll('.', '\\.')}/aggregate: ClickHouse error \\d+ \\(\\w+\\)$`))
    expect(lines.join('\n')).not.toMatch(/SELECT|secret-landing-page|Olympus|2026-02/)
  })

  it('is not reached by dates the engine cannot take: they are 400s, and nothing is logged', async () => {
    lines.length = 0
    for (const query of ['from=2026-02-30&to=2026-03-01', 'from=9999-01-01&to=9999-01-31']) {
      const response = await asAdmin(`/api/stats/${site}/aggregate?period=custom&${query}`)
      expect(response.status).toBe(400)
      expect(Object.keys(((await response.json()) as { errors: object }).errors)).toContain('from')
    }
    expect(lines.filter((l) => l.includes('error'))).toEqual([])
  })
})
