/**
 * The numbers of the dashboard, as ClickHouse queries over cairn.events and cairn.sessions_data.
 * Definitions (also in docs/stats-api.md): engagement events count only towards visit duration; visitors,
 * pageviews and events count the events of the range; visits, bounce rate and duration count the visits
 * that started in it, as Plausible does.
 */
import type { Storage } from '../../sql/client.ts'
import { BREAKDOWN_NAMES, DIMENSION, type Dimension, type DimensionName, type Metric } from '../../sql/dimensions.ts'
import { convertedVisitors, eventConditions, filterParams, visitConditions, visitFiltersOnly, type Filters } from './filters.ts'
import { PER_VISIT, goalCondition, type Goal } from '../../sql/goals.ts'
import { Batches } from './batch.ts'
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
  return {
    where: `${IN_RANGE} AND name != 'engagement'${eventConditions(q.filters)}`,
    params: rangeParams(q),
  }
}

/** cairn.events rows of the site in the range (local days read as instants in the site's zone). */
export const IN_RANGE =
  'site = {site:String} AND timestamp >= toDateTime64({from_incl:String}, 3, {tz:String}) AND timestamp < toDateTime64({to_excl:String}, 3, {tz:String})'

/** The range's and the filters' bound parameters. */
export function rangeParams(q: StatsQuery): Record<string, unknown> {
  return {
    site: q.site,
    tz: q.timeZone,
    ...filterParams(q.filters),
    // Local midnights, read as instants in the site's time zone by toDateTime64(…, tz).
    from_incl: `${q.range.from} 00:00:00`,
    to_excl: `${addDays(q.range.to, 1)} 00:00:00`,
    // An event counted in the range may belong to a visit that started the evening before.
    sessions_from: `${addDays(q.range.from, -1)} 00:00:00`,
    // The pages of a visit started in the range may come after its last day.
    events_to: `${addDays(q.range.to, 2)} 00:00:00`,
  }
}

/**
 * A visit's partial rows share its start, hence its month partition: FINAL need not merge across
 * partitions, which makes it several times cheaper.
 */
const SETTINGS = { do_not_merge_across_partitions_select_final: 1 } as const

export async function rows<T>(storage: Storage, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await storage.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: SETTINGS })
  return result.json<T>()
}

/**
 * One row per visit started in the range that matches the filters, merged from cairn.sessions_data
 * with only the columns asked for (entry and exit pages cost the most).
 */
function visits(q: StatsQuery, columns: string[] = []): string {
  const wanted = new Set(columns)
  if (q.filters.entry_page !== undefined) wanted.add('entry_page')
  const optional: Record<string, string> = {
    entry_page: 'finalizeAggregation(entry_state) AS entry_page',
    exit_page: 'finalizeAggregation(exit_state) AS exit_page',
    pageviews: 'pageview_count AS pageviews',
  }
  const extra = [...wanted].map((c) => optional[c] ?? c).join(', ')
  // FINAL merges a visit's partial rows at read time, cheaper than a GROUP BY over them.
  const merged = `(
    SELECT start, session_id, visitor_id, toUInt32(dateDiff('second', start, last_event_at)) AS duration,
           pageview_count <= 1 AND interactive_count = 0 AS is_bounce${extra ? `, ${extra}` : ''}
    FROM cairn.sessions_data FINAL
    WHERE site = {site:String} AND start >= toDateTime64({from_incl:String}, 3, {tz:String}) AND start < toDateTime64({to_excl:String}, 3, {tz:String})
          ${visitConditions(q.filters)})`
  // The entry page is known only once the partial rows are merged.
  return q.filters.entry_page === undefined ? merged : `(SELECT * FROM ${merged} WHERE entry_page = {f_entry_page:String})`
}

/** The partial rows of the visits started in the range, unmerged: enough to find the latest ones. */
function visitRows(q: StatsQuery): string {
  return `cairn.sessions_data
    WHERE site = {site:String} AND start >= toDateTime64({from_incl:String}, 3, {tz:String}) AND start < toDateTime64({to_excl:String}, 3, {tz:String})
          ${visitConditions(q.filters)}`
}

export const SERIES_METRICS = ['visitors', 'visits', 'pageviews', 'downloads', 'bounce_rate', 'visit_duration'] as const
export type SeriesPoint = { bucket: string } & Record<(typeof SERIES_METRICS)[number], number>

