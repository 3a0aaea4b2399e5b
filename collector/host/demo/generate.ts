/**
 * `cairn demo`: realistic traffic for a site, written straight to cairn.events in batches (so the
 * sessions rollup fills as in production). Deterministic for a given seed and end time: tests and
 * benchmarks run on the same data every time.
 */
import type { Storage } from '../../../sql/client.ts'
import { clickhouseTime, type EventRow } from '../../ingest/row.ts'
import { CLIENTS, COUNTRIES, CUSTOM_EVENTS, FILES, HOURLY_UTC, OUTBOUND, PAGES, SOURCES, WEEKDAY, type Weighted } from './catalog.ts'

export interface DemoOptions {
  site: string
  /** Exactly this many rows are written. */
  events: number
  /** Traffic spreads over this many days before `endMs`. */
  days?: number
  endMs?: number
  seed?: number
  /** Called after every batch with rows written so far. */
  onProgress?: (written: number, total: number) => void
  /** Stops between two batches (a server shutting down). */
  signal?: AbortSignal
}

const BATCH_ROWS = 50_000

type DemoRow = Omit<EventRow, 'event_id'>
const DAY_MS = 86_400_000

/** mulberry32: a small, fast, seedable generator; Math.random cannot be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function picker<T>(items: Weighted<T>, random: () => number): () => T {
  const total = items.reduce((sum, [, w]) => sum + w, 0)
  const cumulative: number[] = []
  let running = 0
  for (const [, w] of items) cumulative.push((running += w / total))
  return () => {
    const r = random()
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! < r) lo = mid + 1
      else hi = mid
    }
    return items[lo]![0]
  }
}

export async function generateDemo(storage: Storage, options: DemoOptions): Promise<number> {
  const random = prng(options.seed ?? 42)
  const days = options.days ?? 365
  // With no span there is no instant to draw a visit from, and the draw below would never end.
  if (!(days > 0) || !Number.isFinite(days)) throw new RangeError(`days must be a positive number, not ${days}`)
  const endMs = options.endMs ?? Date.now()
  const startMs = endMs - days * DAY_MS
  const pick = {
    source: picker(SOURCES, random),
    client: picker(CLIENTS, random),
    country: picker(COUNTRIES, random),
    page: picker(PAGES, random),
    file: picker(FILES, random),
    outbound: picker(OUTBOUND, random),
    custom: picker(CUSTOM_EVENTS, random),
  }
  const id64 = () => ((BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 32)) | 1n).toString()
  // Consented visitors come back over months with the same id; a cookieless visitor is new each day.
  const returning = Array.from({ length: Math.max(10, Math.floor(options.events / 40)) }, () => ({ id: id64(), client: pick.client(), country: pick.country() }))

  /** A session start, drawn with the diurnal and weekly cycle and a slow growth over the period. */
  const sessionStart = (): number => {
    for (;;) {
      const t = startMs + random() * (endMs - startMs)
      const date = new Date(t)
      const growth = 0.6 + 0.4 * ((t - startMs) / (endMs - startMs))
      if (random() < HOURLY_UTC[date.getUTCHours()]! * WEEKDAY[date.getUTCDay()]! * growth) return t
    }
  }

  let batch: DemoRow[] = []
  let written = 0
  const flush = async () => {
    if (batch.length === 0) return
    await storage.insert({ table: 'cairn.events', values: batch, format: 'JSONEachRow' })
    written += batch.length
    batch = []
    options.onProgress?.(written, options.events)
  }

  while (written + batch.length < options.events && !options.signal?.aborted) {
    const start = sessionStart()
    const consent = random() < 0.35
    const visitor = consent ? returning[Math.floor(random() ** 2 * returning.length)]! : { id: id64(), client: pick.client(), country: pick.country() }
    const source = pick.source()
    const oneOf = (list: string[] | undefined) => (list ? list[Math.floor(random() * list.length)]! : '')
    const campaign = oneOf(source.utm?.campaigns)
    const [content, term] = [oneOf(source.utm?.contents), oneOf(source.utm?.terms)]
    const session = { id: id64(), start: clickhouseTime(start) }
    const ip = `::ffff:${Math.floor(random() * 223) + 1}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.0`
    const base = {
      site: options.site, visitor_id: visitor.id, session_id: session.id, session_start: session.start, consent,
      hostname: options.site, referrer: source.referrer, referrer_source: source.referrer_source,
      utm_source: source.utm?.source ?? '', utm_medium: source.utm?.medium ?? '', utm_campaign: campaign, utm_content: content, utm_term: term,
      ...visitor.client, country_code: visitor.country, ip_truncated: ip,
    }
    // event_id is left to the column's DEFAULT generateUUIDv4(): a third of the generation time otherwise.
    // The documentation is served from its own subdomain, as sites on several hosts are.
    const event = (name: string, at: number, pathname: string, extra: Partial<DemoRow> = {}): DemoRow => ({
      ...base, name, timestamp: clickhouseTime(at), pathname, hostname: pathname.startsWith('/docs') ? `docs.${options.site}` : options.site, interactive: true,
      link_url: '', props: {}, engagement_ms: 0, scroll_depth: 0, ...extra,
    })
    // 45 % of visits see one page; the rest a few more.
    const pages = random() < 0.45 ? 1 : 2 + Math.floor(random() ** 1.5 * 8)
    let at = start
    let path = source.utm || random() < 0.5 ? pick.page() : '/'
    for (let p = 0; p < pages; p++) {
      batch.push(event('pageview', at, path))
      const dwell = Math.floor(5_000 + random() ** 2 * 240_000)
      const roll = random()
      if (roll < 0.06) batch.push(event('download', at + dwell / 2, path, { link_url: `https://${options.site}${pick.file()}` }))
      else if (roll < 0.1) batch.push(event('outbound', at + dwell / 2, path, { link_url: pick.outbound() }))
      else if (roll < 0.13) {
        const custom = pick.custom()
        batch.push(event(custom.name, at + dwell / 3, path, { props: custom.props[Math.floor(random() * custom.props.length)]! }))
        // A quarter of signups ask for a demo right after: the demo's funnel (pricing → signup → demo) goes through.
        if (custom.name === 'Signup' && random() < 0.25) batch.push(event('Demo Request', at + (dwell * 2) / 3, path, { props: { size: '11-50' } }))
      }
      if (random() < 0.7) batch.push(event('engagement', at + dwell, path, { engagement_ms: dwell, scroll_depth: Math.floor(20 + random() * 81) }))
      at += dwell + Math.floor(random() * 20_000)
      path = pick.page()
      if (at > endMs) break
    }
    if (written + batch.length >= options.events) batch.length = options.events - written
    if (batch.length >= BATCH_ROWS || written + batch.length >= options.events) await flush()
  }
  if (!options.signal?.aborted) await flush()
  return written
}
