/** How much of the traffic came with statistical consent (cookie) and how much was counted cookieless. */
import { LitElement, css, html } from 'lit'
import { Task, initialState } from '@lit/task'
import { api, formatNumber } from './api.ts'
import { statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'

/**
 * @fires cairn-filter - {name: 'consent', value}
 */
export class CairnConsent extends LitElement {
  static override styles = [
    panel,
    css`
      .bar { display: flex; height: 14px; border-radius: 7px; overflow: hidden; background: var(--chip); margin: 8px 0 12px; }
      .bar span:first-child { background: var(--accent); }
      .bar span:last-child { background: var(--muted); opacity: 0.5; }
      dl { display: grid; grid-template-columns: auto 1fr auto; gap: 6px 10px; margin: 0; font-size: 14px; align-items: center; }
      dt button { border: 0; background: none; padding: 0; cursor: pointer; text-decoration: underline dotted; }
      dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
      .swatch { width: 10px; height: 10px; border-radius: 2px; }
      p { font-size: 13px; }
    `,
  ]

  static override properties = { view: { attribute: false } }

  /** The dashboard's current view. */
  declare view: ViewState

  private readonly shares = new Task(this, {
    args: () => [this.view?.site, this.view && statsParams({ ...this.view, compare: false }, { sort: 'visits:desc' })] as const,
    task: async ([site, params]) => {
      if (!site) return initialState
      const { rows } = await api<{ rows: { value: string; visits: number }[] }>(`/api/stats/${encodeURIComponent(site!)}/breakdown/consent?${params}`)
      return { consent: rows.find((r) => r.value === 'true')?.visits ?? 0, cookieless: rows.find((r) => r.value === 'false')?.visits ?? 0 }
    },
  })

  override render() {
    const pct = (n: number, total: number) => (total ? Math.round((n / total) * 100) : 0)
    return html`
      <header><h2>Consent</h2></header>
      ${this.shares.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (error) => html`<p class="error" role="alert">Could not load consent: ${(error as Error).message}</p>`,
        complete: (s) => {
          const total = s.consent + s.cookieless
          return html`
            <div class="bar" role="img" aria-label="${pct(s.consent, total)}% of visits with consent">
              <span style="width: ${pct(s.consent, total)}%"></span><span style="width: ${pct(s.cookieless, total)}%"></span>
            </div>
            <dl>
              <span class="swatch" style="background: var(--accent)"></span>
              <dt><button @click=${() => this._filter('true')}>With statistical consent (cookie)</button></dt>
              <dd>${formatNumber(s.consent)} visits · ${pct(s.consent, total)}%</dd>
              <span class="swatch" style="background: var(--muted); opacity: 0.5"></span>
              <dt><button @click=${() => this._filter('false')}>Cookieless (daily anonymous id)</button></dt>
              <dd>${formatNumber(s.cookieless)} visits · ${pct(s.cookieless, total)}%</dd>
            </dl>
            <p class="muted">Visitors with consent are recognised for up to six months; cookieless visitors count once per day.</p>`
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
