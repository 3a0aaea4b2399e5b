/**
 * The dashboard's whole view — site, range, filters, comparison, graph metric, theme, language — lives in
 * the URL, so a view can be bookmarked, shared (in French, with lang=fr) and restored by a reload.
 */

import { FILTERS } from '../../sql/dimensions.ts'
import type { Period } from '../server/range.ts'

/** The periods of the range menu, in its order; each is named by `period.<id>` in the catalogues. */
export const PERIODS: readonly Period[] = ['today', 'yesterday', '7d', '30d', 'month', 'last_month', '12mo', 'custom']

export type Metric = 'visitors' | 'visits' | 'pageviews' | 'downloads' | 'bounce_rate' | 'visit_duration'

export interface ViewState {
  site: string
  period: string
  from: string
  to: string
  compare: boolean
  metric: Metric
  theme: 'light' | 'dark' | ''
  /** The language chosen in the URL ('' when the stored or the browser's choice applies). */
  lang: string
  filters: Record<string, string>
}

export function readState(search: string): ViewState {
  const q = new URLSearchParams(search)
  const filters: Record<string, string> = {}
  for (const name of FILTERS) {
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
    lang: q.get('lang') ?? '',
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
  if (state.lang) q.set('lang', state.lang)
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
