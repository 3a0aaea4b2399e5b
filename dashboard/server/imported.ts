/**
 * Imported daily aggregates (Plausible's CSV export, cairn.imported_aggregates) added to the figures of
 * the events, as Plausible shows its imported data: for days without events of the site's own (an import
 * never shares a day with them, sql/imports.ts), in the cards, the daily and monthly graph and the
 * breakdowns, unless the request asks `imported=false`. A range's visitors are then the events' distinct
 * visitors plus the imported days' (a sum of days: the export holds no ids), a bounce rate and a duration
 * are weighed by visits. Filters and goals select events, which imported days do not have: a request with
 * either leaves imported data out and says so (`unsupported`); so does an hourly graph.
 */
import type { Storage } from '../../sql/client.ts'
import { breakdownOf, type Aggregate, type BreakdownName, type BreakdownOptions, type BreakdownRow, type SeriesPoint, type VisitSums } from './stats.ts'
import { rows, type StatsQuery } from './sources.ts'

/** What a response says of imported data: none in its range, added, left out as asked, or left out as it cannot be added. */
export type ImportedState = 'none' | 'included' | 'excluded' | 'unsupported'

/** The days each site has imported aggregates for, read at most every few seconds (imports are rare; a load asks a dozen times). */
const SPANS_TTL_MS = 5_000
const spans = new WeakMap<Storage, { at: number; bySite: Promise<Map<string, { first: string; last: string }>> }>()

function importedDays(storage: Storage): Promise<Map<string, { first: string; last: string }>> {
  const cached = spans.get(storage)
  if (cached && Date.now() - cached.at < SPANS_TTL_MS) return cached.bySite
  const bySite = rows<{ site: string; first: string; last: string }>(storage,
    "SELECT site, toString(min(date)) AS first, toString(max(date)) AS last FROM cairn.imported_aggregates WHERE dimension = '' GROUP BY site", {})
    .then((found) => new Map(found.map((r) => [r.site, { first: r.first, last: r.last }])))
  spans.set(storage, { at: Date.now(), bySite })
  bySite.catch(() => spans.delete(storage))
  return bySite
}

/** An import published or deleted: the next request reads the days again. */
export const forgetImportedDays = (storage: Storage) => spans.delete(storage)

/** Whether this request's figures take imported data in. `wanted`: not `imported=false`. */
export async function importedState(storage: Storage, q: StatsQuery, wanted: boolean, goal: boolean): Promise<ImportedState> {
  const span = (await importedDays(storage)).get(q.site)
  if (!span || span.last < q.range.from || span.first > q.range.to) return 'none'
  if (!wanted) return 'excluded'
  const filtered = Object.entries(q.filters).some(([name, value]) => value !== undefined && (name !== 'props' || Object.keys(value as object).length > 0))
  return goal || filtered ? 'unsupported' : 'included'
}

const IN_RANGE = 'site = {site:String} AND date >= toDate({from:String}) AND date <= toDate({to:String})'

interface Figures {
  visitors: number
  visits: number
  pageviews: number
  bounces: number
  duration: number
  downloads: number
  downloaders: number
  events: number
}

const n = (v: unknown) => Number(v ?? 0)

/** The imported days' figures for the whole range and by the graph's bucket (none for an hourly one). */
async function importedSummary(storage: Storage, q: StatsQuery): Promise<{ totals: Figures; byBucket: Map<string, Figures> }> {
  const bucket = q.range.interval === 'month' ? 'toString(toStartOfMonth(date))' : 'toString(date)'
  // Aliases apart from the columns' names: an alias named as a column would be read inside the next sum.
  const found = await rows<Record<string, string>>(storage, `
    SELECT ${bucket} AS bucket, grouping(bucket) AS total,
           sumIf(visitors, dimension = '') AS f_visitors, sumIf(visits, dimension = '') AS f_visits, sumIf(pageviews, dimension = '') AS f_pageviews,
           sumIf(bounces, dimension = '') AS f_bounces, sumIf(visit_duration, dimension = '') AS f_duration,
           sumIf(events, dimension = 'download') AS f_downloads, sumIf(visitors, dimension = 'download') AS f_downloaders,
           sumIf(events, dimension IN ('download', 'outbound', 'event')) AS f_events
    FROM cairn.imported_aggregates WHERE ${IN_RANGE} AND dimension IN ('', 'download', 'outbound', 'event')
    GROUP BY GROUPING SETS ((bucket), ())`, { site: q.site, from: q.range.from, to: q.range.to })
  const figures = (r: Record<string, string> | undefined): Figures => ({
    visitors: n(r?.f_visitors), visits: n(r?.f_visits), pageviews: n(r?.f_pageviews), bounces: n(r?.f_bounces), duration: n(r?.f_duration),
    downloads: n(r?.f_downloads), downloaders: n(r?.f_downloaders), events: n(r?.f_events),
  })
  return {
    totals: figures(found.find((r) => r.total === '1')),
    byBucket: new Map(found.filter((r) => r.total === '0').map((r) => [r.bucket!, figures(r)])),
  }
}

/** ClickHouse's round(): half to even, so that a figure equals the same SQL over the same rows. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x)
  const diff = x - floor
  if (Math.abs(diff - 0.5) > 1e-9) return Math.round(x)
  return floor % 2 === 0 ? floor : floor + 1
}

/** The events' visit figures and the imported ones, weighed together. */
function weigh(visits: number, sums: VisitSums, imported: Figures) {
  const all = visits + imported.visits
  return {
    visits: all,
    bounce_rate: all ? roundHalfEven(((sums.bounces + imported.bounces) / all) * 100) : 0,
    visit_duration: all ? roundHalfEven((sums.duration + imported.duration) / all) : 0,
  }
}

