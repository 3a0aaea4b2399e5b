/**
 * Conversions of a site's goals in a range (docs/stats-api.md, "Goals"): for each goal, the unique
 * conversions (visitors who reached it), the total conversions (matching events; visits for scroll and
 * engagement goals) and the conversion rate (unique conversions / visitors, in the same range and filters).
 * All goals but engaged-time ones come from one scan of the range's events.
 */
import type { Storage } from '../../sql/client.ts'
import { PER_VISIT, goalCondition, type Goal } from '../../sql/goals.ts'
import { convertedVisitors, visitFiltersOnly, wholeVisitConditions } from './filters.ts'
import { IN_RANGE, bucketOf, buckets, rangeParams, rows, type StatsQuery } from './stats.ts'

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

/**
 * `knownVisitors`: the range's visitors when the caller has counted them already (the cards have), which
 * saves the scan's most expensive column; used only when the filters keep the same visitors either way.
 */
export async function conversions(storage: Storage, q: StatsQuery, goals: Goal[], knownVisitors?: number): Promise<{ visitors: number; goals: Conversion[] }> {
  const known = knownVisitors !== undefined && visitFiltersOnly(q.filters) ? knownVisitors : undefined
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
    `SELECT ${known === undefined ? "uniqExactIf(visitor_id, name != 'engagement')" : '0'} AS visitors${columns.map((c) => `, ${c}`).join('')} FROM cairn.events WHERE ${where}`,
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
  const visitors = known ?? Number(scan?.visitors ?? 0)
  return {
    visitors,
    goals: scanned.map(({ goal, i }) => {
      const c = counted.get(i)!
      return { id: goal.id, name: goal.name, kind: goal.kind, visitors: c.visitors, events: c.events, conversion_rate: percent(c.visitors, visitors) }
    }),
  }
}

/**
 * The graph's conversion metrics while a goal filters: for each bucket, the visitors who converted in it
 * and their share of the bucket's visitors (an engaged-time goal: the bucket's visitors whose visit in the
 * range reached it).
 */
export async function conversionSeries(storage: Storage, q: StatsQuery, goal: Goal): Promise<{ bucket: string; conversions: number; conversion_rate: number }[]> {
  const params = rangeParams(q)
  const c = goal.kind === 'engagement' ? convertedVisitors(goal, q.filters) : goalCondition(goal, 'goal')
  Object.assign(params, c.params)
  const found = await rows<{ bucket: string; c: string; v: string }>(
    storage,
    `SELECT ${bucketOf(q, 'timestamp')} AS bucket, uniqExactIf(visitor_id, ${c.sql}) AS c, uniqExactIf(visitor_id, name != 'engagement') AS v
     FROM cairn.events WHERE ${IN_RANGE}${wholeVisitConditions(q.filters)} GROUP BY bucket`,
    params,
  )
  const byBucket = new Map(found.map((r) => [r.bucket, r]))
  return buckets(q.range).map((bucket) => {
    const r = byBucket.get(bucket)
    return { bucket, conversions: Number(r?.c ?? 0), conversion_rate: percent(Number(r?.c ?? 0), Number(r?.v ?? 0)) }
  })
}
