/** Liveness, readiness and Prometheus metrics, read from the running server after real traffic. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestServer, pageview, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('health')
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site] })
})
afterAll(() => server.stop())

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the burst, per address and site', async () => {
    const limited = await TestServer.start({ sites: [site], dataDir: server.dataDir, env: { CAIRN_RATE_LIMIT: '1', CAIRN_RATE_BURST: '5', TRUST_PROXY: 'true' } })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 8; i++) statuses.push((await limited.post(pageview(site, `/r${i}`), { 'x-forwarded-for': '198.51.100.7' })).status)
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429])
      const refused = await limited.post(pageview(site, '/r9'), { 'x-forwarded-for': '198.51.100.8' })
      expect(refused.status).toBe(429) // same /24: the same network
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect((await limited.post(pageview(site, '/other'), { 'x-forwarded-for': '203.0.113.9' })).status).toBe(202)
    } finally {
      await limited.stop()
    }
  })
})

describe('health and metrics', () => {
  it('answers liveness and readiness', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' })
    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(200)
  })

  it('counts accepted, dropped, written events and cache use in Prometheus format', async () => {
    for (let i = 0; i < 3; i++) await server.post(pageview(site, `/m${i}`))
    await server.post(pageview(site, '/bot'), { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' })
    await server.post('{', {})
    await server.flush()
    const response = await fetch(`${server.url}/metrics`)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await response.text()
    const metric = (name: string) => Number(new RegExp(`^${name.replace(/[{}"=]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1])
    expect(metric('cairn_events_accepted_total')).toBe(3)
    expect(metric('cairn_events_written_total')).toBe(3)
    expect(metric('cairn_events_dropped_total{reason="bot"}')).toBe(1)
    expect(metric('cairn_events_dropped_total{reason="invalid"}')).toBe(1)
    expect(metric('cairn_queue_events')).toBe(0)
    expect(metric('cairn_batches_total')).toBeGreaterThanOrEqual(1)
    expect(metric('cairn_user_agent_cache_total{result="hit"}')).toBe(2)
    expect(metric('cairn_user_agent_cache_total{result="miss"}')).toBe(2) // the bot's verdict is cached too
    expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+/) // counts only: no address, no path
    expect(text).not.toContain('/m1')
  })
})
