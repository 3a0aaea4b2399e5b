/**
 * The numbers of the dashboard, as ClickHouse queries over cairn.events and cairn.sessions_data.
 * Definitions (also in docs/stats-api.md): engagement events count only towards visit duration; visitors,
 * pageviews and events count the events of the range; visits, bounce rate and duration count the visits
 * that started in it, as Plausible does.
 */
import type { Storage } from '../../sql/client.ts'
import { BREAKDOWN_NAMES, DIMENSION, type Dimension, type DimensionName, type Metric } from '../../sql/dimensions.ts'
import { convertedVisitors, visitFiltersOnly } from './filters.ts'
import { PER_VISIT, goalCondition, type Goal } from '../../sql/goals.ts'
import { Batches, sharedWhileRunning } from './batch.ts'
import { addDays, buckets } from './range.ts'
import { IN_RANGE, SETTINGS, bucketOf, rangeParams, rows, scope, visitRows, visits, type StatsQuery } from './sources.ts'
import { EXACT_UP_TO, SEAL_ROWS, STATE, fromSealAlone, rawPart, sealParams, withSeal, type Seal } from './rollups.ts'

export { IN_RANGE, bucketOf, rangeParams, rows, type StatsQuery }


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



export const SERIES_METRICS = ['visitors', 'visits', 'pageviews', 'downloads', 'bounce_rate', 'visit_duration'] as const
export type SeriesPoint = { bucket: string } & Record<(typeof SERIES_METRICS)[number], number>

interface Summary {
  totals: Aggregate
  points: SeriesPoint[]
  /** With a goal folded in: its unique conversions (in the range, and in each point's bucket) and total conversions. */
  goal?: { visitors: number; events: number; points: number[] }
  /** The metrics of which some figure is an estimate (merged from a rollup's sketch), of the cards and of the points. */
  approximate: { totals: string[]; points: string[] }
  /** The visits' bounces and seconds, of the range and of each point: what imported figures are weighed with (imported.ts). */
  sums: { totals: VisitSums; points: VisitSums[] }
}

