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
  /**
   * A seal's side (rollups.ts): leave out the visits still open at the range's end, which a load counts
   * as `carried`, as their bounce and duration may still change.
   */
  leaveOpen?: boolean
  /**
   * A load's side of such a seal: also the visits it left open, started on the days from `from` to the
   * range's first (their local days, as cairn.sessions_data orders them, and their ids: see openVisits).
   */
  carried?: { from: string; days: string[]; sessions: string[] }
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
    ...(q.carried && { carried_from: `${q.carried.from} 00:00:00`, carried_days: q.carried.days, carried_sessions: q.carried.sessions.map(BigInt) }),
  }
}

/**
 * The visits started from `since` to `at` (local midnights, bound parameters' names) with an event in the
 * hour before `at`: those a seal of the days before `at` leaves open. Thirty minutes without an event end a
 * visit (collector/ingest/sessions.ts), so any visit that goes on after `at` has one, and any other is over
 * and stays as sealed. That hour's events do not change once it is over (a late one changes the seal's
 * fingerprint), so the seal and every later load find the same visits, in a few thousand events.
 */
const OPEN_AT = (since: string, at: string) => `
      SELECT toDate(session_start) AS day, session_id FROM cairn.events
      WHERE site = {site:String} AND timestamp >= toDateTime64({${at}:String}, 3, {tz:String}) - INTERVAL 1 HOUR
            AND timestamp < toDateTime64({${at}:String}, 3, {tz:String})
            AND session_start >= toDateTime64({${since}:String}, 3, {tz:String})`

/**
 * The visits a seal of the days from `since` to the day before `at` left open, as a load finds them once
 * for all its queries (`StatsQuery.carried`).
 */
export async function openVisits(storage: Storage, site: string, timeZone: string, since: string, at: string): Promise<{ days: string[]; sessions: string[] }> {
  const found = await rows<{ day: string; session: string }>(storage, `SELECT DISTINCT toString(day) AS day, toString(session_id) AS session FROM (${OPEN_AT('since', 'at')})`,
    { site, tz: timeZone, since: `${since} 00:00:00`, at: `${at} 00:00:00` })
  return { days: [...new Set(found.map((r) => r.day))], sessions: found.map((r) => r.session) }
}

/** Which visits a query counts: started in its range (less those left open, on a seal's side), and those carried into it. */
function visitScope(q: StatsQuery): string {
  const started = `start >= toDateTime64({from_incl:String}, 3, {tz:String}) AND start < toDateTime64({to_excl:String}, 3, {tz:String})`
  const own = q.leaveOpen ? `${started} AND (toDate(start), session_id) NOT IN (${OPEN_AT('from_incl', 'to_excl')})` : started
  if (!q.carried?.sessions.length) return own
  // The days first: they narrow the visits' primary key to a day or two before the ids are looked up.
  return `((${own}) OR (start >= toDateTime64({carried_from:String}, 3, {tz:String}) AND start < toDateTime64({from_incl:String}, 3, {tz:String})
          AND toDate(start) IN {carried_days:Array(Date)} AND session_id IN {carried_sessions:Array(UInt64)}))`
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
    entry_page: 'finalizeAggregation(entry_page_state) AS entry_page',
    exit_page: 'finalizeAggregation(exit_page_state) AS exit_page',
    pageviews: 'pageview_count AS pageviews',
  }
  const extra = [...wanted].map((c) => optional[c] ?? c).join(', ')
  // FINAL merges a visit's partial rows at read time, cheaper than a GROUP BY over them.
  const merged = `(
    SELECT start, session_id, visitor_id, toUInt32(dateDiff('second', start, addMilliseconds(start, duration_ms))) AS duration,
           pageview_count <= 1 AND interactive_count = 0 AS is_bounce${extra ? `, ${extra}` : ''}
    FROM cairn.sessions_data FINAL
    WHERE site = {site:String} AND ${visitScope(q)}
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