interface Summary {
  totals: Aggregate
  points: SeriesPoint[]
  /** With a goal folded in: its unique conversions (in the range, and in each point's bucket) and total conversions. */
  goal?: { visitors: number; events: number; points: number[] }
}

/** A computation that concurrent identical requests share: the first starts it, the others wait for it. */
export function sharedWhileRunning<T>(): (key: string, compute: () => Promise<T>) => Promise<T> {
  const running = new Map<string, Promise<T>>()
  return (key, compute) => {
    let pending = running.get(key)
    if (!pending) {
      pending = compute().finally(() => running.delete(key))
      running.set(key, pending)
    }
    return pending
  }
}

/**
 * The cards and the graph of one range come from the same two scans, grouped by bucket and for the whole
 * range at once, so the range's unique visitors are exact (not a sum of daily uniques). The dashboard asks for both at once;
 * concurrent identical requests share one computation.
 */
const summaries = sharedWhileRunning<Summary>()

/**
 * `goal`: a goal whose conversions the same scan counts (see `foldsGoal`), for the goal filter's cards
 * and graph (conversions.ts); the cards' and the graph's requests then still share one computation.
 */
export function summary(storage: Storage, q: StatsQuery, goal?: Goal): Promise<Summary> {
  return summaries(JSON.stringify([q, goal]), () => computeSummary(storage, q, goal))
}

/**
 * Whether the cards' own scan can count a goal's conversions: its events are among the scanned ones (not
 * engagement reports) and the filters select whole visits anyway (only a visit's attributes filter), as
 * conversions are counted over whole visits.
 */
export const foldsGoal = (q: StatsQuery, goal: Goal): boolean => !PER_VISIT.includes(goal.kind) && goal.kind !== 'engagement' && visitFiltersOnly(q.filters)

/** The graph's bucket of a time column, in the site's zone, as the text `buckets()` lists. */
export const bucketOf = (q: StatsQuery, column: string) =>
  q.range.interval === 'hour' ? `toString(toStartOfHour(${column}, {tz:String}))`
  : q.range.interval === 'day' ? `toString(toDate(${column}, {tz:String}))`
  : `toString(toStartOfMonth(${column}, {tz:String}))`

async function computeSummary(storage: Storage, q: StatsQuery, goal?: Goal): Promise<Summary> {
  const { where, params } = scope(q)
  const converted = goal && goalCondition(goal, 'goal')
  Object.assign(params, converted?.params)
  const bucket = (column: string) => bucketOf(q, column)
  type Table = { data: Record<string, string>[]; totals?: Record<string, string> }
  // GROUPING SETS ((bucket), ()): a row per bucket, and the whole range's row, where grouping(bucket) = 1.
  const withTotals = async (query: string): Promise<Table> => {
    const all = await rows<Record<string, string>>(storage, query, params)
    return { data: all.filter((r) => r.total === '0'), totals: all.find((r) => r.total === '1') }
  }
  const [events, sessions] = await Promise.all([
    withTotals(`
      SELECT ${bucket('timestamp')} AS bucket, grouping(bucket) AS total, uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews,
             countIf(name = 'download') AS downloads, uniqExactIf(visitor_id, name = 'download') AS downloaders,
             countIf(name != 'pageview') AS events${converted ? `, uniqExactIf(visitor_id, ${converted.sql}) AS conversions, countIf(${converted.sql}) AS conversion_events` : ''}
      FROM cairn.events WHERE ${where} GROUP BY GROUPING SETS ((bucket), ())`),
    // Bounce and duration of the visits that started in each bucket (and in the whole range).
    withTotals(`
      SELECT ${bucket('start')} AS bucket, grouping(bucket) AS total, count() AS visits, round(avg(is_bounce) * 100) AS bounce_rate, round(avg(duration)) AS visit_duration
      FROM ${visits(q)} GROUP BY GROUPING SETS ((bucket), ())`),
  ])
  const n = (v: string | number | undefined) => (v === undefined || v === null || Number.isNaN(Number(v)) ? 0 : Number(v))
  // Rounded by ClickHouse (half to even), as any SQL over the same rows rounds them.
  const rates = (r: Record<string, string> | undefined) => ({ visits: n(r?.visits), bounce_rate: n(r?.bounce_rate), visit_duration: n(r?.visit_duration) })
  const byBucket = new Map<string, SeriesPoint>()
  for (const bucket of buckets(q.range)) byBucket.set(bucket, { bucket, visitors: 0, visits: 0, pageviews: 0, downloads: 0, bounce_rate: 0, visit_duration: 0 })
  for (const r of events.data) {
    const point = byBucket.get(r.bucket!)
    if (point) Object.assign(point, { visitors: n(r.visitors), pageviews: n(r.pageviews), downloads: n(r.downloads) })
  }
  for (const r of sessions.data) {
    const point = byBucket.get(r.bucket!)
    if (point) Object.assign(point, rates(r))
  }
  const e = events.totals
  const totals = {
    visitors: n(e?.visitors),
    pageviews: n(e?.pageviews),
    downloads: n(e?.downloads),
    downloaders: n(e?.downloaders),
    events: n(e?.events),
    ...rates(sessions.totals),
  }
  const conversionsOf = new Map(events.data.map((r) => [r.bucket!, n(r.conversions)]))
  return {
    totals: { ...totals, views_per_visit: totals.visits ? Math.round((totals.pageviews / totals.visits) * 100) / 100 : 0 },
    points: [...byBucket.values()],
    ...(converted && { goal: { visitors: n(e?.conversions), events: n(e?.conversion_events), points: [...byBucket.keys()].map((b) => conversionsOf.get(b) ?? 0) } }),
  }
}

