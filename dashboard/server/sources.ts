/**
 * Where the dashboard's numbers are read from: the events and the visits of a site's range, as SQL the
 * stats (stats.ts) and the rollups that stand in for them (rollups.ts) share, so both count the same rows.
 */
import type { Storage } from '../../sql/client.ts'
import { eventConditions, filterParams, visitConditions, type Filters } from './filters.ts'
import { addDays, type DateRange } from './range.ts'

export interface StatsQuery {
  site: string
  timeZone: string
  range: DateRange
  filters: Filters
  /**
   * The site's local day when asked: with it, the days before yesterday may be read from a rollup
   * (rollups.ts). Without it (mail reports), or with `exact`, every figure is counted from the events.
   */
  today?: string
  exact?: boolean
}

/** Parameters and the WHERE clause every events query of `q` shares. */
export function scope(q: StatsQuery): { where: string; params: Record<string, unknown> } {
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
export const SETTINGS = { do_not_merge_across_partitions_select_final: 1 } as const

export async function rows<T>(storage: Storage, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await storage.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: SETTINGS })
  return result.json<T>()
}

/**
 * One row per visit started in the range that matches the filters, merged from cairn.sessions_data
 * with only the columns asked for (entry and exit pages cost the most).
 */
export function visits(q: StatsQuery, columns: string[] = []): string {
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
export function visitRows(q: StatsQuery): string {
  return `cairn.sessions_data
    WHERE site = {site:String} AND start >= toDateTime64({from_incl:String}, 3, {tz:String}) AND start < toDateTime64({to_excl:String}, 3, {tz:String})
          ${visitConditions(q.filters)}`
}

/** The graph's bucket of a time column, in the site's zone, as the text `buckets()` lists. */
export const bucketOf = (q: StatsQuery, column: string) =>
  q.range.interval === 'hour' ? `toString(toStartOfHour(${column}, {tz:String}))`
  : q.range.interval === 'day' ? `toString(toDate(${column}, {tz:String}))`
  : `toString(toStartOfMonth(${column}, {tz:String}))`
