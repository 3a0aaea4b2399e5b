/**
 * How much of the traffic came with statistical consent (cookie) and how much was counted cookieless; the
 * visits marked ≈ when the API estimated them.
 */
import { css, html } from 'lit'
import { Task, initialState } from '@lit/task'
import { api } from './api.ts'
import { estimateStyles, estimated, isEstimate, reportEstimates, type MaybeEstimated } from './estimates.ts'
import { Localized, formatPercent, t } from './i18n.ts'
import { statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'

/**
 * @fires cairn-filter - {name: 'consent', value}
 * @fires cairn-estimates - {estimated}: whether the visits shown are estimates
 */
export class CairnConsent extends Localized {
  static override styles = [
    panel,
    estimateStyles,
    css`
      .bar { display: flex; height: 14px; border-radius: 7px; overflow: hidden; background: var(--chip); margin: 8px 0 12px; }
      .bar span:first-child { background: var(--accent); }
      .bar span:last-child { background: var(--muted); opacity: 0.5; }
      dl { display: grid; grid-template-columns: 1fr auto; gap: 6px 10px; margin: 0; font-size: 14px; align-items: center; }
      dl div { display: contents; }
      dt { display: flex; align-items: center; gap: 10px; }
      dt button { border: 0; background: none; padding: 0; cursor: pointer; text-decoration: underline dotted; text-align: left; }
      dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
      .swatch { flex: none; width: 10px; height: 10px; border-radius: 2px; background: var(--accent); }
      .swatch.cookieless { background: var(--muted); opacity: 0.5; }
      p { font-size: 13px; }
    `,
  ]

  static override properties = { view: { attribute: false }, cookieDays: { type: Number } }

  /** The dashboard's current view. */
  declare view: ViewState
  /** How long a consenting visitor is recognised. */
  declare cookieDays: number

  private readonly shares = new Task(this, {
    args: () => [this.view?.site, this.view && statsParams({ ...this.view, compare: false }, { sort: 'visits:desc' })] as const,
    task: async ([site, params]) => {
      if (!site) return initialState
      const { rows, approximate } = await api<{ rows: { value: string; visits: number }[] } & MaybeEstimated>(`/api/stats/${encodeURIComponent(site!)}/breakdown/consent?${params}`)
      return { consent: rows.find((r) => r.value === 'true')?.visits ?? 0, cookieless: rows.find((r) => r.value === 'false')?.visits ?? 0, approximate }
    },
    onComplete: (shares) => reportEstimates(this, shares),
    onError: () => reportEstimates(this),
  })

  override render() {
    const pct = (n: number, total: number) => (total ? Math.round((n / total) * 100) : 0)
    return html`
      <header><h2>${t('ui.consent.heading')}</h2></header>
      ${this.shares.render({
        pending: () => html`<p class="muted">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.consent.error', { error: (error as Error).message })}</p>`,
        complete: (s) => {
          const total = s.consent + s.cookieless
          const estimate = isEstimate(s, 'visits')
          return html`
            <div class="bar" role="img" aria-label=${t('ui.consent.share', { percent: formatPercent(pct(s.consent, total)) })}>
              <span style="width: ${pct(s.consent, total)}%"></span><span style="width: ${pct(s.cookieless, total)}%"></span>
            </div>
            <dl>
              <div>
                <dt><span class="swatch"></span><button @click=${() => this._filter('true')}>${t('ui.consent.with')}</button></dt>
                <dd>${estimated(estimate, t('ui.consent.visits', { count: s.consent, percent: formatPercent(pct(s.consent, total)) }))}</dd>
              </div>
              <div>
                <dt><span class="swatch cookieless"></span><button @click=${() => this._filter('false')}>${t('ui.consent.without')}</button></dt>
                <dd>${estimated(estimate, t('ui.consent.visits', { count: s.cookieless, percent: formatPercent(pct(s.cookieless, total)) }))}</dd>
              </div>
            </dl>
            <p class="muted">${t('ui.consent.note', { days: this.cookieDays })}</p>`
        },
      })}
    `
  }

  private _filter(value: string): void {
    this.dispatchEvent(new CustomEvent('cairn-filter', { detail: { name: 'consent', value }, bubbles: true, composed: true }))
  }
}

customElements.define('cairn-consent', CairnConsent)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-consent': CairnConsent
  }
}
