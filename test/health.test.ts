/** Liveness, readiness and Prometheus metrics, read from the running server after real traffic. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestServer, pageview, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('health')
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site] })
})
afterAll(() => server.stop())

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
    expect(metric('cairn_user_agent_cache_total{result="miss"}')).toBe(1)
    expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+/) // counts only: no address, no path
    expect(text).not.toContain('/m1')
  })
})
