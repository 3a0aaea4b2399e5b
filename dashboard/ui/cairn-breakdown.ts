/** One panel of ranked rows (pages, sources, countries …) with tabs; clicking a row filters the dashboard. */
import { LitElement, css, html, nothing } from 'lit'
import { Task, initialState } from '@lit/task'
import { DIMENSION, type DimensionName } from '../../sql/dimensions.ts'
import { api, authorizedFetch, formatNumber } from './api.ts'
import { statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'
import { shown, visible } from './text.ts'

export interface Tab {
  label: string
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

const METRIC_LABELS: Record<string, string> = { visitors: 'Visitors', visits: 'Visits', pageviews: 'Pageviews', count: 'Count', bounce_rate: 'Bounce' }
const regionNames = new Intl.DisplayNames(['en'], { type: 'region' })

/** A dimension's value as people read it, by how the declaration says it is shown. */
export function describeValue(dimension: string, value: string): string {
  const display = DIMENSION[dimension as DimensionName]?.display ?? 'text'
  if (display === 'source' && value === '') return 'Direct / None'
  if (display === 'consent') return value === 'true' ? 'With consent (cookie)' : 'Cookieless'
  if (display === 'country') {
    if (!value) return 'Unknown'
    const flag = String.fromCodePoint(...[...value].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65))
    return `${flag} ${regionNames.of(value) ?? value}`
  }
  return value || '(none)'
}

/**
 * @fires cairn-filter - {name, value}: the user picked a row to filter by
 */
export class CairnBreakdown extends LitElement {
  static override styles = [
    panel,
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
      .csv { border: 1px solid var(--border); background: none; border-radius: 6px; padding: 2px 8px; cursor: pointer; font-size: 12px; }
    `,
  ]

  static override properties = {
    heading: { type: String },
    tabs: { attribute: false },
    view: { attribute: false },
    active: { state: true },
  }

  /** The panel's title. */
  declare heading: string
  /** The views this panel switches between. */
  declare tabs: Tab[]
  /** The dashboard's current view. */
  declare view: ViewState
  /** The tab shown. */
  declare active: number

  private readonly rows = new Task(this, {
    args: () => [this.view?.site, this.tab?.breakdown, this.view && this.tab && statsParams({ ...this.view, compare: false }, { limit: '10', sort: `${this.tab.metrics[0]}:desc` })] as const,
    task: async ([site, breakdown, params]) =>
      site && breakdown ? (await api<{ rows: Row[] }>(`/api/stats/${encodeURIComponent(site)}/breakdown/${breakdown}?${params}`)).rows : initialState,
  })

  constructor() {
    super()
    this.heading = ''
    this.tabs = []
    this.active = 0
  }

  private get tab(): Tab | undefined {
    return this.tabs[this.active]
  }

  override render() {
    const tab = this.tab
    if (!tab) return nothing
    return html`
      <header>
        <h2>${this.heading}</h2>
        ${this.tabs.length > 1
          ? html`<nav role="tablist">
              ${this.tabs.map((t, i) => html`<button role="tab" aria-selected=${i === this.active} @click=${() => (this.active = i)}>${t.label}</button>`)}
            </nav>`
          : nothing}
        <button class="csv" title="Download as CSV" @click=${this._downloadCsv}>CSV</button>
      </header>
      ${this.rows.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (error) => html`<p class="error" role="alert">Could not load ${tab.label.toLowerCase()}: ${(error as Error).message}</p>`,
        complete: (rows) => (rows.length === 0 ? html`<p class="muted">Nothing in this period${Object.keys(this.view.filters).length ? ' with these filters' : ''}.</p>` : this._table(tab, rows)),
      })}
    `
  }

  private _table(tab: Tab, rows: Row[]) {
    const max = Math.max(1, ...rows.map((r) => Number(r[tab.metrics[0]!])))
    return html`<table>
      <thead><tr><th>${tab.label}</th>${tab.metrics.map((m) => html`<th>${METRIC_LABELS[m] ?? m}</th>`)}</tr></thead>
      <tbody>
        ${rows.map((row) => html`<tr>
          <td>
            <span class="bar" style="width: ${(Number(row[tab.metrics[0]!]) / max) * 100}%"></span>
            ${tab.filter
              ? html`<button class="label" title="Filter by ${visible(describeValue(tab.breakdown, row.value))}" @click=${() => this._filter(row.value)}>${shown(describeValue(tab.breakdown, row.value))}</button>`
              : html`<span class="label" title=${visible(row.value)}>${shown(describeValue(tab.breakdown, row.value))}</span>`}
          </td>
          ${tab.metrics.map((m) => html`<td>${m === 'bounce_rate' ? `${row[m]}%` : formatNumber(Number(row[m]))}</td>`)}
        </tr>`)}
      </tbody>
    </table>`
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
