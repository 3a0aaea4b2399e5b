/**
 * Batching against the real engine: large batches, a timer for the rest, and never an insert per event.
 * Replays: an insert that landed unseen, or a crash in the middle of an outage, leaves every event once,
 * in cairn.events and in the rollup.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../sql/client.ts'
import { migrate } from '../../sql/migrate.ts'
import { tempDataDir, uniqueSite } from '../../test/helpers/server.ts'
import { EventWriter, insertQuery } from './writer.ts'
import { silentLog } from './log.ts'
import { clickhouseTime, type EventRow } from './row.ts'
import { Spool } from './spool.ts'

let storage: Storage
const inserts: number[] = []
/** 'down': every insert fails; 'lost': the insert lands, and the answer is lost (the writer sees a failure). */
let fault: 'down' | 'lost' | undefined

beforeAll(async () => {
  storage = openStorage({ url: process.env.CLICKHOUSE_URL, dataDir: tempDataDir() })
  await migrate(storage)
  // Observe (not replace) the real client's inserts: how many rows each carried.
  const exec = storage.exec.bind(storage)
  storage.exec = (async (params: Parameters<typeof exec>[0]) => {
    if (!('values' in params) || !params.values) return exec(params)
    let body = ''
    for await (const chunk of params.values as Readable) body += chunk
    if (fault === 'down') throw new Error('ClickHouse is down')
    inserts.push(body.split('\n').length - 1)
    const result = await exec({ ...params, values: Readable.from([body]) })
    if (fault === 'lost') {
      result.stream.destroy()
      throw new Error('connection reset')
    }
    return result
  }) as typeof storage.exec
})
afterAll(() => storage.close())

function row(site: string, i: number): EventRow {
  const now = clickhouseTime(Date.now())
  return {
    site, timestamp: now, name: 'pageview', visitor_id: String(i), session_id: String(i), session_start: now,
    consent: false, interactive: true, hostname: site, pathname: `/p${i}`, referrer: '', referrer_source: '', utm_source: '', utm_medium: '',
    utm_campaign: '', utm_content: '', utm_term: '', link_url: '', browser: 'Chrome', browser_version: '131', os: 'Linux', os_version: '',
    device: 'desktop', country_code: '', ip_truncated: '::ffff:192.0.2.0', props: {}, engagement_ms: 0, scroll_depth: 0,
  }
}

async function count(site: string): Promise<number> {
  const rows = await (await storage.query({ query: 'SELECT count() AS n FROM cairn.events WHERE site = {site:String}', query_params: { site }, format: 'JSONEachRow' })).json<{ n: string }>()
  return Number(rows[0]!.n)
}

/** Events, distinct events (rows are distinct by path here), and events as the rollup counts them. */
async function counted(site: string): Promise<{ events: number; distinct: number; rollup: number }> {
  const [row] = await (
    await storage.query({
      query: `SELECT count() AS events, uniqExact(pathname) AS distinct,
                (SELECT sum(event_count) FROM cairn.sessions_data WHERE site = {site:String}) AS rollup
              FROM cairn.events WHERE site = {site:String}`,
      query_params: { site },
      format: 'JSONEachRow',
    })
  ).json<Record<string, string>>()
  return { events: Number(row!.events), distinct: Number(row!.distinct), rollup: Number(row!.rollup) }
}

const line = (site: string, i: number) => JSON.stringify(row(site, i)) + '\n'
const spoolDir = () => mkdtempSync(join(tmpdir(), 'cairn-spool-'))
const options = { maxRows: 10_000, intervalMs: 60_000 }

