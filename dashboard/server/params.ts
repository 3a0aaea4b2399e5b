/**
 * Request parameters: the stats API's query string, and the admin API's JSON bodies. Every value is
 * checked against what it may be and leaves here typed; an invalid one is a 400 naming the parameter.
 */
import { FILTER_NAMES, type Filters } from './filters.ts'
import { anyOf } from '../i18n/translate.ts'
import { invalid, type Said } from './http-error.ts'
import { FIRST_DAY, LAST_DAY, PERIODS, isDay, localDate, resolveRange, daysBetween, type DateRange, type Period } from './range.ts'
import type { BreakdownOptions } from './stats.ts'

const MAX_FILTER_CHARS = 2000
const MAX_PROPS = 5

export interface RangeQuery {
  range: DateRange
  compare: boolean
  filters: Filters
}

export function parseRangeQuery(query: Record<string, string>, timeZone: string, nowMs: number): RangeQuery {
  const errors: Record<string, Said> = {}
  const period = (query.period ?? '30d') as Period
  if (!PERIODS.includes(period)) errors.period = ['api.field.oneOf', { choices: anyOf(PERIODS) }]
  let custom: { from: string; to: string } | undefined
  if (period === 'custom') {
    const { from, to } = query
    const day: Said = ['api.field.customDay', { first: FIRST_DAY, last: LAST_DAY }]
    if (!from || !isDay(from)) errors.from = day
    if (!to || !isDay(to)) errors.to = day
    if (!errors.from && !errors.to) {
      if (to! < from!) errors.to = ['api.field.toBeforeFrom']
      else if (daysBetween(from!, to!) > 3 * 366) errors.to = ['api.field.toTooFar']
      else custom = { from: from!, to: to! }
    }
  }
  const compare = query.compare ?? 'off'
  if (compare !== 'previous' && compare !== 'off') errors.compare = ['api.field.oneOf', { choices: anyOf(['previous', 'off']) }]
  const filters: Filters = {}
  for (const name of FILTER_NAMES) {
    const value = query[name]
    if (value === undefined) continue
    if (value.length > MAX_FILTER_CHARS) errors[name] = ['api.field.maxChars', { max: MAX_FILTER_CHARS }]
    else if (name === 'consent' && value !== 'true' && value !== 'false') errors[name] = ['api.field.oneOf', { choices: anyOf(['true', 'false']) }]
    else filters[name] = value
  }
  // Custom properties: `prop.<key>=<value>`, at most MAX_PROPS.
  for (const [name, value] of Object.entries(query).filter(([name]) => name.startsWith('prop.'))) {
    const key = name.slice('prop.'.length)
    if (!key || key.length > 100) errors[name] = ['api.field.propKey', { max: 100 }]
    else if (value.length > MAX_FILTER_CHARS) errors[name] = ['api.field.maxChars', { max: MAX_FILTER_CHARS }]
    else if (Object.keys(filters.props ?? {}).length >= MAX_PROPS) errors[name] = ['api.field.maxProps', { max: MAX_PROPS }]
    else (filters.props ??= {})[key] = value
  }
  if (Object.keys(errors).length > 0) throw invalid(errors)
  return { range: resolveRange(period, localDate(nowMs, timeZone), custom), compare: compare === 'previous', filters }
}

/** Sorting and paging of a breakdown whose rows have `metrics`. */
export function parseBreakdownOptions(query: Record<string, string>, metrics: readonly string[]): BreakdownOptions {
  const errors: Record<string, Said> = {}
  const [metric = metrics[0]!, direction = 'desc'] = (query.sort ?? '').split(':').filter(Boolean)
  if (metric !== 'value' && !metrics.includes(metric)) errors.sort = ['api.field.sort', { choices: anyOf([...metrics, 'value']) }]
  if (direction !== 'asc' && direction !== 'desc') errors.sort = ['api.field.sortDirection']
  const limit = integer(query.limit, 10, 1, 1000, 'limit', errors)
  const offset = integer(query.offset, 0, 0, 1_000_000, 'offset', errors)
  if (Object.keys(errors).length > 0) throw invalid(errors)
  return { sort: { metric, direction: direction as 'asc' | 'desc' }, limit, offset }
}

export function integer(raw: string | undefined, fallback: number, min: number, max: number, name: string, errors: Record<string, Said>): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    errors[name] = ['api.field.integer', { min, max }]
    return fallback
  }
  return n
}

/** A request's JSON object body; anything else (no body, bad JSON, an array) reads as {} and fails the fields' checks. */
export async function jsonBody(c: { req: { json(): Promise<unknown> } }): Promise<Record<string, unknown>> {
  const body = await c.req.json().catch(() => null)
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
}
