/**
 * Custom properties (docs/stats-api.md, "properties"): the keys events carry in the range, and one key's
 * values broken down like a dimension. Keys are the site's own, so they are bound parameters, never
 * columns: `props[{key}]` on cairn.events.
 */
import type { Storage } from '../../sql/client.ts'
import { eventConditions } from './filters.ts'
import { IN_RANGE, rangeParams, rows, type BreakdownOptions, type StatsQuery } from './stats.ts'

export const PROPERTY_METRICS = ['visitors', 'events'] as const

/** The property keys of the range's events (of one event name when filtered by it), most used first. */
export async function propertyKeys(storage: Storage, q: StatsQuery): Promise<{ key: string; visitors: number; events: number }[]> {
  const found = await rows<{ key: string; visitors: string; events: string }>(
    storage,
    `SELECT arrayJoin(mapKeys(props)) AS key, uniqExact(visitor_id) AS visitors, count() AS events
     FROM cairn.events WHERE ${IN_RANGE} AND name != 'engagement'${eventConditions(q.filters)}
     GROUP BY key ORDER BY events DESC, key LIMIT 100`,
    rangeParams(q),
  )
  return found.map((r) => ({ key: r.key, visitors: Number(r.visitors), events: Number(r.events) }))
}

/** One row per value of the property `key`, over the events that carry it. */
export async function propertyBreakdown(storage: Storage, q: StatsQuery, key: string, options: BreakdownOptions): Promise<{ value: string; visitors: number; events: number }[]> {
  const order = options.sort.metric === 'value' ? `value ${options.sort.direction}` : `${options.sort.metric} ${options.sort.direction}, value`
  const found = await rows<{ value: string; visitors: string; events: string }>(
    storage,
    `SELECT props[{property:String}] AS value, uniqExact(visitor_id) AS visitors, count() AS events
     FROM cairn.events WHERE ${IN_RANGE} AND name != 'engagement' AND mapContains(props, {property:String})${eventConditions(q.filters)}
     GROUP BY value ORDER BY ${order} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { ...rangeParams(q), property: key, limit: options.limit, offset: options.offset },
  )
  return found.map((r) => ({ value: r.value, visitors: Number(r.visitors), events: Number(r.events) }))
}