export async function withImportedAggregate(storage: Storage, q: StatsQuery, results: Aggregate, sums: VisitSums): Promise<Aggregate> {
  const { totals: i } = await importedSummary(storage, q)
  const pageviews = results.pageviews + i.pageviews
  const visits = weigh(results.visits, sums, i)
  return {
    ...results,
    ...visits,
    visitors: results.visitors + i.visitors,
    pageviews,
    views_per_visit: visits.visits ? Math.round((pageviews / visits.visits) * 100) / 100 : 0,
    downloads: results.downloads + i.downloads,
    downloaders: results.downloaders + i.downloaders,
    events: results.events + i.events,
  }
}

/** The graph's points with the imported days added, by day or month; an hourly graph's are left as they are. */
export async function withImportedSeries(storage: Storage, q: StatsQuery, points: SeriesPoint[], sums: VisitSums[]): Promise<SeriesPoint[]> {
  if (q.range.interval === 'hour') return points
  const { byBucket } = await importedSummary(storage, q)
  return points.map((point, index) => {
    const i = byBucket.get(point.bucket)
    if (!i) return point
    return {
      ...point,
      ...weigh(point.visits, sums[index] ?? { bounces: 0, duration: 0 }, i),
      visitors: point.visitors + i.visitors,
      pageviews: point.pageviews + i.pageviews,
      downloads: point.downloads + i.downloads,
    }
  })
}

/**
 * How many of the events' rows a breakdown merged with imported ones reads: its page and this many more,
 * so that a value the imported days lift into the page is there to be lifted. Exact for any breakdown
 * with fewer values than that in the range (sources, countries, devices, most sites' pages).
 */
export const MERGE_DEPTH = 1_000


/** What an imported row counts for each of a breakdown's metrics. */
const IMPORTED_METRIC: Record<string, string> = {
  visitors: 'sum(visitors)', visits: 'sum(visits)', pageviews: 'sum(pageviews)', bounces: 'sum(bounces)',
  // A row's events: downloads, clicks and custom events are events; a page's are its pageviews.
  count: "sum(if(dimension IN ('download', 'outbound', 'event'), events, pageviews))",
}

/** The imported rows read first: those the page's own sort puts first (a bounce rate's by its parts' ratio). */
function importedOrder(options: BreakdownOptions, metrics: readonly string[]): string {
  const { metric, direction } = options.sort
  if (metric === 'value') return `value ${direction}`
  const by = metric === 'bounce_rate' ? 'm_bounces / m_visits' : metrics.includes(metric) ? `m_${metric}` : 'm_visitors'
  return `${by} ${direction}, value`
}

/**
 * A breakdown's rows with the imported days' rows of the same dimension merged in, sorted and paged as
 * the events' own are. `native` holds the events' first `offset + limit + MERGE_DEPTH` rows, with
 * `bounces` when the breakdown shows a bounce rate.
 */
export async function withImportedBreakdown(storage: Storage, q: StatsQuery, name: BreakdownName, options: BreakdownOptions, native: BreakdownRow[]): Promise<BreakdownRow[]> {
  const metrics = breakdownOf(name).breakdown.metrics as readonly string[]
  const wanted = [...metrics.filter((m) => m !== 'bounce_rate'), ...(metrics.includes('bounce_rate') ? ['visits', 'bounces'] : [])]
  const columns = [...new Set(wanted)].map((m) => `${IMPORTED_METRIC[m]} AS m_${m}`).join(', ')
  const imported = await rows<Record<string, string>>(storage, `
    SELECT value, ${columns} FROM cairn.imported_aggregates WHERE ${IN_RANGE} AND dimension = {dimension:String}
    GROUP BY value ORDER BY ${importedOrder(options, metrics)} LIMIT {depth:UInt32}`,
    { site: q.site, from: q.range.from, to: q.range.to, dimension: name, depth: options.offset + options.limit + MERGE_DEPTH })
  const merged = new Map<string, Record<string, number>>()
  for (const row of native) merged.set(row.value, { ...row } as unknown as Record<string, number>)
  for (const row of imported) {
    const into = merged.get(row.value!) ?? Object.fromEntries(metrics.map((m) => [m, 0]))
    for (const m of wanted) into[m] = (into[m] ?? 0) + n(row[`m_${m}`])
    merged.set(row.value!, into)
  }
  const all = [...merged].map(([value, figures]) => {
    const row: Record<string, number | string> = { value }
    for (const m of metrics) row[m] = m === 'bounce_rate' ? (figures.visits ? roundHalfEven(((figures.bounces ?? 0) / figures.visits) * 100) : 0) : (figures[m] ?? 0)
    return row as BreakdownRow
  })
  const { metric, direction } = options.sort
  const sign = direction === 'asc' ? 1 : -1
  // As ClickHouse orders them: the metric, then the value's bytes.
  const byValue = (a: BreakdownRow, b: BreakdownRow) => Buffer.compare(Buffer.from(a.value), Buffer.from(b.value))
  all.sort((a, b) => (metric === 'value' ? sign * byValue(a, b) : sign * ((a[metric] ?? 0) - (b[metric] ?? 0)) || byValue(a, b)))
  return all.slice(options.offset, options.offset + options.limit)
}
