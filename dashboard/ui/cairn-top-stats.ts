/**
 * The headline numbers with their change against the previous period; a card picks the graph's metric.
 * With the goal filter, three cards more: unique and total conversions, and the conversion rate; the graph
 * can draw the unique conversions and the rate. A number the API estimated is marked ≈, and so is its
 * change when either period's figure is an estimate.
 */
import { css, html } from 'lit'
import { Task, TaskStatus, initialState } from '@lit/task'
import { api } from './api.ts'
import { estimateStyles, estimated, isEstimate, reportEstimates, type MaybeEstimated } from './estimates.ts'
import { Localized, formatCount, formatDecimal, formatDuration, formatPercent, number, t, tt } from './i18n.ts'
import { graphMetric, statsParams, type Metric, type ViewState } from './state.ts'
import { panel } from './styles.ts'

type Results = Record<string, number>

/** GET …/aggregate, with compare=previous. */
interface Totals extends MaybeEstimated {
  results: Results
  previous?: { results: Results } & MaybeEstimated
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

/**
 * @fires cairn-metric - {metric}: the card chosen for the graph
 * @fires cairn-estimates - {estimated}: whether the numbers shown include estimates
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
    if (this.totals.status === TaskStatus.ERROR) return html`<p class="error" role="alert">${t('ui.totalsError', { error: (this.totals.error as Error).message })}</p>`
    const data = this.totals.value
    return html`<div class="cards">
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
