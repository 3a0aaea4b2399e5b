/**
 * Date ranges as marketing names them, resolved in the site's time zone into whole local days
 * [from, to] (inclusive), the bucket size of the graph, and the previous period of the same length.
 */

export const PERIODS = ['today', 'yesterday', '7d', '30d', 'month', 'last_month', '12mo', 'custom'] as const
export type Period = (typeof PERIODS)[number]
export type Interval = 'hour' | 'day' | 'month'

export interface DateRange {
  period: Period
  /** First local day, YYYY-MM-DD. */
  from: string
  /** Last local day, inclusive. */
  to: string
  interval: Interval
}

const DAY_MS = 86_400_000

/** The local calendar date of an instant in a time zone. */
export function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms)
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}

/** Days the reports can be asked about: past them, the engine's date types overflow. */
export const FIRST_DAY = '2000-01-01'
export const LAST_DAY = '2099-12-31'

/** A real calendar day YYYY-MM-DD (not 2026-02-30) within FIRST_DAY … LAST_DAY. */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || text < FIRST_DAY || text > LAST_DAY) return false
  const date = new Date(`${text}T12:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text
}

/** Day arithmetic on YYYY-MM-DD strings (UTC noon avoids any daylight-saving edge). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T12:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
}

function addMonths(date: string, months: number): string {
  const [y, m] = date.split('-').map(Number) as [number, number]
  const d = new Date(Date.UTC(y, m - 1 + months, 1))
  return d.toISOString().slice(0, 10)
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T12:00:00Z`) - Date.parse(`${from}T12:00:00Z`)) / DAY_MS) + 1
}

export function resolveRange(period: Period, today: string, custom?: { from: string; to: string }): DateRange {
  const monthStart = today.slice(0, 8) + '01'
  const [from, to] = ((): [string, string] => {
    switch (period) {
      case 'today':
        return [today, today]
      case 'yesterday':
        return [addDays(today, -1), addDays(today, -1)]
      case '7d':
        return [addDays(today, -6), today]
      case '30d':
        return [addDays(today, -29), today]
      case 'month':
        return [monthStart, today]
      case 'last_month':
        return [addMonths(monthStart, -1), addDays(monthStart, -1)]
      case '12mo':
        return [addMonths(monthStart, -11), today]
      case 'custom':
        return [custom!.from, custom!.to]
    }
  })()
  const days = daysBetween(from, to)
  return { period, from, to, interval: days <= 2 ? 'hour' : days <= 92 ? 'day' : 'month' }
}

/** The same number of days just before. For whole months, the month(s) before. */
export function previousRange(range: DateRange): DateRange {
  if (range.period === 'last_month' || range.period === '12mo') {
    const months = range.period === '12mo' ? 12 : 1
    const from = addMonths(range.from, -months)
    return { ...range, from, to: addDays(range.from, -1) }
  }
  const days = daysBetween(range.from, range.to)
  return { ...range, from: addDays(range.from, -days), to: addDays(range.from, -1) }
}

/** Every bucket label of a range, so a graph has a point (zero) where nothing happened. */
export function buckets(range: DateRange): string[] {
  const labels: string[] = []
  if (range.interval === 'hour') {
    for (let d = range.from; d <= range.to; d = addDays(d, 1)) for (let h = 0; h < 24; h++) labels.push(`${d} ${String(h).padStart(2, '0')}:00:00`)
  } else if (range.interval === 'day') {
    for (let d = range.from; d <= range.to; d = addDays(d, 1)) labels.push(d)
  } else {
    for (let m = range.from.slice(0, 8) + '01'; m <= range.to; m = addMonths(m, 1)) labels.push(m)
  }
  return labels
}
