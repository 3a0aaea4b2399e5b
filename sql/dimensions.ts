/**
 * Every dimension — a field that reports filter by or group by — declared once. The stats API's filters
 * and breakdown routes, the dashboard's filter chips and panel tabs, the CSV headers and the list in
 * docs/stats-api.md all come from here; what people read of them (a filter's label, a tab's title) is in
 * the catalogues, dashboard/i18n/*.json, as `dimension.<name>.label` and `.tab`. sql/dimensions.test.ts
 * fails when a dimension's column is missing from the tables and views it needs.
 *
 * Pure data, read by the server and bundled into the dashboard: no imports.
 */

/** What a breakdown row can count. From events: visitors, visits (distinct), pageviews or events (rows).
 * From visits: visitors, visits (rows), bounce rate. */
export type Metric = 'visitors' | 'visits' | 'pageviews' | 'count' | 'bounce_rate'

/** The dashboard's panels, in their order; a breakdown shows as a tab of one of them. */
export const PANELS = ['sources', 'pages', 'downloads', 'countries', 'devices', 'events'] as const
export type Panel = (typeof PANELS)[number]

export interface Dimension {
  /** The name in the API and the dashboard's URL: the filter parameter and `breakdown/{name}`. */
  name: string
  /** The column in `cairn.events` (`visit page`: in the `cairn.sessions` view). */
  column: string
  /**
   * `visit`: the same on every event of a visit, so also a column of the rollup `cairn.sessions_data`,
   * its materialized view and the `cairn.sessions` view, and a filter selects whole visits.
   * `event`: the event's own; a filter selects those events, and the visits that have one.
   * `visit page`: a visit's first or last page, kept in the rollup as an aggregate state.
   */
  kind: 'visit' | 'event' | 'visit page'
  /** The filter parameter's ClickHouse type. */
  type: 'String' | 'Bool'
  /** Fixed by the visit's first event and stamped on the later ones (where the visit came from). */
  attribution?: true
  filter: boolean
  breakdown?: {
    /** The panel it is a tab of (none: the dashboard shows it another way). */
    panel?: Panel
    /** Rows from the events of the range, or from the visits that started in it. */
    from: 'events' | 'visits'
    /** Which rows take part (SQL over the columns of `from`). */
    where?: string
    metrics: readonly Metric[]
    /** What a row is, for the documentation. */
    rows: string
  }
  /** How a value is shown: as it is, as a source ("" is direct), a country, a consent state, a link. */
  display: 'text' | 'source' | 'country' | 'consent' | 'link'
  /** false: imported aggregates (Plausible's export, cairn.imported_aggregates) have no rows of it. */
  imported?: false
}

const VISITS: readonly Metric[] = ['visitors', 'visits']

