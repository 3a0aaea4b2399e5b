/**
 * The dashboard's whole view — site, range, filters, comparison, imported data, graph metric, theme, language — lives in
 * the URL, so a view can be bookmarked, shared (in French, with lang=fr) and restored by a reload.
 */

import { FILTERS, FUNNEL_BREAKDOWNS, type FunnelBreakdown } from '../../sql/dimensions.ts'
import type { Period } from '../server/range.ts'

/** The periods of the range menu, in its order; each is named by `period.<id>` in the catalogues. */
export const PERIODS: readonly Period[] = ['today', 'yesterday', '7d', '30d', 'month', 'last_month', '12mo', 'custom']

/** What the graph can draw; the last two only while a goal filters (the time series has them then). */
export const METRICS = ['visitors', 'visits', 'pageviews', 'downloads', 'bounce_rate', 'visit_duration', 'conversions', 'conversion_rate'] as const
export type Metric = (typeof METRICS)[number]
const GOAL_METRICS: readonly Metric[] = ['conversions', 'conversion_rate']

/** The graph's metric: the view's, unless it is a conversion metric and no goal filters any more. */
export const graphMetric = (view: Pick<ViewState, 'metric' | 'goal'>): Metric => (!view.goal && GOAL_METRICS.includes(view.metric) ? 'visitors' : view.metric)

/** The settings' screens, in the order of their menu; each is named by `ui.settings.tab.<id>`. */
export const SETTINGS_TABS = ['sites', 'goals', 'reports', 'alerts', 'people', 'keys', 'links', 'requests', 'imports', 'retention', 'account'] as const
export type SettingsTab = (typeof SETTINGS_TABS)[number]

/** The screens a person sees: all for an admin of a site (or one who may add sites), else their own keys, the retention and their account. */
export function settingsTabs(sites: readonly { admin: boolean }[], canAddSites: boolean): SettingsTab[] {
  const admin = canAddSites || sites.some((s) => s.admin)
  return SETTINGS_TABS.filter((tab) => admin || tab === 'keys' || tab === 'retention' || tab === 'account')
}


export interface ViewState {
  site: string
  period: string
  from: string
  to: string
  compare: boolean
  /**
   * Exact figures asked for (`exact=true`): the stats API then counts every visitor exactly, more slowly,
   * instead of estimating some counts of long ranges (docs/stats-api.md).
   */
  exact: boolean
  /**
   * Data imported from other tools counted in (the default), or left out (`imported=false`): the stats
   * API then leaves the imported days' figures out (docs/stats-api.md).
   */
  imported: boolean
  metric: Metric
  theme: 'light' | 'dark' | ''
  /** The language chosen in the URL ('' when the stored or the browser's choice applies). */
  lang: string
  /** The dimensions' filters by name, and custom properties' as `prop.<key>` (as the stats API takes them). */
  filters: Record<string, string>
  /** The goal filter: the id of the goal whose converted visitors are counted ('' for none). */
  goal: string
  /** The funnel panel's saved funnel ('' for the first) and what it is broken down by ('' for nothing). */
  funnel: string
  funnelBy: FunnelBreakdown | ''
  /** The dashboard, or the settings (`view=settings`): the dashboard's own state stays in the URL meanwhile. */
  screen: 'dashboard' | 'settings'
  /** The settings' screen shown. */
  tab: SettingsTab
  /** The site the settings' per-site screens (goals, people, links, requests, imports) are about; '' for the first one. */
  manage: string
}

export function readState(search: string): ViewState {
  const q = new URLSearchParams(search)
  const filters: Record<string, string> = {}
  for (const name of FILTERS) {
    const value = q.get(name)
    if (value !== null) filters[name] = value
  }
  for (const [name, value] of q) if (isPropFilter(name)) filters[name] = value
  const theme = q.get('theme')
  const tab = q.get('tab') as SettingsTab
  const metric = q.get('metric') as Metric
  const funnelBy = q.get('funnel_by') as FunnelBreakdown
  return {
    site: q.get('site') ?? '',
    period: q.get('period') ?? '30d',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
    // The previous period is overlaid unless the view says compare=off.
    compare: q.get('compare') !== 'off',
    exact: q.get('exact') === 'true',
    imported: q.get('imported') !== 'false',
    metric: METRICS.includes(metric) ? metric : 'visitors',
    theme: theme === 'dark' || theme === 'light' ? theme : '',
    lang: q.get('lang') ?? '',
    filters,
    goal: q.get('goal') ?? '',
    funnel: q.get('funnel') ?? '',
    funnelBy: FUNNEL_BREAKDOWNS.includes(funnelBy) ? funnelBy : '',
    screen: q.get('view') === 'settings' ? 'settings' : 'dashboard',
    tab: SETTINGS_TABS.includes(tab) ? tab : 'sites',
    manage: q.get('manage') ?? '',
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
  if (state.exact) q.set('exact', 'true')
  if (!state.imported) q.set('imported', 'false')
  if (state.metric !== 'visitors') q.set('metric', state.metric)
  if (state.theme) q.set('theme', state.theme)
  if (state.lang) q.set('lang', state.lang)
  for (const [k, v] of Object.entries(state.filters)) q.set(k, v)
  if (state.goal) q.set('goal', state.goal)
  if (state.funnel) q.set('funnel', state.funnel)
  if (state.funnelBy) q.set('funnel_by', state.funnelBy)
  if (state.screen === 'settings') {
    q.set('view', 'settings')
    q.set('tab', state.tab)
    if (state.manage) q.set('manage', state.manage)
  }
  return `?${q}`
}

/** A custom property's filter, `prop.<key>` (docs/stats-api.md, "properties/{key}"). */
export const isPropFilter = (name: string): boolean => name.startsWith('prop.') && name.length > 'prop.'.length

/**
 * The stats API's query string for a view (its range, filters, goal, comparison, exact figures, imported
 * data left out). The goal goes with every request: the routes it does not apply to ignore it.
 */
export function statsParams(state: ViewState, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ period: state.period, ...state.filters, ...(state.goal && { goal: state.goal }), ...extra })
  if (state.period === 'custom') {
    q.set('from', state.from)
    q.set('to', state.to)
  }
  if (state.compare) q.set('compare', 'previous')
  if (state.exact) q.set('exact', 'true')
  if (!state.imported) q.set('imported', 'false')
  return q.toString()
}