export interface VisitSums {
  bounces: number
  duration: number
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


async function computeSummary(storage: Storage, q: StatsQuery, goal?: Goal): Promise<Summary> {
  if (!goal) {
    const sealed = await withSeal(storage, q, async (seal) => !seal ? undefined
      : rawPart(q, seal) ? sealedSummary(storage, q, seal)
      : fromSealAlone(storage, seal, JSON.stringify(['summary', q.range]), () => sealedSummary(storage, q, seal)))
    if (sealed) return sealed
  }
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
      SELECT ${bucket('start')} AS bucket, grouping(bucket) AS total, count() AS visits, round(avg(is_bounce) * 100) AS bounce_rate, round(avg(duration)) AS visit_duration,
             sum(is_bounce) AS bounces, sum(duration) AS duration_total
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
  const sumsOf = (r: Record<string, string> | undefined): VisitSums => ({ bounces: n(r?.bounces), duration: n(r?.duration_total) })
  const sumsByBucket = new Map(sessions.data.map((r) => [r.bucket!, sumsOf(r)]))
  return {
    totals: { ...totals, views_per_visit: totals.visits ? Math.round((totals.pageviews / totals.visits) * 100) / 100 : 0 },
    points: [...byBucket.values()],
    ...(converted && { goal: { visitors: n(e?.conversions), events: n(e?.conversion_events), points: [...byBucket.keys()].map((b) => conversionsOf.get(b) ?? 0) } }),
    approximate: { totals: [], points: [] },
    sums: { totals: sumsOf(sessions.totals), points: [...byBucket.keys()].map((b) => sumsByBucket.get(b) ?? { bounces: 0, duration: 0 }) },
  }
}

const n = (v: string | number | undefined) => (v === undefined || v === null || Number.isNaN(Number(v)) ? 0 : Number(v))
/**
 * How many sides (1: the seal, 2: the events after it) hold a row's distinct counts; 0 marks rows of the
 * events that hold none (the visits' sums).
 */
export const SIDES = 'uniqExactIf(side, side > 0)'
/**
 * A distinct count of a rollup's rows: exact when one side holds the row. When both do, the seal's exact
 * count plus what the days after it add to the seal's own estimate (the merged sketches' estimate less
 * the seal's), so that the sketch errs only on what they add (rollups.ts, STATE); never less than the
 * larger side's exact count, nor more than both.
 */
export const distinct = (state: string, exact: string, estimate: string) => `if(${SIDES} = 1, sum(${exact}), toUInt64(greatest(toInt64(max(${exact})),
  least(toInt64(sum(${exact})), toInt64(sumIf(${exact}, side = 1)) + toInt64(${STATE.replace('(', 'Merge(')}(${state})) - toInt64(sumIf(${estimate}, side = 1))))))`
const stateOf = (column: string, condition?: string) => condition === undefined ? `${STATE.replace('(', 'State(')}(${column})` : `${STATE.replace('(', 'StateIf(')}(${column}, ${condition})`
/** The distinct-count metrics of which a figure merged from both sides is an estimate once it is large. */
const estimates = (row: Record<string, unknown>, metrics: Record<string, number>, names: readonly string[]) =>
  Number(row.sides) === 2 ? names.filter((m) => (metrics[m] ?? 0) > EXACT_UP_TO) : []

/**
 * The cards and the graph from a seal of the range's settled days and the events of the days after it:
 * counts add up; distinct counts are exact where one side holds a bucket (a day), the seal's exact count
 * plus what the days after it add where both do (the whole range, the month that runs on: `distinct`).
 */
async function sealedSummary(storage: Storage, q: StatsQuery, seal: Seal): Promise<Summary> {
  const raw = rawPart(q, seal)
  const params: Record<string, unknown> = { ...sealParams(seal), bucket_dim: q.range.interval }
  const parts = [`SELECT 1 AS side, dimension, value, visitors, visitors_estimate, visitors_exact, downloaders, downloaders_estimate, downloaders_exact, pageviews, downloads, events, visits, bounces, duration
    FROM cairn.range_rollups WHERE ${SEAL_ROWS} AND dimension IN ('', {bucket_dim:String})`]
  if (raw) {
    const { where, params: rawParams } = scope(raw)
    Object.assign(params, rawParams)
    const labelled = `if(total = 1, '', {bucket_dim:String}) AS dimension, if(total = 1, '', bucket) AS value`
    parts.push(`SELECT 2, ${labelled}, visitors, 0, visitors_exact, downloaders, 0, downloaders_exact, pageviews, downloads, events, 0, 0, 0 FROM (
      SELECT ${bucketOf(raw, 'timestamp')} AS bucket, grouping(bucket) AS total, ${stateOf('visitor_id')} AS visitors, uniqExact(visitor_id) AS visitors_exact,
             ${stateOf('visitor_id', "name = 'download'")} AS downloaders, uniqExactIf(visitor_id, name = 'download') AS downloaders_exact,
             countIf(name = 'pageview') AS pageviews, countIf(name = 'download') AS downloads, countIf(name != 'pageview') AS events
      FROM cairn.events WHERE ${where} GROUP BY GROUPING SETS ((bucket), ()))`)
    // Side 0: a visit left open by the seal and counted here is in a bucket whose visitors the seal holds.
    parts.push(`SELECT 0, ${labelled}, empty, 0, 0, empty, 0, 0, 0, 0, 0, visits, bounces, duration FROM (
      SELECT ${bucketOf(raw, 'start')} AS bucket, grouping(bucket) AS total, ${stateOf('toUInt64(visitor_id)', 'false')} AS empty,
             count() AS visits, sum(is_bounce) AS bounces, sum(duration) AS duration
      FROM ${visits(raw)} GROUP BY GROUPING SETS ((bucket), ()))`)
  }
  const found = await rows<Record<string, string>>(storage, `
    SELECT dimension AS d, value AS bucket, ${SIDES} AS sides, ${distinct('visitors', 'visitors_exact', 'visitors_estimate')} AS n_visitors, sum(pageviews) AS n_pageviews,
           sum(downloads) AS n_downloads, ${distinct('downloaders', 'downloaders_exact', 'downloaders_estimate')} AS n_downloaders, sum(events) AS n_events, sum(visits) AS n_visits,
           round(sum(bounces) / sum(visits) * 100) AS n_bounce_rate, round(sum(duration) / sum(visits)) AS n_visit_duration,
           sum(bounces) AS n_bounces, sum(duration) AS n_duration
    FROM (${parts.join(' UNION ALL ')}) GROUP BY dimension, value`, params)
  const numbers = (r: Record<string, string> | undefined) => Object.fromEntries(
    ['visitors', 'pageviews', 'downloads', 'downloaders', 'events', 'visits', 'bounce_rate', 'visit_duration'].map((m) => [m, n(r?.[`n_${m}`])]))
  const totalsRow = found.find((r) => r.d === '')
  const totals = numbers(totalsRow) as unknown as Omit<Aggregate, 'views_per_visit'>
  const approximate = { totals: totalsRow ? estimates(totalsRow, totals as unknown as Record<string, number>, ['visitors', 'downloaders']) : [], points: new Set<string>() }
  const byBucket = new Map<string, SeriesPoint>()
  const sums = new Map<string, VisitSums>()
  for (const bucket of buckets(q.range)) byBucket.set(bucket, { bucket, visitors: 0, visits: 0, pageviews: 0, downloads: 0, bounce_rate: 0, visit_duration: 0 })
  for (const r of found) {
    const point = r.d === '' ? undefined : byBucket.get(r.bucket!)
    if (!point) continue
    const { visitors, visits, pageviews, downloads, bounce_rate, visit_duration } = numbers(r)
    Object.assign(point, { visitors, visits, pageviews, downloads, bounce_rate, visit_duration })
    sums.set(r.bucket!, { bounces: n(r.n_bounces), duration: n(r.n_duration) })
    for (const m of estimates(r, { visitors: point.visitors }, ['visitors'])) approximate.points.add(m)
  }
  return {
    totals: { ...totals, views_per_visit: totals.visits ? Math.round((totals.pageviews / totals.visits) * 100) / 100 : 0 },
    points: [...byBucket.values()],
    approximate: { totals: approximate.totals, points: [...approximate.points] },
    sums: { totals: { bounces: n(totalsRow?.n_bounces), duration: n(totalsRow?.n_duration) }, points: [...byBucket.keys()].map((b) => sums.get(b) ?? { bounces: 0, duration: 0 }) },
  }
}

/**
 * The cards, and the metrics of which a figure is an estimate. `goal`: the goal filter's, folded into the
 * same scan when it can be (its conversions are conversions.ts's).
 */
export async function aggregateWithEstimates(storage: Storage, q: StatsQuery, goal?: Goal): Promise<{ results: Aggregate; approximate: string[]; sums: VisitSums }> {
  const { totals, approximate, sums } = await summary(storage, q, goal && foldsGoal(q, goal) ? goal : undefined)
  return { results: totals, approximate: approximate.totals, sums: sums.totals }
}

export async function aggregate(storage: Storage, q: StatsQuery, goal?: Goal): Promise<Aggregate> {
  return (await aggregateWithEstimates(storage, q, goal)).results
}

export { buckets }

export async function timeseriesWithEstimates(storage: Storage, q: StatsQuery, goal?: Goal): Promise<{ points: SeriesPoint[]; approximate: string[]; sums: VisitSums[] }> {
  const { points, approximate, sums } = await summary(storage, q, goal && foldsGoal(q, goal) ? goal : undefined)
  return { points, approximate: approximate.points, sums: sums.points }
}

export async function timeseries(storage: Storage, q: StatsQuery, goal?: Goal): Promise<SeriesPoint[]> {
  return (await timeseriesWithEstimates(storage, q, goal)).points
}

/** What each metric of a breakdown counts, by where its rows come from (sql/dimensions.ts says which it shows). */
const METRIC_SQL: Record<'events' | 'visits', Partial<Record<Metric | 'bounces', string>>> = {
  events: { visitors: 'uniqExact(visitor_id)', visits: 'uniqExact(session_id)', pageviews: 'count()', count: 'count()' },
  // bounces: asked with a bounce rate when imported figures are weighed in (imported.ts).
  visits: { visitors: 'uniqExact(visitor_id)', visits: 'count()', bounce_rate: 'round(avg(is_bounce) * 100)', bounces: 'sum(is_bounce)' },
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
  /** Also each row's bounces, where it has a bounce rate: what imported rows are weighed with (imported.ts). */
  withBounces?: boolean
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
  return (await breakdownWithEstimates(storage, q, name, options, goal)).rows
}

/** A breakdown's rows, and the metrics of which a figure is an estimate (read from a rollup). */
export async function breakdownWithEstimates(storage: Storage, q: StatsQuery, name: BreakdownName, options: BreakdownOptions, goal?: Goal): Promise<{ rows: BreakdownRow[]; approximate: string[] }> {
  return goal ? breakdownFrom(storage, q, name, options, goal, undefined) : withSeal(storage, q, (seal) => breakdownFrom(storage, q, name, options, undefined, seal))
}

async function breakdownFrom(storage: Storage, q: StatsQuery, name: BreakdownName, options: BreakdownOptions, goal: Goal | undefined, seal: Seal | undefined): Promise<{ rows: BreakdownRow[]; approximate: string[] }> {
  const { column, breakdown: def } = breakdownOf(name)
  const { where, params } = scope(q)
  const own: readonly (Metric | 'bounces')[] = options.withBounces && def.metrics.includes('bounce_rate') ? [...def.metrics, 'bounces'] : def.metrics
  let names: readonly string[] = own
  let metrics = own.map((m) => `${METRIC_SQL[def.from][m]} AS ${m}`).join(', ')
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
  const select = (suffix: string) => {
    const paging = { [`limit${suffix}`]: options.limit, [`offset${suffix}`]: options.offset }
    return {
      sql: `SELECT value, [${names.map((m) => `toFloat64(${m})`).join(', ')}] AS numbers, 1 AS sides FROM (
            SELECT toString(${column}) AS value, ${metrics} ${source}
            GROUP BY value${having} ORDER BY ${order} LIMIT {limit${suffix}:UInt32} OFFSET {offset${suffix}:UInt32})`,
      params: { ...params, ...paging },
    }
  }
  let result: { value: string; numbers: number[]; sides: number }[]
  // Over months, a breakdown's own cost dwarfs the engine's per query, and running them all at once would
  // hold every panel's unique counts in memory together (a 100 M-event year: 1.9 → 3.7 GiB): alone, then,
  // unless a goal's shared set pays for it, or a rollup holds the counts.
  if (goal || seal || q.range.interval !== 'month') {
    let batch = batches.get(storage)
    if (!batch) batches.set(storage, (batch = new Batches(storage, SETTINGS)))
    const key = JSON.stringify([q, goal ?? null, seal?.sealedAt ?? null])
    result = (seal
      ? await batch.run(key, (): SealedPanel => ({ name, names, options }), (panels) => sealedBreakdowns(q, seal, panels))
      : await batch.run(key, select)) as unknown as typeof result
  } else {
    const { sql, params } = select('')
    result = await rows(storage, sql, params)
  }
  const approximate = new Set<string>()
  const distinctMetrics = def.from === 'events' ? ['visitors', 'visits'] : ['visitors']
  const found = result.map((r) => {
    const row = { value: r.value, ...Object.fromEntries(names.map((m, i) => [m, Number(r.numbers[i]!)])) } as BreakdownRow
    for (const m of estimates(r, row, distinctMetrics)) approximate.add(m)
    return row
  })
  return { rows: found, approximate: [...approximate] }
}

/** One breakdown of a load read from a seal: which, its metrics' names, its sort and page. */
interface SealedPanel {
  name: BreakdownName
  names: readonly string[]
  options: BreakdownOptions
}

/**
 * The breakdowns of one load from a seal of the range's settled days and the events of the days after
 * it, in one query that reads each source once: the seal's rows of every dimension asked, the events
 * and the visits of the days after it each scanned once, a row per (dimension, value) of each (ARRAY
 * JOIN), merged, then each panel's rows sorted and paged as the events' own are (its metric names, then
 * the value). Reading them panel by panel cost the embedded engine twice as much (a scan and a read of
 * the seal each, and a query's fixed cost). Rows: (part, position, value, numbers, sides).
 */
function sealedBreakdowns(q: StatsQuery, seal: Seal, panels: SealedPanel[]): { sql: string; params: Record<string, unknown> } {
  const raw = rawPart(q, seal)
  const dims = [...new Set(panels.map((p) => p.name))]
  const params: Record<string, unknown> = { ...sealParams(seal), dims }
  // Distinct visits of events (the versions' panels) only when asked: their sketches cost a sixth of the query.
  const sessions = panels.some((p) => breakdownOf(p.name).breakdown.from === 'events' && p.names.includes('visits'))
  const parts = [`SELECT 1 AS side, dimension AS dim, value, visitors AS v_state, visitors_exact AS v_exact, visitors_estimate AS v_estimate${sessions ? ', sessions AS s_state, sessions_exact AS s_exact, sessions_estimate AS s_estimate' : ''}, rows, visits, bounces
    FROM cairn.range_rollups WHERE ${SEAL_ROWS} AND dimension IN {dims:Array(String)}`]
  if (raw) {
    const { where, params: rawParams } = scope(raw)
    Object.assign(params, rawParams)
    // A row per (dimension, value) the event or visit counts in, for each dimension asked of its kind
    // (names from BREAKDOWN_NAMES, which the routes check a request's against).
    const pairs = (from: 'events' | 'visits') => {
      const mine = dims.filter((n) => breakdownOf(n).breakdown.from === from)
      if (mine.length === 0) return undefined
      return `arrayJoin(arrayConcat(${mine.map((n) => {
        const { column, breakdown: def } = breakdownOf(n)
        return `if(${def.where ?? 'true'}, [('${n}', toString(${column}))], [])`
      }).join(', ')})) AS pair`
    }
    const ofEvents = pairs('events')
    if (ofEvents) {
      parts.push(`SELECT 2, pair.1 AS dim, pair.2 AS value, ${stateOf('visitor_id')}, uniqExact(visitor_id), 0${sessions ? `, ${stateOf('session_id')}, uniqExact(session_id), 0` : ''}, count(), 0, 0
        FROM (SELECT visitor_id, session_id, ${ofEvents} FROM cairn.events WHERE ${where}) GROUP BY dim, value`)
    }
    const ofVisits = pairs('visits')
    if (ofVisits) {
      const columns = [...new Set(dims.filter((n) => breakdownOf(n).breakdown.from === 'visits').map((n) => breakdownOf(n).column))]
      parts.push(`SELECT 2, pair.1 AS dim, pair.2 AS value, ${stateOf('toUInt64(visitor_id)')}, uniqExact(visitor_id), 0${sessions ? `, ${stateOf('toUInt64(visitor_id)', 'false')}, 0, 0` : ''}, 0, count(), sum(is_bounce)
        FROM (SELECT visitor_id, is_bounce, ${ofVisits} FROM ${visits(raw, columns)}) GROUP BY dim, value`)
    }
  }
  // Each panel's metrics, sort keys and page, picked by its index (`part`) once the rows are merged.
  const metric = (panel: SealedPanel, m: string) => {
    const fromEvents = breakdownOf(panel.name).breakdown.from === 'events'
    return m === 'visitors' ? 'm_visitors'
      : m === 'visits' ? (fromEvents ? 'm_sessions' : 'm_visits')
      : m === 'pageviews' || m === 'count' ? 'm_rows'
      : m === 'bounces' ? 'm_bounces'
      : 'round(m_bounces / m_visits * 100)' // bounce_rate
  }
  const byPart = (of: (panel: SealedPanel, i: number) => string, otherwise: string) =>
    `multiIf(${panels.map((panel, i) => `part = ${i}, ${of(panel, i)}`).join(', ')}, ${otherwise})`
  panels.forEach((panel, i) => Object.assign(params, { [`limit_${i}`]: panel.options.limit, [`offset_${i}`]: panel.options.offset, [`dim_${i}`]: panel.name }))
  const key = byPart((p) => (p.options.sort.metric === 'value' ? '0' : `${p.options.sort.direction === 'asc' ? '-' : ''}toFloat64(${metric(p, p.options.sort.metric)})`), '0')
  const valueAsc = byPart((p) => (p.options.sort.metric === 'value' && p.options.sort.direction === 'asc' ? 'value' : "''"), "''")
  const valueDesc = byPart((p) => (p.options.sort.metric === 'value' && p.options.sort.direction === 'desc' ? 'value' : "''"), "''")
  const numbers = byPart((p) => `[${p.names.map((m) => `toFloat64(${metric(p, m)})`).join(', ')}]`, '[]')
  // The panel a (dimension, value) row belongs to; when a load asks for the same breakdown twice, its rows
  // are repeated for each (ARRAY JOIN, which costs this query a third more: only then).
  const once = dims.length === panels.length
  const partsOf = `ARRAY JOIN arrayFilter(i -> ${panels.map((_, i) => `(i = ${i} AND dim = {dim_${i}:String})`).join(' OR ')}, range(${panels.length})) AS part`
  return {
    sql: `SELECT part, position, value, numbers, sides FROM (
            SELECT part, value, numbers, sides, row_number() OVER (PARTITION BY part ORDER BY sort_key DESC, value_asc ASC, value_desc DESC, value ASC) AS position
            FROM (
              SELECT ${once ? 'indexOf({dims:Array(String)}, dim) - 1 AS ' : ''}part, value, sides, ${numbers} AS numbers, ${key} AS sort_key, ${valueAsc} AS value_asc, ${valueDesc} AS value_desc
              FROM (
                SELECT dim, value, ${SIDES} AS sides, ${distinct('v_state', 'v_exact', 'v_estimate')} AS m_visitors, ${sessions ? distinct('s_state', 's_exact', 's_estimate') : '0'} AS m_sessions,
                       sum(rows) AS m_rows, sum(visits) AS m_visits, sum(bounces) AS m_bounces
                FROM (${parts.join(' UNION ALL ')}) GROUP BY dim, value)
              ${once ? '' : partsOf}))
          WHERE position > ${byPart((_, i) => `{offset_${i}:UInt32}`, '0')} AND position <= ${byPart((_, i) => `{offset_${i}:UInt32} + {limit_${i}:UInt32}`, '0')}
          ORDER BY part, position`,
    params,
  }
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
  const columns = `toString(toTimeZone(start, {tz:String})) AS started, toUInt32(dateDiff('second', start, addMilliseconds(start, max(duration_ms)))) AS duration,
    argMinMerge(entry_page_state) AS entry_page, argMaxMerge(exit_page_state) AS exit_page, sum(pageview_count) AS pageviews,
    any(referrer_source) AS source, any(device) AS device, any(browser) AS browser, any(os) AS os, any(country_code) AS country`
  if (q.filters.entry_page !== undefined) {
    // The entry page is known only after the merge, so every visit of the range is merged.
    const result = await rows<Record<string, string>>(storage, `
      SELECT ${columns} FROM ${visitRows(q)} GROUP BY start, session_id HAVING entry_page = {f_entry_page:String}
      ORDER BY start DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`, { ...params, limit, offset })
    return result.map(summarize)
  }
  // The latest visits' keys come from the unmerged rows (a top-N on start); only those are merged. The
  // earliest of them narrows the read, unless the range is one day (as a load's first try is): then the
  // day does, without reading the day twice more (a third of this query).
  const since = q.range.from === q.range.to ? 'toDateTime64({from_incl:String}, 3, {tz:String})' : '(SELECT min(start) FROM latest)'
  const result = await rows<Record<string, string>>(storage, `
    WITH latest AS (SELECT start, session_id FROM ${visitRows(q)} ORDER BY start DESC LIMIT 1 BY start, session_id LIMIT {limit:UInt32} + {offset:UInt32})
    SELECT ${columns} FROM cairn.sessions_data
    WHERE site = {site:String} AND start >= ${since} AND (start, session_id) IN latest
    GROUP BY start, session_id ORDER BY start DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`, { ...params, limit, offset })
  return result.map(summarize)
}

/** `started`, not `start`, in SQL: a ClickHouse alias would shadow the column. */
function summarize({ started, ...r }: Record<string, string>): SessionSummary {
  return { start: started, ...r, duration: Number(r.duration), pageviews: Number(r.pageviews) } as unknown as SessionSummary
}
