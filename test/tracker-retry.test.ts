/**
 * The tracker's one retry: with ClickHouse unreachable and the collector's spool at its bound, an event
 * is refused with 503; the tracker posts it once more 10 s later, when the collector has room again, and
 * the event is counted once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from './helpers/browser.ts'
import { Outage } from './helpers/outage.ts'
import { serverMode } from './helpers/server.ts'
import { TestSite } from './helpers/site.ts'

const outage = new Outage()
let site: TestSite

beforeAll(async () => {
  // Room for one event while ClickHouse is away: the second is past the bound.
  site = await TestSite.start({ wrapTransport: outage.wrap, env: { CAIRN_SPOOL_MAX_EVENTS: '1' } })
}, 60_000)
afterAll(async () => {
  outage.down = false
  await site?.stop()
})

describe.skipIf(serverMode)('retry after 503', () => {
  it('posts a refused event once more after 10 s, and it is counted once', async () => {
    const context = await site.newContext()
    const page = await context.newPage()
    const answers: { name: string; status: number }[] = []
    page.on('response', (response) => {
      if (response.url().endsWith('/api/event')) answers.push({ name: JSON.parse(response.request().postData() ?? '{}').n, status: response.status() })
    })
    outage.down = true
    await page.goto(site.page('/retry/'))
    await eventually(async () => answers, (a) => a.length === 1)
    expect(answers).toEqual([{ name: 'pageview', status: 202 }]) // queued, in the spool

    await page.evaluate(() => (window as unknown as { cairn: (...a: unknown[]) => void }).cairn('event', 'signup'))
    await eventually(async () => answers, (a) => a.length === 2)
    expect(answers[1]).toEqual({ name: 'signup', status: 503 })
    const refusedAt = Date.now()

    outage.down = false // ClickHouse is back: the backlog drains within the writer's backoff
    const rows = await eventually(() => site.rows("pathname = '/retry/'"), (r) => r.length === 2, 20_000)
    const retriedAfter = Date.now() - refusedAt
    expect(rows.map((r) => r.name).sort()).toEqual(['pageview', 'signup'])
    expect(answers).toEqual([
      { name: 'pageview', status: 202 },
      { name: 'signup', status: 503 },
      { name: 'signup', status: 202 },
    ])
    expect(retriedAfter).toBeGreaterThanOrEqual(9_000) // not before the 10 s the 503 asked for
    await context.close()
  }, 60_000)
})
