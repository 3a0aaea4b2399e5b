/**
 * Dashboard filters, each a column and a bound parameter, never text pasted into SQL. A visit's
 * attributes (source, UTM, client, country, consent) are on every event and on every partial row of
 * cairn.sessions_data, so they filter both directly. A page or an event name selects the visits that
 * have one; an entry page, the events of visits that began there.
 */

/** Filters that are attributes of the visit: the column in cairn.events and in cairn.sessions_data. */
const VISIT_ATTRIBUTES = {
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
  consent: 'consent',
} as const

/** Filters on one event of the visit. */
const EVENT_ATTRIBUTES = { page: 'pathname', event: 'name' } as const

export const FILTER_NAMES = [...Object.keys(VISIT_ATTRIBUTES), ...Object.keys(EVENT_ATTRIBUTES), 'entry_page'] as FilterName[]
export type FilterName = keyof typeof VISIT_ATTRIBUTES | keyof typeof EVENT_ATTRIBUTES | 'entry_page'
export type Filters = Partial<Record<FilterName, string>>

const condition = (column: string, name: string) => (name === 'consent' ? 'consent = {f_consent:Bool}' : `${column} = {f_${name}:String}`)

export function filterParams(filters: Filters): Record<string, unknown> {
  return Object.fromEntries(Object.entries(filters).map(([name, value]) => [`f_${name}`, name === 'consent' ? value === 'true' : value]))
}

/** Conditions for cairn.events rows in the range. */
export function eventConditions(filters: Filters): string {
  const conditions: string[] = []
  for (const [name, column] of Object.entries({ ...VISIT_ATTRIBUTES, ...EVENT_ATTRIBUTES })) {
    if (filters[name as FilterName] !== undefined) conditions.push(condition(column, name))
  }
  if (filters.entry_page !== undefined) {
    conditions.push(`session_id IN (
      SELECT session_id FROM cairn.sessions_data
      WHERE site = {site:String} AND start >= toDateTime64({sessions_from:String}, 3, {tz:String}) AND start < toDateTime64({to_excl:String}, 3, {tz:String})
      GROUP BY start, session_id HAVING argMinMerge(entry_state) = {f_entry_page:String})`)
  }
  return conditions.map((c) => ` AND ${c}`).join('')
}

/** Conditions for cairn.sessions_data rows (before the merge) of visits started in the range. */
export function visitConditions(filters: Filters): string {
  const conditions: string[] = []
  for (const [name, column] of Object.entries(VISIT_ATTRIBUTES)) {
    if (filters[name as FilterName] !== undefined) conditions.push(condition(column, name))
  }
  const onEvents = Object.entries(EVENT_ATTRIBUTES).filter(([name]) => filters[name as FilterName] !== undefined)
  if (onEvents.length > 0) {
    conditions.push(`session_id IN (
      SELECT session_id FROM cairn.events
      WHERE site = {site:String} AND timestamp >= toDateTime64({from_incl:String}, 3, {tz:String}) AND timestamp < toDateTime64({events_to:String}, 3, {tz:String})
        AND ${onEvents.map(([name, column]) => condition(column, name)).join(' AND ')})`)
  }
  return conditions.map((c) => ` AND ${c}`).join('')
}