export const DIMENSIONS = [
  { name: 'source', column: 'referrer_source', kind: 'visit', type: 'String', attribution: true, filter: true, display: 'source',
    breakdown: { panel: 'sources', from: 'visits', metrics: VISITS, rows: 'the source of visits started in the range (`""` = direct)' } },
  { name: 'utm_campaign', column: 'utm_campaign', kind: 'visit', type: 'String', attribution: true, filter: true, display: 'text',
    breakdown: { panel: 'sources', from: 'visits', where: "utm_campaign != ''", metrics: VISITS, rows: 'the visits’ UTM campaign (empty ones left out)' } },
  { name: 'utm_source', column: 'utm_source', kind: 'visit', type: 'String', attribution: true, filter: true, display: 'text',
    breakdown: { panel: 'sources', from: 'visits', where: "utm_source != ''", metrics: VISITS, rows: 'the visits’ UTM source (empty ones left out)' } },
  { name: 'utm_medium', column: 'utm_medium', kind: 'visit', type: 'String', attribution: true, filter: true, display: 'text',
    breakdown: { panel: 'sources', from: 'visits', where: "utm_medium != ''", metrics: VISITS, rows: 'the visits’ UTM medium (empty ones left out)' } },
  { name: 'utm_content', column: 'utm_content', kind: 'visit', type: 'String', attribution: true, filter: true, display: 'text',
    breakdown: { panel: 'sources', from: 'visits', where: "utm_content != ''", metrics: VISITS, rows: 'the visits’ UTM content (empty ones left out)' } },
  { name: 'utm_term', column: 'utm_term', kind: 'visit', type: 'String', attribution: true, filter: true, display: 'text',
    breakdown: { panel: 'sources', from: 'visits', where: "utm_term != ''", metrics: VISITS, rows: 'the visits’ UTM term (empty ones left out)' } },
  { name: 'page', column: 'pathname', kind: 'event', type: 'String', filter: true, display: 'text',
    breakdown: { panel: 'pages', from: 'events', where: "name = 'pageview'", metrics: ['visitors', 'pageviews'], rows: 'pathname of pageviews' } },
  { name: 'entry_page', column: 'entry_page', kind: 'visit page', type: 'String', filter: true, display: 'text',
    breakdown: { panel: 'pages', from: 'visits', metrics: ['visits', 'visitors', 'bounce_rate'], rows: 'first page of visits started in the range' } },
  { name: 'exit_page', column: 'exit_page', kind: 'visit page', type: 'String', filter: false, display: 'text',
    breakdown: { panel: 'pages', from: 'visits', metrics: ['visits', 'visitors', 'bounce_rate'], rows: 'last page of visits started in the range' } },
  // Plausible's pages carry their host, but a visitor of three pages of it counts three times there.
  { name: 'hostname', column: 'hostname', kind: 'event', type: 'String', filter: true, display: 'text', imported: false,
    breakdown: { panel: 'pages', from: 'events', where: "name = 'pageview'", metrics: ['visitors', 'pageviews'], rows: 'host of pageviews (without `www.`), for sites on several subdomains' } },
  { name: 'download', column: 'link_url', kind: 'event', type: 'String', filter: false, display: 'link',
    breakdown: { panel: 'downloads', from: 'events', where: "name = 'download'", metrics: ['count', 'visitors'], rows: 'URL of downloaded files' } },
  { name: 'outbound', column: 'link_url', kind: 'event', type: 'String', filter: false, display: 'link',
    breakdown: { panel: 'downloads', from: 'events', where: "name = 'outbound'", metrics: ['count', 'visitors'], rows: 'URL of outbound links clicked' } },
  { name: 'country', column: 'country_code', kind: 'visit', type: 'String', filter: true, display: 'country',
    breakdown: { panel: 'countries', from: 'visits', metrics: VISITS, rows: 'ISO country code of visits started in the range' } },
  { name: 'browser', column: 'browser', kind: 'visit', type: 'String', filter: true, display: 'text',
    breakdown: { panel: 'devices', from: 'visits', metrics: VISITS, rows: 'browser of visits started in the range' } },
  { name: 'browser_version', column: 'browser_version', kind: 'event', type: 'String', filter: true, display: 'text',
    breakdown: { panel: 'devices', from: 'events', metrics: VISITS, rows: 'major version of the browser, of the events of the range' } },
  { name: 'os', column: 'os', kind: 'visit', type: 'String', filter: true, display: 'text',
    breakdown: { panel: 'devices', from: 'visits', metrics: VISITS, rows: 'operating system of visits started in the range' } },
  { name: 'os_version', column: 'os_version', kind: 'event', type: 'String', filter: true, display: 'text',
    breakdown: { panel: 'devices', from: 'events', metrics: VISITS, rows: 'operating system version, of the events of the range' } },
  { name: 'device', column: 'device', kind: 'visit', type: 'String', filter: true, display: 'text',
    breakdown: { panel: 'devices', from: 'visits', metrics: VISITS, rows: '`desktop`, `mobile` or `tablet`, of visits started in the range' } },
  { name: 'event', column: 'name', kind: 'event', type: 'String', filter: true, display: 'text',
    breakdown: { panel: 'events', from: 'events', where: "name NOT IN ('pageview', 'download', 'outbound')", metrics: ['count', 'visitors'], rows: 'custom event names' } },
  { name: 'consent', column: 'consent', kind: 'visit', type: 'Bool', filter: true, display: 'consent', imported: false,
    breakdown: { from: 'visits', metrics: VISITS, rows: '`true` (cookie, with consent) / `false` (cookieless), the dashboard’s consent panel' } },
] as const satisfies readonly Dimension[]

export type DimensionName = (typeof DIMENSIONS)[number]['name']

export const DIMENSION: Record<DimensionName, Dimension> = Object.fromEntries(DIMENSIONS.map((d) => [d.name, d])) as Record<DimensionName, Dimension>

/** Dimensions reports filter by, in their order. */
export const FILTERS = DIMENSIONS.filter((d) => d.filter).map((d) => d.name)
export type FilterName = (typeof DIMENSIONS)[number] extends infer D ? (D extends { filter: true; name: infer N } ? N : never) : never

/** Dimensions with a breakdown route. */
export const BREAKDOWN_NAMES = DIMENSIONS.filter((d) => 'breakdown' in d).map((d) => d.name)

/** Breakdowns that imported aggregates have rows of, under the same name (collector/import/plausible.ts writes them). */
export const IMPORTED_BREAKDOWNS: readonly string[] = DIMENSIONS.filter((d) => 'breakdown' in d && !('imported' in d)).map((d) => d.name)

/** What a funnel may be broken down by: a visit's attributes (a visitor counts with the visit that went furthest). */
export const FUNNEL_BREAKDOWNS = ['source', 'utm_source', 'utm_medium', 'utm_campaign', 'device', 'browser', 'os', 'country'] as const satisfies readonly DimensionName[]
export type FunnelBreakdown = (typeof FUNNEL_BREAKDOWNS)[number]
