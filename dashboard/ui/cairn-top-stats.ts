/**
 * The headline numbers with their change against the previous period; a card picks the graph's metric.
 * With the goal filter, three cards more: unique and total conversions, and the conversion rate; the graph
 * can draw the unique conversions and the rate. A number the API estimated is marked ≈, and so is its
 * change when either period's figure is an estimate.
 *
 * Where the range (or the one compared with) holds data imported from another tool, a switch above the
 * cards says whether the figures include it ("Includes imported data"): turned off, the view says
 * imported=false, in the URL and on every stats request; with filters or a goal, which imported days
 * cannot answer, it says that imported data is left out instead.
 */
import { css, html, nothing } from 'lit'
import { Task, TaskStatus, initialState } from '@lit/task'
import { api } from './api.ts'
import { estimateStyles, estimated, isEstimate, reportEstimates, type MaybeEstimated } from './estimates.ts'
import { Localized, formatCount, formatDecimal, formatDuration, formatPercent, number, t, tt } from './i18n.ts'
import { graphMetric, statsParams, type Metric, type ViewState } from './state.ts'
import { panel } from './styles.ts'
import type { ImportedState } from '../server/imported.ts'

type Results = Record<string, number>

/** GET …/aggregate, with compare=previous; `imported` says what its figures did with imported data. */
interface Totals extends MaybeEstimated {
  results: Results
  imported?: ImportedState
  previous?: { results: Results; imported?: ImportedState } & MaybeEstimated
}

/** The cards; `ui.card.<key>` names each. */
const CARDS: { key: string; metric?: Metric; format: (n: number) => string; lowerIsBetter?: boolean }[] = [
  { key: 'visitors', metric: 'visitors', format: formatCount },
  { key: 'visits', metric: 'visits', format: formatCount },
  { key: 'pageviews', metric: 'pageviews', format: formatCount },
  { key: 'views_per_visit', format: (n) => formatDecimal(n) },
  { key: 'bounce_rate', metric: 'bounce_rate', format: formatPercent, lowerIsBetter: true },
  { key: 'visit_duration', metric: 'visit_duration', format: formatDuration },
  { key: 'downloads', metric: 'downloads', format: formatCount },
  { key: 'downloaders', format: formatCount },
]

/** With the goal filter, the conversions the aggregate answers beside the usual numbers (docs/stats-api.md, "The goal filter"). */
const GOAL_CARDS: typeof CARDS = [
  { key: 'conversions', metric: 'conversions', format: formatCount },
  { key: 'conversion_events', format: formatCount },
  { key: 'conversion_rate', metric: 'conversion_rate', format: (n) => formatPercent(n, 1) },
]

/** What the answer says of imported data: the current range's, else the compared one's ('none' when neither holds any). */
const importedOf = (totals: Totals | undefined): ImportedState => [totals?.imported, totals?.previous?.imported].find((s) => s && s !== 'none') ?? 'none'

/**
 * @fires cairn-metric - {metric}: the card chosen for the graph
 * @fires cairn-estimates - {estimated}: whether the numbers shown include estimates
 * @fires cairn-navigate - {change: {imported}}: imported data counted in, or left out
 */
export class CairnTopStats extends Localized {
  static override styles = [
    panel,
    estimateStyles,
    css`
      :host { padding: 0; background: none; border: 0; }
      .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 8px; }
      .card { text-align: left; border: 1px solid var(--border); background: var(--panel); border-radius: 10px; padding: 12px 14px; cursor: default; }
      button.card { cursor: pointer; }
      .card[aria-pressed='true'] { border-color: var(--accent); box-shadow: inset 0 -3px 0 var(--accent); }
      .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
      .value { font-size: 24px; font-weight: 700; margin-top: 4px; font-variant-numeric: tabular-nums; }
      .change { font-size: 12px; margin-top: 2px; }
      .up { color: var(--good); } .down { color: var(--bad); }
      .imported { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; margin: 0 0 8px; }
      .imported label { display: inline-flex; gap: 6px; align-items: center; font-size: 14px; min-height: 24px; cursor: pointer; }
      .imported .hint, p.imported-note { font-size: 13px; color: var(--muted); }
      p.imported-note { margin: 0 0 8px; }
      p.imported-note:empty { display: none; }
    `,
  ]

