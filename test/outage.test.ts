/**
 * ClickHouse unavailable for 60 s in the middle of ingest (the embedded engine's transport refuses every
 * call, as a stopped server would): the collector keeps answering 202 up to its spool bound and 503 with
 * Retry-After past it, holds the backlog on disk rather than in memory, retries with backoff, and once
 * ClickHouse is back every acknowledged event is written, once. The UTC day changes during the outage, so
 * the cookieless salt has to be made without ClickHouse too.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Outage } from './helpers/outage.ts'
import { Clock, DAY, TestServer, pageview, serverMode, uniqueSite } from './helpers/server.ts'

const BOUND = 20_000
const RATE = 450 // events per second: the bound is reached after ~44 s of the 60
const OUTAGE_MS = 60_000

describe.skipIf(serverMode)('ClickHouse unavailable for 60 s', () => {
  it('answers 202 up to the spool bound, 503 past it, keeps memory flat and loses nothing', async () => {
    const site = uniqueSite('outage')
    const outage = new Outage()
    let offset = 0
    const clock = new Clock()
    clock.now = () => Date.now() + offset
    const server = await TestServer.start({ sites: [site], clock, wrapTransport: outage.wrap, env: { CAIRN_SPOOL_MAX_EVENTS: String(BOUND), TRUST_PROXY: 'true' } })
    const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${server.url}/metrics`)).text())?.[1])
    const send = (i: number) => server.post(pageview(site, `/p${i % 500}`), { 'x-forwarded-for': `198.51.${i % 250}.${i % 199}` })
    try {
      let accepted = 0
      for (let i = 0; i < 100; i++) if ((await send(i)).status === 202) accepted++
      await server.flush()

      outage.down = true
      const statuses = new Map<number, number>()
      let retryAfter = true
      let queueAtFirst503 = -1
      let peakInMemory = 0
      let readyWhileDown = 0
      const started = Date.now()
      const sampler = setInterval(async () => {
        peakInMemory = Math.max(peakInMemory, await metric('cairn_queue_events_in_memory'))
        if ((await fetch(`${server.url}/readyz`)).status !== 503) readyWhileDown++
      }, 1000)
      // Halfway through, the clock passes midnight UTC: today's salt cannot be read from ClickHouse.
      const midnight = setTimeout(() => (offset = Math.ceil(Date.now() / DAY) * DAY + 1000 - Date.now()), OUTAGE_MS / 2)
      // Two senders at a fixed total rate.
      await Promise.all(
        [0, 1].map(async (lane) => {
          for (let i = lane; ; i += 2) {
            const due = started + (i / RATE) * 1000
            if (due > started + OUTAGE_MS) break
            if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
            const response = await send(1000 + i)
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
            if (response.status === 503) {
              retryAfter &&= Number(response.headers.get('retry-after')) > 0
              if (queueAtFirst503 < 0) queueAtFirst503 = await metric('cairn_queue_events')
            }
          }
        }),
      )
      clearInterval(sampler)
      clearTimeout(midnight)
      const failedWrites = await metric('cairn_write_failures_total')
      const spooled = await metric('cairn_queue_events')
      outage.down = false

      const sent = [...statuses.values()].reduce((a, b) => a + b, 0)
      expect(sent).toBeGreaterThan(RATE * 55)
      expect([...statuses.keys()].sort()).toEqual([202, 503])
      expect(statuses.get(202)).toBe(BOUND) // 202 up to the bound, then only 503
      expect(queueAtFirst503).toBe(BOUND)
      expect(retryAfter).toBe(true)
      expect(spooled).toBe(BOUND)
      expect(peakInMemory).toBeLessThan(BOUND / 10) // the backlog is on disk, not in memory
      expect(readyWhileDown).toBe(0)
      expect(failedWrites).toBeGreaterThan(2)
      expect(failedWrites).toBeLessThan(15) // backoff: not one attempt a second
      accepted += BOUND

      // ClickHouse is back: the backlog drains without a restart and new events are accepted again.
      for (let t = 0; t < 120 && (await metric('cairn_queue_events')) > 0; t++) await new Promise((r) => setTimeout(r, 500))
      expect(await metric('cairn_queue_events')).toBe(0)
      expect((await send(99_999)).status).toBe(202)
      accepted++
      await server.flush()
      // A replayed row would be the same in every column (two events sent apart differ in time at least).
      const [row] = await server.rows<{ n: string; distinct: string; days: string }>(
        'SELECT count() AS n, uniqExact(*) AS distinct, uniqExact(toDate(timestamp)) AS days FROM cairn.events WHERE site = {site:String}',
        { site },
      )
      expect(Number(row!.n)).toBe(accepted)
      expect(Number(row!.distinct)).toBe(accepted)
      expect(Number(row!.days)).toBe(2) // events on both sides of midnight were kept
      expect(readdirSync(join(server.dataDir, 'spool'))).toEqual([])
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    } finally {
      outage.down = false
      await server.stop()
    }
  }, 180_000)
})
