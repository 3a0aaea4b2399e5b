/** Batching against the real engine: large batches, a timer for the rest, and never an insert per event. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../sql/client.ts'
import { migrate } from '../../sql/migrate.ts'
import { tempDataDir, uniqueSite } from '../../test/helpers/server.ts'
import { EventWriter } from './writer.ts'
import { silentLog } from './log.ts'
import { clickhouseTime, type EventRow } from './row.ts'
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'

let storage: Storage
const inserts: number[] = []

beforeAll(async () => {
  storage = openStorage({ url: process.env.CLICKHOUSE_URL, dataDir: tempDataDir() })
  await migrate(storage)
  // Observe (not replace) the real client's inserts: how many rows each carried.
  const exec = storage.exec.bind(storage)
  storage.exec = (async (params: Parameters<typeof exec>[0]) => {
    if (!('values' in params) || !params.values) return exec(params)
    let body = ''
    for await (const chunk of params.values as Readable) body += chunk
    inserts.push(body.split('\n').length - 1)
    return exec({ ...params, values: Readable.from([body]) })
  }) as typeof storage.exec
})
afterAll(() => storage.close())

function row(site: string, i: number): EventRow {
  const now = clickhouseTime(Date.now())
  return {
    event_id: randomUUID(), site, timestamp: now, name: 'pageview', visitor_id: String(i), session_id: String(i), session_start: now,
    consent: false, interactive: true, hostname: site, pathname: `/p${i}`, referrer: '', referrer_source: '', utm_source: '', utm_medium: '',
    utm_campaign: '', utm_content: '', utm_term: '', link_url: '', browser: 'Chrome', browser_version: '131', os: 'Linux', os_version: '',
    device: 'desktop', country_code: '', ip_truncated: '::ffff:192.0.2.0', props: {}, engagement_ms: 0, scroll_depth: 0,
  }
}

async function count(site: string): Promise<number> {
  const rows = await (await storage.query({ query: 'SELECT count() AS n FROM cairn.events WHERE site = {site:String}', query_params: { site }, format: 'JSONEachRow' })).json<{ n: string }>()
  return Number(rows[0]!.n)
}

describe('EventWriter', () => {
  it('writes 25,000 events in batches of at most 10,000, and the rest on close', async () => {
    const site = uniqueSite('batch')
    const writer = new EventWriter(storage, silentLog, { maxRows: 10_000, intervalMs: 60_000 })
    writer.start()
    inserts.length = 0
    for (let i = 0; i < 25_000; i++) writer.push(row(site, i))
    await writer.close()
    expect(inserts).toEqual([10_000, 10_000, 5_000])
    expect(await count(site)).toBe(25_000)
  })

  it('flushes a small batch on its timer, in one insert', async () => {
    const site = uniqueSite('timer')
    const writer = new EventWriter(storage, silentLog, { maxRows: 10_000, intervalMs: 200 })
    writer.start()
    inserts.length = 0
    for (let i = 0; i < 50; i++) writer.push(row(site, i))
    for (let i = 0; i < 40 && (await count(site)) < 50; i++) await new Promise((r) => setTimeout(r, 50))
    expect(await count(site)).toBe(50)
    expect(inserts).toEqual([50])
    await writer.close()
  })
})