  static override properties = { view: { attribute: false } }

  /** The dashboard's current view. */
  declare view: ViewState

  private readonly totals = new Task(this, {
    args: () => [this.view?.site, this.view && statsParams({ ...this.view, compare: true })] as const,
    task: async ([site, params]) => (site ? api<Totals>(`/api/stats/${encodeURIComponent(site!)}/aggregate?${params}`) : initialState),
    onComplete: (totals) => reportEstimates(this, totals, totals.previous),
    onError: () => reportEstimates(this),
  })

  override render() {
    if (this.totals.status === TaskStatus.ERROR) {
      return html`${this._importedSwitch(undefined)}<p class="error" role="alert">${t('ui.totalsError', { error: (this.totals.error as Error).message })}</p>`
    }
    const data = this.totals.value
    return html`${this._importedSwitch(data)}<div class="cards">
      ${(this.view?.goal ? [...CARDS, ...GOAL_CARDS] : CARDS).map((card) => {
        const value = data?.results[card.key]
        const before = data?.previous?.results[card.key]
        const change = value !== undefined && before ? Math.round(((value - before) / before) * 100) : undefined
        const good = change !== undefined && (card.lowerIsBetter ? change < 0 : change > 0)
        const estimate = isEstimate(data, card.key)
        const body = html`
          <div class="label">${t(`ui.card.${card.key}`)}</div>
          <div class="value" data-metric=${card.key}>${value === undefined ? html`<span aria-hidden="true">…</span>` : estimated(estimate, number(value, card.format(value)))}</div>
          <div class="change ${change === undefined || change === 0 ? 'muted' : good ? 'up' : 'down'}">
            ${change === undefined
              ? html`&nbsp;`
              : tt('ui.card.change', {
                  direction: change > 0 ? 'up' : change < 0 ? 'down' : 'same',
                  change: estimated(estimate || isEstimate(data?.previous, card.key), formatPercent(Math.abs(change))),
                })}
          </div>`
        return card.metric
          ? html`<button class="card" aria-pressed=${graphMetric(this.view) === card.metric} @click=${() => this._pick(card.metric!)}>${body}</button>`
          : html`<div class="card">${body}</div>`
      })}
    </div>`
  }

  /**
   * The "Includes imported data" switch, where the answer says the range has imported data (or the view
   * leaves it out, so that it can be counted in again whatever the answer); with filters or a goal, a note
   * that imported data is left out. The note's line is always there, so that a screen reader hears it come.
   */
  private _importedSwitch(data: Totals | undefined) {
    if (!this.view) return nothing
    const state = importedOf(data)
    const offered = !this.view.imported || state === 'included' || state === 'excluded'
    return html`${offered
        ? html`<div class="imported">
            <label><input type="checkbox" id="imported" .checked=${this.view.imported} aria-describedby="imported-hint" @change=${this._onImported} /> ${t('ui.imported.label')}</label>
            <span class="hint" id="imported-hint">${t('ui.imported.hint')}</span>
          </div>`
        : nothing}
      <p class="imported-note" role="status">${state === 'unsupported' && this.view.imported ? t('ui.imported.unsupported') : nothing}</p>`
  }

  private _onImported(event: Event): void {
    const change = { imported: (event.target as HTMLInputElement).checked }
    this.dispatchEvent(new CustomEvent('cairn-navigate', { detail: { change }, bubbles: true, composed: true }))
  }

  private _pick(metric: Metric): void {
    this.dispatchEvent(new CustomEvent('cairn-metric', { detail: { metric }, bubbles: true, composed: true }))
  }
}

customElements.define('cairn-top-stats', CairnTopStats)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-top-stats': CairnTopStats
  }
}
