/**
 * Conversions of a site's goals in a range (docs/stats-api.md, "Goals"): for each goal, the unique
 * conversions (visitors who reached it), the total conversions (matching events; visits for scroll and
 * engagement goals) and the conversion rate (unique conversions / visitors, in the same range and filters).
 * All goals but engaged-time ones come from one scan of the range's events.
 */
import type { Storage } from '../../sql/client.ts'
import { PER_VISIT, goalCondition, type Goal } from '../../sql/goals.ts'
import { convertedVisitors, wholeVisitConditions } from './filters.ts'
import { IN_RANGE, bucketOf, buckets, foldsGoal, rangeParams, rows, summary, type StatsQuery } from './stats.ts'
import { sharedWhileRunning } from './batch.ts'

export interface Conversion {
  id: string
  name: string
  kind: Goal['kind']
  visitors: number
  events: number
  conversion_rate: number
}

/** Rounded as the stats API's percentages are: one decimal. */
const percent = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10)

export async function conversions(storage: Storage, q: StatsQuery, goals: Goal[]): Promise<{ visitors: number; goals: Conversion[] }> {
  const where = `${IN_RANGE}${wholeVisitConditions(q.filters)}`
  const params = rangeParams(q)
  const scanned = goals.map((goal, i) => ({ goal, i, ...goalCondition(goal, `g${i}`) }))
  for (const s of scanned) Object.assign(params, s.params)
  const columns = scanned
    .filter((s) => s.goal.kind !== 'engagement')
    .map((s) => `uniqExactIf(visitor_id, ${s.sql}) AS v${s.i}, ${PER_VISIT.includes(s.goal.kind) ? `uniqExactIf(session_id, ${s.sql})` : `countIf(${s.sql})`} AS n${s.i}`)
  const [scan] = await rows<Record<string, string>>(
    storage,
    // Visitors as the cards count them: engagement reports alone make no visitor.
    `SELECT uniqExactIf(visitor_id, name != 'engagement') AS visitors${columns.map((c) => `, ${c}`).join('')} FROM cairn.events WHERE ${where}`,
    params,
  )
  const counted = new Map<number, { visitors: number; events: number }>()
  for (const s of scanned) if (s.goal.kind !== 'engagement') counted.set(s.i, { visitors: Number(scan?.[`v${s.i}`] ?? 0), events: Number(scan?.[`n${s.i}`] ?? 0) })
  // Engaged time is a visit's sum over the path's pages: one grouped query a goal.
  await Promise.all(
    scanned
      .filter((s) => s.goal.kind === 'engagement')
      .map(async (s) => {
        const [row] = await rows<{ v: string; n: string }>(
          storage,
          `SELECT uniqExact(visitor_id) AS v, count() AS n FROM (
             SELECT visitor_id, session_id FROM cairn.events WHERE ${where} AND ${s.sql}
             GROUP BY visitor_id, session_id HAVING sum(engagement_ms) >= {g${s.i}_ms:UInt64})`,
          { ...params, [`g${s.i}_ms`]: s.goal.threshold * 1000 },
        )
        counted.set(s.i, { visitors: Number(row?.v ?? 0), events: Number(row?.n ?? 0) })
      }),
  )
  const visitors = Number(scan?.visitors ?? 0)
  return {
    visitors,
    goals: scanned.map(({ goal, i }) => {
      const c = counted.get(i)!
      return { id: goal.id, name: goal.name, kind: goal.kind, visitors: c.visitors, events: c.events, conversion_rate: percent(c.visitors, visitors) }
    }),
  }
}

/** The cards' and the graph's conversions while a goal filters, for one range. */
export interface GoalSummary {
  totals: { conversions: number; conversion_events: number; conversion_rate: number }
  points: { bucket: string; conversions: number; conversion_rate: number }[]
}

/**
 * The dashboard asks for the cards and the graph at once, each with the goal: concurrent identical
 * requests share one computation, as the plain cards and graph do (stats.ts, `summary`).
 */
const goalSummaries = sharedWhileRunning<GoalSummary>()

export function goalSummary(storage: Storage, q: StatsQuery, goal: Goal): Promise<GoalSummary> {
  return goalSummaries(JSON.stringify([q, goal]), () => computeGoalSummary(storage, q, goal))
}

/**
 * For the range and for each of the graph's buckets, in one scan: the visitors who converted and their
 * share of the visitors, and for the range the total conversions (visits for scroll and engaged-time
 * goals). An engaged-time goal is a visit's sum: its visitors are those of the visits that reached it.
 */
async function computeGoalSummary(storage: Storage, q: StatsQuery, goal: Goal): Promise<GoalSummary> {
  // Counted by the cards' own scan when it can be: one scan of the range for the cards, graph and conversions.
  if (foldsGoal(q, goal)) {
    const { totals, points, goal: found } = await summary(storage, q, goal)
    return {
      totals: { conversions: found!.visitors, conversion_events: found!.events, conversion_rate: percent(found!.visitors, totals.visitors) },
      points: points.map((p, i) => ({ bucket: p.bucket, conversions: found!.points[i]!, conversion_rate: percent(found!.points[i]!, p.visitors) })),
    }
  }
  const params = rangeParams(q)
  const engagement = goal.kind === 'engagement'
  const c = engagement ? convertedVisitors(goal, q.filters) : goalCondition(goal, 'goal')
  Object.assign(params, c.params)
  const [found, visits] = await Promise.all([
    rows<{ bucket: string; total: string; c: string; n: string; v: string }>(
      storage,
      `SELECT ${bucketOf(q, 'timestamp')} AS bucket, grouping(bucket) AS total, uniqExactIf(visitor_id, ${c.sql}) AS c,
              ${engagement ? '0' : PER_VISIT.includes(goal.kind) ? `uniqExactIf(session_id, ${c.sql})` : `countIf(${c.sql})`} AS n,
              uniqExactIf(visitor_id, name != 'engagement') AS v
       FROM cairn.events WHERE ${IN_RANGE}${wholeVisitConditions(q.filters)} GROUP BY GROUPING SETS ((bucket), ())`,
      params,
    ),
    // The visits that reached an engaged-time goal are counted by grouping them.
    engagement ? conversions(storage, q, [goal]).then((r) => r.goals[0]!.events) : undefined,
  ])
  const byBucket = new Map(found.filter((r) => r.total === '0').map((r) => [r.bucket, r]))
  const total = found.find((r) => r.total === '1')
  const converted = Number(total?.c ?? 0)
  return {
    totals: { conversions: converted, conversion_events: visits ?? Number(total?.n ?? 0), conversion_rate: percent(converted, Number(total?.v ?? 0)) },
    points: buckets(q.range).map((bucket) => {
      const r = byBucket.get(bucket)
      return { bucket, conversions: Number(r?.c ?? 0), conversion_rate: percent(Number(r?.c ?? 0), Number(r?.v ?? 0)) }
    }),
  }
}
