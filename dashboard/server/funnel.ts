/**
 * Funnels (docs/stats-api.md, "funnel"): 2–8 goals in order. A visitor reaches a step when it reached
 * the steps before it, in that order, within one visit (the default, as Plausible counts) or anywhere in
 * the range. Each unit's earliest chain is found in ClickHouse: the first time of step 1, then the first
 * time of step 2 after it, and so on; the unit's level is how far the chain goes, and its times give the
 * time between steps.
 */
import type { Storage } from '../../sql/client.ts'
import { DIMENSION, FUNNEL_BREAKDOWNS, type FunnelBreakdown } from '../../sql/dimensions.ts'
import { goalCondition, type Goal } from '../../sql/goals.ts'
import { wholeVisitConditions } from './filters.ts'
import { IN_RANGE, rangeParams, rows, type StatsQuery } from './stats.ts'

export const FUNNEL_WITHIN = ['visit', 'range'] as const
export type FunnelWithin = (typeof FUNNEL_WITHIN)[number]

export { FUNNEL_BREAKDOWNS, type FunnelBreakdown }

export interface FunnelStep {
  id: string
  name: string
  visitors: number
  /** Percent of the previous step's visitors (100 for the first). */
  conversion_rate_step: number
  /** Percent of the first step's visitors. */
  conversion_rate: number
  /** Visitors of the previous step who did not reach this one. */
  dropoff: number
  /** Median seconds from the previous step (null for the first, or when nobody reached it). */
  median_seconds: number | null
}

const percent = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10)

export async function funnel(
  storage: Storage,
  q: StatsQuery,
  steps: Goal[],
  within: FunnelWithin,
  by?: FunnelBreakdown,
): Promise<{ steps: FunnelStep[]; breakdown?: { value: string; steps: FunnelStep[] }[] }> {
  const params = rangeParams(q)
  const conditions = steps.map((goal, i) => {
    const c = goalCondition(goal, `s${i}`)
    Object.assign(params, c.params)
    return c.sql
  })
  const n = steps.length
  const unit = within === 'visit' ? 'visitor_id, session_id' : 'visitor_id'
  const dimension = by ? DIMENSION[by].column : undefined
  // The earliest chain: t0 the first time of step 0, t1 the first time of step 1 strictly after t0, …
  const chain = Array.from({ length: n }, (_, i) =>
    i === 0
      ? 'if(empty(a0), NULL, arrayMin(a0)) AS t0'
      : `if(t${i - 1} IS NULL OR empty(arrayFilter(x -> x > assumeNotNull(t${i - 1}), a${i})), NULL, arrayMin(arrayFilter(x -> x > assumeNotNull(t${i - 1}), a${i}))) AS t${i}`,
  )
  const level = Array.from({ length: n }, (_, i) => `(t${i} IS NOT NULL)`).join(' + ')
  const perUnit = `
    SELECT visitor_id, ${dimension ? 'attribute, ' : ''}${chain.join(', ')}, toUInt8(${level}) AS level
    FROM (
      SELECT ${unit}, ${dimension ? `any(${dimension}) AS attribute, ` : ''}${conditions.map((c, i) => `groupArrayIf(toUnixTimestamp64Milli(timestamp), ${c}) AS a${i}`).join(', ')}
      FROM cairn.events
      WHERE ${IN_RANGE}${wholeVisitConditions(q.filters)} AND (${conditions.map((c) => `(${c})`).join(' OR ')})
      GROUP BY ${unit})`
  // A visitor counts once, with its furthest unit (its earliest, among equals) and that unit's times.
  const perVisitor = `
    SELECT ${dimension ? 'argMax(attribute, (level, -assumeNotNull(t0))) AS attribute, ' : ''}max(level) AS reached,
           ${Array.from({ length: n }, (_, i) => `argMax(t${i}, (level, -assumeNotNull(t0))) AS r${i}`).join(', ')}
    FROM (${perUnit}) WHERE level > 0 GROUP BY visitor_id`
  const stepColumns = Array.from({ length: n }, (_, i) =>
    [`countIf(reached >= ${i + 1}) AS v${i}`, i === 0 ? '' : `quantileExactInclusiveIf(0.5)((r${i} - r${i - 1}) / 1000, reached >= ${i + 1}) AS m${i}`].filter(Boolean).join(', '),
  )
  const result = await rows<Record<string, string | number | null>>(
    storage,
    `SELECT ${dimension ? 'attribute, ' : ''}${stepColumns.join(', ')} FROM (${perVisitor})${dimension ? ' GROUP BY attribute ORDER BY v0 DESC, attribute LIMIT 100' : ''}`,
    params,
  )
  const toSteps = (row: Record<string, string | number | null> | undefined): FunnelStep[] =>
    steps.map((goal, i) => {
      const visitors = Number(row?.[`v${i}`] ?? 0)
      const previous = i === 0 ? visitors : Number(row?.[`v${i - 1}`] ?? 0)
      const first = Number(row?.v0 ?? 0)
      const median = i === 0 || visitors === 0 ? null : Math.round(Number(row?.[`m${i}`]))
      return { id: goal.id, name: goal.name, visitors, conversion_rate_step: i === 0 ? 100 : percent(visitors, previous), conversion_rate: percent(visitors, first), dropoff: previous - visitors, median_seconds: median }
    })
  if (!dimension) return { steps: toSteps(result[0]) }
  const total = await funnel(storage, q, steps, within)
  return { steps: total.steps, breakdown: result.map((row) => ({ value: String(row.attribute ?? ''), steps: toSteps(row) })) }
}
