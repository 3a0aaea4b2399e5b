/**
 * The numbers of the dashboard, as ClickHouse queries over cairn.events and cairn.sessions. Definitions
 * (also in docs/stats-api.md): engagement events count only towards visit duration; a visit is a
 * session with at least one other event in the range; bounce rate and duration are those visits'.
 */
import type { Storage } from '../../sql/client.ts'
import { filterSql, type Filters } from './filters.ts'
import { addDays, buckets, type DateRange } from './range.ts'

export interface StatsQuery {
  site: string
  timeZone: string
  range: DateRange
  filters: Filters
}

export interface Aggregate {
  visitors: number
  visits: number
  pageviews: number
  views_per_visit: number
  bounce_rate: number
  visit_duration: number
  downloads: number
  downloaders: number
  events: number
}

/** Parameters and the WHERE clause every events query of `q` shares. */
function scope(q: StatsQuery): { where: string; params: Record<string, unknown> } {
  const filters = filterSql(q.filters)
  return {
    where: `site = {site:String} AND timestamp >= toDateTime64({from_incl:String}, 3, {tz:String}) AND timestamp < toDateTime64({to_excl:String}, 3, {tz:String}) AND name != 'engagement'${filters.sql}`,
    params: {
      site: q.site,
      tz: q.timeZone,
      ...filters.params,
      // Local midnights, read as instants in the site's time zone by toDateTime64(…, tz).
      from_incl: `${q.range.from} 00:00:00`,
      to_excl: `${addDays(q.range.to, 1)} 00:00:00`,
      // A visit counted in the range may have started the evening before.
      sessions_from: `${addDays(q.range.from, -1)} 00:00:00`,
    },
  }
}

async function rows<T>(storage: Storage, _q: StatsQuery, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await storage.query({ query, query_params: params, format: 'JSONEachRow' })
  return result.json<T>()
}

const VISITS_OF = (where: string) => `
  FROM cairn.sessions
  WHERE site = {site:String} AND start >= toDateTime64({sessions_from:String}, 3, {tz:String}) AND start < toDateTime64({to_excl:String}, 3, {tz:String})
    AND session_id IN (SELECT session_id FROM cairn.events WHERE ${where})`

export async function aggregate(storage: Storage, q: StatsQuery): Promise<Aggregate> {
  const { where, params } = scope(q)
  const [[events], [visits]] = await Promise.all([
    rows<Record<string, string>>(storage, q, `
      SELECT uniqExact(visitor_id) AS visitors, uniqExact(session_id) AS visits, countIf(name = 'pageview') AS pageviews,
             countIf(name = 'download') AS downloads, uniqExactIf(visitor_id, name = 'download') AS downloaders,
             countIf(name != 'pageview') AS events
      FROM cairn.events WHERE ${where}`, params),
    rows<Record<string, string>>(storage, q, `
      SELECT round(avg(is_bounce) * 100) AS bounce_rate, round(avg(duration)) AS visit_duration ${VISITS_OF(where)}`, params),
  ])
  const n = (v: string | undefined) => (v === undefined || v === null || Number.isNaN(Number(v)) ? 0 : Number(v))
  const result = {
    visitors: n(events?.visitors),
    visits: n(events?.visits),
    pageviews: n(events?.pageviews),
    downloads: n(events?.downloads),
    downloaders: n(events?.downloaders),
    events: n(events?.events),
    bounce_rate: n(visits?.bounce_rate),
    visit_duration: n(visits?.visit_duration),
  }
  return { ...result, views_per_visit: result.visits ? Math.round((result.pageviews / result.visits) * 100) / 100 : 0 }
}

export const SERIES_METRICS = ['visitors', 'visits', 'pageviews', 'downloads', 'bounce_rate', 'visit_duration'] as const
export type SeriesPoint = { bucket: string } & Record<(typeof SERIES_METRICS)[number], number>

export async function timeseries(storage: Storage, q: StatsQuery): Promise<SeriesPoint[]> {
  const { where, params } = scope(q)
  const bucketOf = (column: string) =>
    q.range.interval === 'hour' ? `toString(toStartOfHour(${column}, {tz:String}))`
    : q.range.interval === 'day' ? `toString(toDate(${column}, {tz:String}))`
    : `toString(toStartOfMonth(${column}, {tz:String}))`
  const [events, visits] = await Promise.all([
    rows<Record<string, string>>(storage, q, `
      SELECT ${bucketOf('timestamp')} AS bucket, uniqExact(visitor_id) AS visitors, uniqExact(session_id) AS visits,
             countIf(name = 'pageview') AS pageviews, countIf(name = 'download') AS downloads
      FROM cairn.events WHERE ${where} GROUP BY bucket`, params),
    // Bounce and duration of the visits that started in each bucket.
    rows<Record<string, string>>(storage, q, `
      SELECT ${bucketOf('start')} AS bucket, round(avg(is_bounce) * 100) AS bounce_rate, round(avg(duration)) AS visit_duration
      ${VISITS_OF(where)} AND start >= toDateTime64({from_incl:String}, 3, {tz:String}) GROUP BY bucket`, params),
  ])
  const byBucket = new Map<string, SeriesPoint>()
  for (const bucket of buckets(q.range)) byBucket.set(bucket, { bucket, visitors: 0, visits: 0, pageviews: 0, downloads: 0, bounce_rate: 0, visit_duration: 0 })
  for (const r of [...events, ...visits]) {
    const point = byBucket.get(r.bucket!)
    if (!point) continue
    for (const [k, v] of Object.entries(r)) if (k !== 'bucket') (point as Record<string, unknown>)[k] = Number(v)
  }
  return [...byBucket.values()]
}

