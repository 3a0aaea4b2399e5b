/**
 * Dashboard filters: each a column and a bound parameter, never text pasted into SQL. Every filter is
 * an attribute of the event row (a visit's source is stamped on all its events), except the entry
 * page, which belongs to the visit.
 */

export const FILTERS = {
  page: 'pathname',
  source: 'referrer_source',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
  utm_content: 'utm_content',
  utm_term: 'utm_term',
  country: 'country_code',
  browser: 'browser',
  os: 'os',
  device: 'device',
  event: 'name',
  consent: 'consent',
  entry_page: 'entry_page',
} as const

export type FilterName = keyof typeof FILTERS
export type Filters = Partial<Record<FilterName, string>>

export const FILTER_NAMES = Object.keys(FILTERS) as FilterName[]

/** SQL conditions on cairn.events for `filters`, with their parameters (prefixed `f_`). */
export function filterSql(filters: Filters): { sql: string; params: Record<string, unknown> } {
  const conditions: string[] = []
  const params: Record<string, unknown> = {}
  for (const name of FILTER_NAMES) {
    const value = filters[name]
    if (value === undefined) continue
    params[`f_${name}`] = name === 'consent' ? value === 'true' : value
    if (name === 'consent') conditions.push('consent = {f_consent:Bool}')
    else if (name === 'entry_page') {
      conditions.push(`session_id IN (
        SELECT session_id FROM cairn.sessions
        WHERE site = {site:String} AND start >= toDateTime64({sessions_from:String}, 3, {tz:String}) AND start < toDateTime64({to_excl:String}, 3, {tz:String}) AND entry_page = {f_entry_page:String})`)
    } else conditions.push(`${FILTERS[name]} = {f_${name}:String}`)
  }
  return { sql: conditions.map((c) => ` AND ${c}`).join(''), params }
}
