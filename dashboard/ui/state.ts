/**
 * The dashboard's whole view — site, range, filters, comparison, graph metric, theme — lives in the URL,
 * so a view can be bookmarked, shared and restored by a reload.
 */

import { DIMENSIONS } from '../../sql/dimensions.ts'

/** What each filter is, for its chip: from the one declaration of dimensions. */
export const FILTER_LABELS: Record<string, string> = Object.fromEntries(DIMENSIONS.filter((d) => d.filter).map((d) => [d.name, d.label]))

export const PERIOD_LABELS: Record<string, string> = {
  today: 'Today', yesterday: 'Yesterday', '7d': 'Last 7 days', '30d': 'Last 30 days', month: 'Month to date',
  last_month: 'Last month', '12mo': 'Last 12 months', custom: 'Custom range',
}

export type Metric = 'visitors' | 'visits' | 'pageviews' | 'downloads' | 'bounce_rate' | 'visit_duration'

export interface ViewState {
  site: string
  period: string
  from: string
  to: string
  compare: boolean
  metric: Metric
  theme: 'light' | 'dark' | ''
  filters: Record<string, string>
}

export function readState(search: string): ViewState {
  const q = new URLSearchParams(search)
  const filters: Record<string, string> = {}
  for (const name of Object.keys(FILTER_LABELS)) {
    const value = q.get(name)
    if (value !== null) filters[name] = value
  }
  const theme = q.get('theme')
  return {
    site: q.get('site') ?? '',
    period: q.get('period') ?? '30d',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
    // The previous period is overlaid unless the view says compare=off.
    compare: q.get('compare') !== 'off',
    metric: (q.get('metric') as Metric) || 'visitors',
    theme: theme === 'dark' || theme === 'light' ? theme : '',
    filters,
  }
}

export function writeState(state: ViewState): string {
  const q = new URLSearchParams()
  if (state.site) q.set('site', state.site)
  q.set('period', state.period)
  if (state.period === 'custom') {
    q.set('from', state.from)
    q.set('to', state.to)
  }
  if (!state.compare) q.set('compare', 'off')
  if (state.metric !== 'visitors') q.set('metric', state.metric)
  if (state.theme) q.set('theme', state.theme)
  for (const [k, v] of Object.entries(state.filters)) q.set(k, v)
  return `?${q}`
}

/** The stats API's query string for a view (its range, filters and comparison). */
export function statsParams(state: ViewState, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ period: state.period, ...state.filters, ...extra })
  if (state.period === 'custom') {
    q.set('from', state.from)
    q.set('to', state.to)
  }
  if (state.compare) q.set('compare', 'previous')
  return q.toString()
}