/** Each breakdown: where its rows come from, what it groups by, and which metrics it shows. */
export const BREAKDOWNS = {
  page: { from: 'events', dimension: 'pathname', where: "name = 'pageview'", metrics: ['visitors', 'pageviews'] },
  entry_page: { from: 'sessions', dimension: 'entry_page', metrics: ['visits', 'visitors', 'bounce_rate'] },
  exit_page: { from: 'sessions', dimension: 'exit_page', metrics: ['visits', 'visitors', 'bounce_rate'] },
  source: { from: 'events', dimension: 'referrer_source', metrics: ['visitors', 'visits'] },
  utm_source: { from: 'events', dimension: 'utm_source', where: "utm_source != ''", metrics: ['visitors', 'visits'] },
  utm_medium: { from: 'events', dimension: 'utm_medium', where: "utm_medium != ''", metrics: ['visitors', 'visits'] },
  utm_campaign: { from: 'events', dimension: 'utm_campaign', where: "utm_campaign != ''", metrics: ['visitors', 'visits'] },
  download: { from: 'events', dimension: 'link_url', where: "name = 'download'", metrics: ['count', 'visitors'] },
  outbound: { from: 'events', dimension: 'link_url', where: "name = 'outbound'", metrics: ['count', 'visitors'] },
  country: { from: 'events', dimension: 'country_code', metrics: ['visitors', 'visits'] },
  browser: { from: 'events', dimension: 'browser', metrics: ['visitors', 'visits'] },
  os: { from: 'events', dimension: 'os', metrics: ['visitors', 'visits'] },
  device: { from: 'events', dimension: 'device', metrics: ['visitors', 'visits'] },
  event: { from: 'events', dimension: 'name', where: "name NOT IN ('pageview', 'download', 'outbound')", metrics: ['count', 'visitors'] },
  consent: { from: 'events', dimension: 'toString(consent)', metrics: ['visitors', 'visits'] },
} as const satisfies Record<string, { from: 'events' | 'sessions'; dimension: string; where?: string; metrics: readonly string[] }>

export type BreakdownName = keyof typeof BREAKDOWNS
export const BREAKDOWN_NAMES = Object.keys(BREAKDOWNS) as BreakdownName[]

const METRIC_SQL: Record<string, string> = {
  visitors: 'uniqExact(visitor_id)',
  visits: "uniqExact(session_id)",
  pageviews: 'count()',
  count: 'count()',
  bounce_rate: 'round(avg(is_bounce) * 100)',
}

export interface BreakdownOptions {
  sort: { metric: string; direction: 'asc' | 'desc' }
  limit: number
  offset: number
}

export type BreakdownRow = { value: string } & Record<string, number>

export async function breakdown(storage: Storage, q: StatsQuery, name: BreakdownName, options: BreakdownOptions): Promise<BreakdownRow[]> {
  const def = BREAKDOWNS[name]
  const { where, params } = scope(q)
  const metrics = def.metrics.map((m) => `${m === 'visits' && def.from === 'sessions' ? 'count()' : METRIC_SQL[m]} AS ${m}`).join(', ')
  const extra = 'where' in def ? ` AND ${def.where}` : ''
  const source = def.from === 'events' ? `FROM cairn.events WHERE ${where}${extra}` : VISITS_OF(where)
  // The sort column is one of this breakdown's own metric names (validated by the caller), or the value.
  const order = options.sort.metric === 'value' ? `value ${options.sort.direction}` : `${options.sort.metric} ${options.sort.direction}, value`
  const result = await rows<Record<string, string>>(storage, q, `
    SELECT ${def.dimension} AS value, ${metrics} ${source}
    GROUP BY value ORDER BY ${order} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { ...params, limit: options.limit, offset: options.offset })
  return result.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'value' ? v : Number(v)])) as BreakdownRow)
}

export async function realtime(storage: Storage, site: string, nowMs: number): Promise<number> {
  const result = await storage.query({
    query: `SELECT uniqExact(visitor_id) AS visitors FROM cairn.events
            WHERE site = {site:String} AND timestamp >= fromUnixTimestamp64Milli({since:Int64}) AND timestamp <= fromUnixTimestamp64Milli({now:Int64})
              AND name != 'engagement'`,
    query_params: { site, since: nowMs - 5 * 60_000, now: nowMs },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ visitors: string }>()
  return Number(row?.visitors ?? 0)
}

export interface SessionSummary {
  start: string
  duration: number
  entry_page: string
  exit_page: string
  pageviews: number
  source: string
  device: string
  browser: string
  os: string
  country: string
}

/** Recent visits, without any identifier: what a visit looked like, not who made it. */
export async function recentSessions(storage: Storage, q: StatsQuery, limit: number, offset: number): Promise<SessionSummary[]> {
  const { where, params } = scope(q)
  const result = await rows<Record<string, string>>(storage, q, `
    SELECT toString(toTimeZone(start, {tz:String})) AS started, duration, entry_page, exit_page, pageviews, referrer_source AS source,
           device, browser, os, country_code AS country
    ${VISITS_OF(where)}
    ORDER BY sessions.start DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`, { ...params, limit, offset })
  // \`started\`, not \`start\`: a ClickHouse alias would shadow the column in the WHERE clause.
  return result.map(({ started, ...r }) => ({ start: started, ...r, duration: Number(r.duration), pageviews: Number(r.pageviews) }) as unknown as SessionSummary)
}