/** `goal`: the goal filter's, folded into the same scan when it can be (its conversions are conversions.ts's). */
export async function aggregate(storage: Storage, q: StatsQuery, goal?: Goal): Promise<Aggregate> {
  return (await summary(storage, q, goal && foldsGoal(q, goal) ? goal : undefined)).totals
}

export { buckets }

export async function timeseries(storage: Storage, q: StatsQuery, goal?: Goal): Promise<SeriesPoint[]> {
  return (await summary(storage, q, goal && foldsGoal(q, goal) ? goal : undefined)).points
}

/** What each metric of a breakdown counts, by where its rows come from (sql/dimensions.ts says which it shows). */
const METRIC_SQL: Record<'events' | 'visits', Partial<Record<Metric, string>>> = {
  events: { visitors: 'uniqExact(visitor_id)', visits: 'uniqExact(session_id)', pageviews: 'count()', count: 'count()' },
  visits: { visitors: 'uniqExact(visitor_id)', visits: 'count()', bounce_rate: 'round(avg(is_bounce) * 100)' },
}

export type BreakdownName = (typeof BREAKDOWN_NAMES)[number]
export { BREAKDOWN_NAMES }

/** A breakdown's dimension, with its breakdown (every name of BREAKDOWN_NAMES has one). */
export function breakdownOf(name: BreakdownName): Dimension & { breakdown: NonNullable<Dimension['breakdown']> } {
  return DIMENSION[name as DimensionName] as Dimension & { breakdown: NonNullable<Dimension['breakdown']> }
}

export interface BreakdownOptions {
  sort: { metric: string; direction: 'asc' | 'desc' }
  limit: number
  offset: number
}

export type BreakdownRow = { value: string } & Record<string, number>

/** A breakdown's metrics while a goal filters: the visitors who converted, and their share of the row's visitors. */
export const GOAL_METRICS = ['visitors', 'conversion_rate'] as const

/**
 * Breakdowns of one range and filters asked together (a dashboard load asks for six or seven at once) run
 * as one query (batch.ts): each query costs the embedded engine ~5 ms whatever it does, and goal-filtered
 * ones share the set of visitors who converted, which ClickHouse then builds once.
 */
const batches = new WeakMap<Storage, Batches>()

