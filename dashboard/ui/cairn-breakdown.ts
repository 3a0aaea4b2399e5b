/**
 * One panel of ranked rows (pages, sources, countries …) with tabs; clicking a row filters the dashboard.
 * With the goal filter, every tab shows the API's goal metrics instead: each row's visitors who converted
 * and their conversion rate (docs/stats-api.md, "The goal filter"). A figure the API estimated is marked ≈.
 */
import { css, html, nothing, type TemplateResult } from 'lit'
import { Task, initialState } from '@lit/task'
import { DIMENSION, type DimensionName } from '../../sql/dimensions.ts'
import { api, authorizedFetch } from './api.ts'
import { estimateStyles, estimated, isEstimate, reportEstimates, type MaybeEstimated } from './estimates.ts'
import { Localized, formatCount, formatPercent, number, regionName, t } from './i18n.ts'
import { statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'
import { shown, visible } from './text.ts'
import type { ImportedState } from '../server/imported.ts'

export interface Tab {
  /** The dimension shown: its breakdown route, and `dimension.<name>.tab` its title. */
  breakdown: string
  /** The dashboard filter a click on a row sets; none for rows that are not filters (files, links). */
  filter?: string
  /** The metrics shown, first one drawn as the bar. */
  metrics: string[]
}

interface Row {
  value: string
  [metric: string]: number | string
}

/** GET …/breakdown/{name}: one page of rows. */
interface Rows extends MaybeEstimated {
  rows: Row[]
  /** What the rows did with imported data (dashboard/server/imported.ts). */
  imported?: ImportedState
}

/** The metrics every breakdown answers under the goal filter. */
export const GOAL_METRICS = ['visitors', 'conversion_rate']

const isCountry = (code: string) => /^[A-Z]{2}$/.test(code)

/** A dimension's value as text (a title, a filter chip's tooltip), by how the declaration says it is shown. */
export function describeValue(dimension: string, value: string): string {
  const display = DIMENSION[dimension as DimensionName]?.display ?? 'text'
  if (display === 'source' && value === '') return t('value.direct')
  if (display === 'consent') return t('value.consent', { consent: value })
  if (display === 'country') return isCountry(value) ? regionName(value) : t('value.unknown')
  return value ? visible(value) : t('value.none')
}

/**
 * A dimension's value as shown: visitors' text isolated and made visible (text.ts); a country as its
 * flag, an image of the bundle (no emoji font needed), and its name in the dashboard's language.
 */
export function showValue(dimension: string, value: string): TemplateResult | string {
  const display = DIMENSION[dimension as DimensionName]?.display ?? 'text'
  if (display === 'country' && isCountry(value)) {
    return html`<img class="flag" src="/assets/flags/${value.toLowerCase()}.svg" alt="" width="16" height="12" /><data value=${value}>${regionName(value)}</data>`
  }
  return display === 'text' || display === 'link' ? (value ? shown(value) : t('value.none')) : display === 'source' && value ? shown(value) : describeValue(dimension, value)
}

/**
 * @fires cairn-filter - {name, value}: the user picked a row to filter by
 * @fires cairn-estimates - {estimated}: whether the rows shown include estimates
 */
export class CairnBreakdown extends Localized {
  static override styles = [
    panel,
    estimateStyles,
    css`
      nav { display: flex; gap: 4px; flex-wrap: wrap; }
      nav button { border: 0; background: none; padding: 4px 8px; border-radius: 6px; cursor: pointer; color: var(--muted); }
      nav button[aria-selected='true'] { background: var(--chip); color: var(--text); font-weight: 600; }
      table { width: 100%; border-collapse: collapse; font-size: 14px; table-layout: fixed; }
      th { text-align: right; font-weight: 500; color: var(--muted); font-size: 12px; padding: 4px 0 6px 8px; width: 80px; }
      th:first-child { text-align: left; width: auto; padding-left: 0; }
      td { padding: 3px 0 3px 8px; text-align: right; font-variant-numeric: tabular-nums; }
      td:first-child { text-align: left; padding-left: 0; position: relative; }
      .bar { position: absolute; inset: 1px auto 1px 0; background: var(--bar); border-radius: 4px; z-index: 0; }
      .label { position: relative; z-index: 1; display: block; padding: 2px 6px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      button.label { border: 0; background: none; cursor: pointer; width: 100%; text-align: left; }
      button.label:hover { text-decoration: underline; }
      .flag { width: 16px; height: 12px; margin-right: 6px; vertical-align: -1px; border-radius: 2px; box-shadow: 0 0 0 1px var(--border); }
      .csv { border: 1px solid var(--border); background: none; border-radius: 6px; padding: 2px 8px; cursor: pointer; font-size: 12px; }
    `,
  ]

  static override properties = {
    panel: { type: String },
    tabs: { attribute: false },
    view: { attribute: false },
    active: { state: true },
  }

  /** Which panel this is: `ui.panel.<panel>` is its title. */
  declare panel: string
  /** The views this panel switches between. */
  declare tabs: Tab[]
  /** The dashboard's current view. */
  declare view: ViewState
  /** The tab shown. */
  declare active: number

  private readonly rows = new Task(this, {
    args: () => [this.view?.site, this.tab?.breakdown, this.view && this.tab && statsParams({ ...this.view, compare: false }, { limit: '10', sort: `${this.metrics[0]}:desc` })] as const,
    task: async ([site, breakdown, params]) => (site && breakdown ? api<Rows>(`/api/stats/${encodeURIComponent(site)}/breakdown/${breakdown}?${params}`) : initialState),
    onComplete: (answer) => reportEstimates(this, answer),
    onError: () => reportEstimates(this),
  })

  constructor() {
    super()
    this.panel = ''
    this.tabs = []
    this.active = 0
  }

  private get tab(): Tab | undefined {
    return this.tabs[this.active]
  }

  /** The columns: the tab's metrics, or the goal's when the view has a goal filter. */
  private get metrics(): string[] {
    return this.view?.goal ? GOAL_METRICS : (this.tab?.metrics ?? [])
  }

  override render() {
    const tab = this.tab
    if (!tab) return nothing
    return html`
      <header>
        <h2>${t(`ui.panel.${this.panel}`)}</h2>
        ${this.tabs.length > 1
          ? html`<nav role="tablist">
              ${this.tabs.map((tab, i) => html`<button role="tab" aria-selected=${i === this.active} @click=${() => (this.active = i)}>${t(`dimension.${tab.breakdown}.tab`)}</button>`)}
            </nav>`
          : nothing}
        <button class="csv" title=${t('ui.csvTitle')} @click=${this._downloadCsv}>${t('ui.csv')}</button>
      </header>
      ${this.rows.render({
        pending: () => html`<p class="muted">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.breakdownError', { what: t(`dimension.${tab.breakdown}.tab`), error: (error as Error).message })}</p>`,
        complete: (answer) => html`
          ${answer.rows.length === 0 ? html`<p class="muted">${t('ui.nothing', { filtered: Object.keys(this.view.filters).length > 0 || Boolean(this.view.goal) })}</p>` : this._table(tab, answer)}
          ${this._importedLeftOut(answer)}`,
      })}
    `
  }

  private _table(tab: Tab, { rows, ...answer }: Rows) {
    const metrics = this.metrics
    const max = Math.max(1, ...rows.map((r) => Number(r[metrics[0]!])))
    return html`<table data-breakdown=${tab.breakdown}>
      <thead><tr><th>${t(`dimension.${tab.breakdown}.label`)}</th>${metrics.map((m) => html`<th class=${m}>${t(`metric.${m}`)}</th>`)}</tr></thead>
      <tbody>
        ${rows.map((row) => html`<tr>
          <td>
            <span class="bar" style="width: ${(Number(row[metrics[0]!]) / max) * 100}%"></span>
            ${tab.filter
              ? html`<button class="label" title=${t('ui.filterBy', { value: describeValue(tab.breakdown, row.value) })} @click=${() => this._filter(row.value)}>${showValue(tab.breakdown, row.value)}</button>`
              : html`<span class="label" title=${visible(row.value)}>${showValue(tab.breakdown, row.value)}</span>`}
          </td>
          ${metrics.map((m) => {
            const n = Number(row[m])
            return html`<td class=${m}>${estimated(isEstimate(answer, m), number(n, m === 'bounce_rate' ? formatPercent(n) : m === 'conversion_rate' ? formatPercent(n, 1) : formatCount(n)))}</td>`
          })}
        </tr>`)}
      </tbody>
    </table>`
  }

  /**
   * Where the cards count imported days but this tab cannot (imported data has no consent, and counts a
   * host's visitors once a page), it says so; with filters or a goal the cards already say it for all.
   */
  private _importedLeftOut(answer: Rows) {
    const filtered = Object.keys(this.view.filters).length > 0 || Boolean(this.view.goal)
    return answer.imported === 'unsupported' && !filtered ? html`<p class="muted imported-left-out">${t('ui.imported.panelLeftOut')}</p>` : nothing
  }

  private _filter(value: string): void {
    this.dispatchEvent(new CustomEvent('cairn-filter', { detail: { name: this.tab!.filter, value }, bubbles: true, composed: true }))
  }

  private async _downloadCsv(): Promise<void> {
    const params = statsParams({ ...this.view, compare: false }, { limit: '1000', format: 'csv' })
    const response = await authorizedFetch(`/api/stats/${encodeURIComponent(this.view.site)}/breakdown/${this.tab!.breakdown}?${params}`)
    const link = document.createElement('a')
    link.href = URL.createObjectURL(await response.blob())
    link.download = `${this.view.site}-${this.tab!.breakdown}.csv`
    link.click()
    URL.revokeObjectURL(link.href)
  }
}

customElements.define('cairn-breakdown', CairnBreakdown)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-breakdown': CairnBreakdown
  }
}