/** A new process on the same spool: what `cairn serve` does at start. */
function restart(dir: string): EventWriter {
  const spool = new Spool(dir)
  const writer = new EventWriter(storage, silentLog, options, spool)
  writer.adopt(spool.leftovers())
  return writer
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

  it('drops the replay of a segment that had landed unseen, in the events and in the rollup; later inserts still land', async () => {
    const site = uniqueSite('landed')
    const dir = spoolDir()
    const spool = new Spool(dir)
    for (let i = 0; i < 50; i++) spool.append(line(site, i))
    const segment = spool.seal()!
    // Its insert landed, as the writer sends it; the process died before it saw the answer.
    const body = readFileSync(segment.path, 'utf8')
    ;(await storage.exec({ query: insertQuery(body), values: Readable.from([body]) })).stream.destroy()
    expect(await counted(site)).toEqual({ events: 50, distinct: 50, rollup: 50 })

    const writer = restart(dir)
    await writer.flush()
    expect(writer.queued).toBe(0)
    expect(readdirSync(dir)).toEqual([])
    expect(await counted(site)).toEqual({ events: 50, distinct: 50, rollup: 50 })

    // The token went with that statement only: the next segment, and an insert without a token on the
    // same engine session (where writes go), land.
    for (let i = 50; i < 60; i++) writer.push(row(site, i))
    await writer.close()
    await storage.insert({ table: 'cairn.events', values: [row(site, 60)], format: 'JSONEachRow' })
    expect(await counted(site)).toEqual({ events: 61, distinct: 61, rollup: 61 })
    const session = await storage.exec({ query: "SELECT value FROM system.settings WHERE name = 'insert_deduplication_token' FORMAT TSV" })
    let token = ''
    for await (const chunk of session.stream) token += chunk
    expect(token).toBe('\n')
  })

  it('writes every event once after a crash in the middle of an outage', async () => {
    const site = uniqueSite('crash')
    const dir = spoolDir()
    const first = new EventWriter(storage, silentLog, options, new Spool(dir))
    let next = 0
    const batch = async () => {
      for (let end = next + 100; next < end; next++) first.push(row(site, next))
      await first.flush()
    }
    try {
      // The first batch lands but the writer sees a failure; then ClickHouse is down for three more.
      fault = 'lost'
      await batch()
      fault = 'down'
      for (let k = 0; k < 3; k++) await batch()
      expect(first.stats.failures).toBe(4)
      // The lost batch stays first in line, tried again in vain while ClickHouse is down.
      expect(await counted(site)).toEqual({ events: 100, distinct: 100, rollup: 100 })
      expect(readdirSync(dir)).toHaveLength(4)
    } finally {
      fault = undefined
    }
    // Killed here: its segments stay on disk. The next process writes them, the landed one dropped.
    const writer = restart(dir)
    await writer.close()
    expect(readdirSync(dir)).toEqual([])
    expect(await counted(site)).toEqual({ events: 400, distinct: 400, rollup: 400 })
  })

  it('grows one segment to a whole batch while a backlog waits, so an outage drains in a few inserts', async () => {
    const site = uniqueSite('backlog')
    const dir = spoolDir()
    const writer = new EventWriter(storage, silentLog, { maxRows: 10_000, intervalMs: 20 }, new Spool(dir))
    fault = 'down'
    try {
      writer.start()
      for (let k = 0; k < 10; k++) {
        for (let i = 0; i < 50; i++) writer.push(row(site, k * 50 + i))
        await new Promise((resolve) => setTimeout(resolve, 60))
      }
      // The first tick's batch failed and waits; what came after is one open segment, fsynced at each tick.
      expect(writer.stats.failures).toBeGreaterThan(0)
      expect(readdirSync(dir).length).toBeLessThanOrEqual(2)
      // …and on disk only: the growing batch is not held in memory (at most the turn not yet synced).
      expect(writer.inMemory).toBeLessThanOrEqual(100)
    } finally {
      fault = undefined
    }
    const before = inserts.length
    await writer.close()
    expect(inserts.length - before).toBeLessThanOrEqual(2)
    expect(readdirSync(dir)).toEqual([])
    expect(await counted(site)).toEqual({ events: 500, distinct: 500, rollup: 500 })
  })

  it('cuts a segment of more than maxRows events at fixed places, so a replay drops the chunks that landed', async () => {
    const site = uniqueSite('chunks')
    const dir = spoolDir()
    const spool = new Spool(dir)
    for (let i = 0; i < 25; i++) spool.append(line(site, i))
    const segment = spool.seal()!
    const lines = readFileSync(segment.path, 'utf8').split(/(?<=\n)/)
    // The first chunk of ten landed before the crash.
    const body = lines.slice(0, 10).join('')
    ;(await storage.exec({ query: insertQuery(body), values: Readable.from([body]) })).stream.destroy()
    const replay = new Spool(dir)
    const writer = new EventWriter(storage, silentLog, { maxRows: 10, intervalMs: 60_000 }, replay)
    writer.adopt(replay.leftovers())
    inserts.length = 0
    await writer.close()
    expect(inserts).toEqual([10, 10, 5])
    expect(await counted(site)).toEqual({ events: 25, distinct: 25, rollup: 25 })
  })
})