export async function breakdown(storage: Storage, q: StatsQuery, name: BreakdownName, options: BreakdownOptions, goal?: Goal): Promise<BreakdownRow[]> {
  const { column, breakdown: def } = breakdownOf(name)
  const { where, params } = scope(q)
  let names: readonly string[] = def.metrics
  let metrics = def.metrics.map((m) => `${METRIC_SQL[def.from][m]} AS ${m}`).join(', ')
  let having = ''
  if (goal) {
    const converted = convertedVisitors(goal, q.filters)
    Object.assign(params, converted.params)
    names = GOAL_METRICS
    metrics = `uniqExactIf(visitor_id, ${converted.sql}) AS visitors, round(visitors / uniqExact(visitor_id) * 100, 1) AS conversion_rate`
    having = ' HAVING visitors > 0'
  }
  const extra = def.where ? ` AND ${def.where}` : ''
  const source = def.from === 'events' ? `FROM cairn.events WHERE ${where}${extra}` : `FROM ${visits(q, [column])} WHERE 1${extra}`
  // The sort column is one of this breakdown's own metric names (validated by the caller), or the value.
  const order = options.sort.metric === 'value' ? `value ${options.sort.direction}` : `${options.sort.metric} ${options.sort.direction}, value`
  // Every breakdown's rows in one shape, (value, [metrics…]), so that different ones can share a UNION ALL.
  const select = (suffix: string) => ({
    sql: `SELECT value, [${names.map((m) => `toFloat64(${m})`).join(', ')}] AS numbers FROM (
            SELECT toString(${column}) AS value, ${metrics} ${source}
            GROUP BY value${having} ORDER BY ${order} LIMIT {limit${suffix}:UInt32} OFFSET {offset${suffix}:UInt32})`,
    params: { ...params, [`limit${suffix}`]: options.limit, [`offset${suffix}`]: options.offset },
  })
  let result: { value: string; numbers: number[] }[]
  // Over months, a breakdown's own cost dwarfs the engine's per query, and running them all at once would
  // hold every panel's unique counts in memory together (a 100 M-event year: 1.9 → 3.7 GiB): alone, then,
  // unless a goal's shared set pays for it.
  if (goal || q.range.interval !== 'month') {
    let batch = batches.get(storage)
    if (!batch) batches.set(storage, (batch = new Batches(storage, SETTINGS)))
    result = (await batch.run(JSON.stringify([q, goal ?? null]), select)) as unknown as typeof result
  } else {
    const { sql, params } = select('')
    result = await rows(storage, sql, params)
  }
  return result.map((r) => ({ value: r.value, ...Object.fromEntries(names.map((m, i) => [m, r.numbers[i]!])) }) as BreakdownRow)
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

/**
 * Recent visits, without any identifier: what a visit looked like, not who made it. The latest visits are
 * looked for in the range's last day first, then its last week, month, and the whole range: a page of them
 * almost always lies in the last day, and reading a year of visits to find ten would cost as much as a report.
 */
export async function recentSessions(storage: Storage, q: StatsQuery, limit: number, offset: number): Promise<SessionSummary[]> {
  for (const days of [1, 7, 31, Infinity]) {
    const from = addDays(q.range.to, -(days - 1))
    const whole = !Number.isFinite(days) || from <= q.range.from
    const found = await latestSessions(storage, whole ? q : { ...q, range: { ...q.range, from } }, limit, offset)
    if (whole || found.length === limit) return found
  }
  return []
}

async function latestSessions(storage: Storage, q: StatsQuery, limit: number, offset: number): Promise<SessionSummary[]> {
  const { params } = scope(q)
  const columns = `toString(toTimeZone(start, {tz:String})) AS started, toUInt32(dateDiff('second', start, max(last_event_at))) AS duration,
    argMinMerge(entry_state) AS entry_page, argMaxMerge(exit_state) AS exit_page, sum(pageview_count) AS pageviews,
    any(referrer_source) AS source, any(device) AS device, any(browser) AS browser, any(os) AS os, any(country_code) AS country`
  if (q.filters.entry_page !== undefined) {
    // The entry page is known only after the merge, so every visit of the range is merged.
    const result = await rows<Record<string, string>>(storage, `
      SELECT ${columns} FROM ${visitRows(q)} GROUP BY start, session_id HAVING entry_page = {f_entry_page:String}
      ORDER BY start DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`, { ...params, limit, offset })
    return result.map(summarize)
  }
  // The latest visits' keys come from the unmerged rows (a top-N on start); only those are merged.
  const result = await rows<Record<string, string>>(storage, `
    WITH latest AS (SELECT start, session_id FROM ${visitRows(q)} ORDER BY start DESC LIMIT 1 BY start, session_id LIMIT {limit:UInt32} + {offset:UInt32})
    SELECT ${columns} FROM cairn.sessions_data
    WHERE site = {site:String} AND start >= (SELECT min(start) FROM latest) AND (start, session_id) IN latest
    GROUP BY start, session_id ORDER BY start DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`, { ...params, limit, offset })
  return result.map(summarize)
}

/** `started`, not `start`, in SQL: a ClickHouse alias would shadow the column. */
function summarize({ started, ...r }: Record<string, string>): SessionSummary {
  return { start: started, ...r, duration: Number(r.duration), pageviews: Number(r.pageviews) } as unknown as SessionSummary
}
