/**
 * Query-string validation for the stats API. Every value is checked against what it may be and leaves
 * here typed; an invalid one is a 400 naming the parameter.
 */
import { FILTER_NAMES, type Filters } from './filters.ts'
import { invalid } from './http-error.ts'
import { FIRST_DAY, LAST_DAY, PERIODS, isDay, localDate, resolveRange, daysBetween, type DateRange, type Period } from './range.ts'
import { breakdownOf, type BreakdownName, type BreakdownOptions } from './stats.ts'

const MAX_FILTER_CHARS = 2000

export interface RangeQuery {
  range: DateRange
  compare: boolean
  filters: Filters
}

export function parseRangeQuery(query: Record<string, string>, timeZone: string, nowMs: number): RangeQuery {
  const errors: Record<string, string> = {}
  const period = (query.period ?? '30d') as Period
  if (!PERIODS.includes(period)) errors.period = `must be one of ${PERIODS.join(', ')}`
  let custom: { from: string; to: string } | undefined
  if (period === 'custom') {
    const { from, to } = query
    const day = `must be a date YYYY-MM-DD from ${FIRST_DAY} to ${LAST_DAY} with period=custom`
    if (!from || !isDay(from)) errors.from = day
    if (!to || !isDay(to)) errors.to = day
    if (!errors.from && !errors.to) {
      if (to! < from!) errors.to = 'must not be before from'
      else if (daysBetween(from!, to!) > 3 * 366) errors.to = 'must be at most three years after from'
      else custom = { from: from!, to: to! }
    }
  }
  const compare = query.compare ?? 'off'
  if (compare !== 'previous' && compare !== 'off') errors.compare = 'must be "previous" or "off"'
  const filters: Filters = {}
  for (const name of FILTER_NAMES) {
    const value = query[name]
    if (value === undefined) continue
    if (value.length > MAX_FILTER_CHARS) errors[name] = `must be at most ${MAX_FILTER_CHARS} characters`
    else if (name === 'consent' && value !== 'true' && value !== 'false') errors[name] = 'must be true or false'
    else filters[name] = value
  }
  if (Object.keys(errors).length > 0) throw invalid(errors)
  return { range: resolveRange(period, localDate(nowMs, timeZone), custom), compare: compare === 'previous', filters }
}

export function parseBreakdownOptions(query: Record<string, string>, name: BreakdownName): BreakdownOptions {
  const errors: Record<string, string> = {}
  const metrics: readonly string[] = breakdownOf(name).breakdown.metrics
  const [metric = metrics[0]!, direction = 'desc'] = (query.sort ?? '').split(':').filter(Boolean)
  if (metric !== 'value' && !metrics.includes(metric)) errors.sort = `must be one of ${[...metrics, 'value'].join(', ')}, optionally with :asc or :desc`
  if (direction !== 'asc' && direction !== 'desc') errors.sort = 'direction must be asc or desc'
  const limit = integer(query.limit, 10, 1, 1000, 'limit', errors)
  const offset = integer(query.offset, 0, 0, 1_000_000, 'offset', errors)
  if (Object.keys(errors).length > 0) throw invalid(errors)
  return { sort: { metric, direction: direction as 'asc' | 'desc' }, limit, offset }
}

export function integer(raw: string | undefined, fallback: number, min: number, max: number, name: string, errors: Record<string, string>): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    errors[name] = `must be an integer from ${min} to ${max}`
    return fallback
  }
  return n
}
