/**
 * Dashboard filters, each a column and a bound parameter, never text pasted into SQL (the dimensions are
 * declared in sql/dimensions.ts). A visit's attributes (source, UTM, client, country, consent) are on
 * every event and on every partial row of cairn.sessions_data, so they filter both directly. An event's
 * own attribute (page, event name, hostname, versions) selects those events, and the visits that have
 * one; an entry page, the events of visits that began there.
 */
import { DIMENSIONS, FILTERS, type FilterName } from '../../sql/dimensions.ts'
import { goalCondition, type Goal } from '../../sql/goals.ts'

export { FILTERS as FILTER_NAMES, type FilterName }
/** The dimensions' filters, and custom properties' (`prop.plan=pro`: events whose property has that value). */
export type Filters = Partial<Record<FilterName, string>> & { props?: Record<string, string> }

/** An event's custom properties, each a condition like an event attribute's, key and value bound. */
const propConditions = (filters: Filters) => Object.keys(filters.props ?? {}).map((_, i) => `props[{p_key_${i}:String}] = {p_value_${i}:String}`)

const filterable = DIMENSIONS.filter((d) => d.filter)
const VISIT = filterable.filter((d) => d.kind === 'visit')
const EVENT = filterable.filter((d) => d.kind === 'event')

const condition = (d: (typeof filterable)[number]) => `${d.column} = {f_${d.name}:${d.type}}`
const given = (filters: Filters) => (d: (typeof filterable)[number]) => filters[d.name as FilterName] !== undefined

export function filterParams(filters: Filters): Record<string, unknown> {
  return Object.fromEntries([
    ...filterable.filter(given(filters)).map((d) => [`f_${d.name}`, d.type === 'Bool' ? filters[d.name as FilterName] === 'true' : filters[d.name as FilterName]]),
    ...Object.entries(filters.props ?? {}).flatMap(([key, value], i) => [[`p_key_${i}`, key], [`p_value_${i}`, value]]),
  ])
}

/** Whether only a visit's attributes filter: then events and whole visits keep the same visitors. */
export const visitFiltersOnly = (filters: Filters) => EVENT.every((d) => !given(filters)(d)) && filters.entry_page === undefined && !filters.props

/** Conditions for cairn.events rows in the range. */
export function eventConditions(filters: Filters): string {
  const conditions = [...[...VISIT, ...EVENT].filter(given(filters)).map(condition), ...propConditions(filters)]
  if (filters.entry_page !== undefined) {
    conditions.push(`session_id IN (
      SELECT session_id FROM cairn.sessions_data
      WHERE site = {site:String} AND start >= toDateTime64({sessions_from:String}, 3, {tz:String}) AND start < toDateTime64({to_excl:String}, 3, {tz:String})
      GROUP BY start, session_id HAVING argMinMerge(entry_page_state) = {f_entry_page:String})`)
  }
  return conditions.map((c) => ` AND ${c}`).join('')
}

/**
 * Conditions for cairn.events rows that keep whole visits: a visit's attributes directly, an event's own
 * attribute (a page, an event name) and the entry page by the visits that have one. Conversions count
 * this way: "visitors of /pricing who converted" converted anywhere in a visit that saw /pricing.
 */
export function wholeVisitConditions(filters: Filters): string {
  const entry = filters.entry_page === undefined ? '' : eventConditions({ entry_page: filters.entry_page })
  return visitConditions(filters) + entry
}

/** Conditions for cairn.sessions_data rows (before the merge) of visits started in the range. */
export function visitConditions(filters: Filters): string {
  const conditions = VISIT.filter(given(filters)).map(condition)
  const onEvents = [...EVENT.filter(given(filters)).map(condition), ...propConditions(filters)]
  if (onEvents.length > 0) {
    conditions.push(`session_id IN (
      SELECT session_id FROM cairn.events
      WHERE site = {site:String} AND timestamp >= toDateTime64({from_incl:String}, 3, {tz:String}) AND timestamp < toDateTime64({events_to:String}, 3, {tz:String})
        AND ${onEvents.join(' AND ')})`)
  }
  return conditions.map((c) => ` AND ${c}`).join('')
}

/**
 * The goal filter: the visitors who converted `goal` in the range and the filters, as a condition on
 * `visitor_id` of events or visits. With it, a panel's rows count the visitors who converted.
 */
export function convertedVisitors(goal: Goal, filters: Filters): { sql: string; params: Record<string, unknown> } {
  const c = goalCondition(goal, 'goal')
  const events = `SELECT visitor_id FROM cairn.events
    WHERE site = {site:String} AND timestamp >= toDateTime64({from_incl:String}, 3, {tz:String}) AND timestamp < toDateTime64({to_excl:String}, 3, {tz:String})
      ${wholeVisitConditions(filters)} AND ${c.sql}`
  // An engaged-time goal is a visit's sum.
  const inner = goal.kind === 'engagement' ? `${events} GROUP BY visitor_id, session_id HAVING sum(engagement_ms) >= {goal_ms:UInt64}` : events
  return { sql: `visitor_id IN (${inner})`, params: { ...c.params, goal_ms: goal.threshold * 1000 } }
}
