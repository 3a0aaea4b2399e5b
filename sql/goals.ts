/**
 * Goals: what a site counts as a conversion, kept in `cairn.goals`, and each goal as a condition on
 * cairn.events. Goals are queries, not counters, so a goal defined today counts past events too. Saved
 * funnels (`cairn.funnels`) are goals in order.
 */
import { randomBytes } from 'node:crypto'
import type { Storage } from './client.ts'
import { pathPattern } from './sites.ts'
import { nextVersion } from './version.ts'

export const GOAL_KINDS = ['event', 'page', 'download', 'outbound', 'scroll', 'engagement'] as const
export type GoalKind = (typeof GOAL_KINDS)[number]

export interface Goal {
  id: string
  name: string
  kind: GoalKind
  /** event: the custom event's name, and optionally a property that must have a value. */
  eventName: string
  propKey: string
  propValue: string
  /** page, scroll, engagement: a path pattern; download, outbound: a URL pattern ('' for any). `*` within a segment, `**` across. */
  pattern: string
  /** scroll: the percentage read; engagement: the seconds engaged on the path in one visit. */
  threshold: number
}

/**
 * Goals counted per visit rather than per event: an engagement report is sent several times for one
 * page view, so "total conversions" of these is the visits that reached them.
 */
export const PER_VISIT: readonly GoalKind[] = ['scroll', 'engagement']

/** A glob as an RE2 expression on the whole value (ClickHouse's `match`). */
export const globRegex = (pattern: string) => pathPattern(pattern).source

/**
 * The goal as a condition on a cairn.events row, its values as bound parameters named after `p`. An
 * engagement goal is a visit's sum, so its row condition only selects the engagement events it sums.
 */
export function goalCondition(goal: Goal, p: string): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {}
  const conditions: string[] = []
  const bind = (name: string, value: unknown, type: string) => {
    params[`${p}_${name}`] = value
    return `{${p}_${name}:${type}}`
  }
  // A pattern without wildcards is a plain comparison: several times cheaper per row than a regular expression.
  const matches = (column: string, pattern: string) =>
    pattern.includes('*') ? `match(${column}, ${bind('re', globRegex(pattern), 'String')})` : `${column} = ${bind('exact', pattern, 'String')}`
  if (goal.kind === 'event') {
    conditions.push(`name = ${bind('name', goal.eventName, 'String')}`)
    if (goal.propKey) conditions.push(`props[${bind('key', goal.propKey, 'String')}] = ${bind('value', goal.propValue, 'String')}`)
  } else if (goal.kind === 'page') {
    conditions.push("name = 'pageview'", matches('pathname', goal.pattern))
  } else if (goal.kind === 'download' || goal.kind === 'outbound') {
    conditions.push(`name = '${goal.kind}'`)
    if (goal.pattern) conditions.push(matches('link_url', goal.pattern))
  } else {
    conditions.push("name = 'engagement'", matches('pathname', goal.pattern))
    if (goal.kind === 'scroll') conditions.push(`scroll_depth >= ${bind('threshold', goal.threshold, 'UInt32')}`)
  }
  return { sql: conditions.join(' AND '), params }
}

interface Row {
  id: string
  name: string
  kind: GoalKind
  event_name: string
  prop_key: string
  prop_value: string
  pattern: string
  threshold: number
}

export async function readGoals(storage: Storage, site: string): Promise<Goal[]> {
  const result = await storage.query({
    query: `SELECT id, name, kind, event_name, prop_key, prop_value, pattern, threshold FROM cairn.goals FINAL
            WHERE site = {site:String} AND NOT deleted ORDER BY id`,
    query_params: { site },
    format: 'JSONEachRow',
  })
  return (await result.json<Row>()).map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    eventName: r.event_name,
    propKey: r.prop_key,
    propValue: r.prop_value,
    pattern: r.pattern,
    threshold: Number(r.threshold),
  }))
}

/** Time-ordered (goals list in the order they were defined), then random. */
export const newGoalId = () => `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`

export async function saveGoal(storage: Storage, site: string, goal: Goal): Promise<void> {
  await storage.insert({
    table: 'cairn.goals',
    values: [{ site, id: goal.id, name: goal.name, kind: goal.kind, event_name: goal.eventName, prop_key: goal.propKey, prop_value: goal.propValue, pattern: goal.pattern, threshold: goal.threshold, version: nextVersion() }],
    format: 'JSONEachRow',
  })
}

export async function deleteGoal(storage: Storage, site: string, id: string): Promise<void> {
  await storage.insert({ table: 'cairn.goals', values: [{ site, id, name: '', kind: 'event', event_name: '', prop_key: '', prop_value: '', pattern: '', threshold: 0, deleted: true, version: nextVersion() }], format: 'JSONEachRow' })
}

/** A saved funnel: goal ids in order, and where the order must hold. */
export interface SavedFunnel {
  id: string
  name: string
  steps: string[]
  within: 'visit' | 'range'
}

export async function readFunnels(storage: Storage, site: string): Promise<SavedFunnel[]> {
  const result = await storage.query({
    query: 'SELECT id, name, steps, within FROM cairn.funnels FINAL WHERE site = {site:String} AND NOT deleted ORDER BY id',
    query_params: { site },
    format: 'JSONEachRow',
  })
  return result.json<SavedFunnel>()
}

export async function saveFunnel(storage: Storage, site: string, funnel: SavedFunnel): Promise<void> {
  await storage.insert({ table: 'cairn.funnels', values: [{ site, ...funnel, version: nextVersion() }], format: 'JSONEachRow' })
}

export async function deleteFunnel(storage: Storage, site: string, id: string): Promise<void> {
  await storage.insert({ table: 'cairn.funnels', values: [{ site, id, name: '', steps: [], within: 'visit', deleted: true, version: nextVersion() }], format: 'JSONEachRow' })
}
