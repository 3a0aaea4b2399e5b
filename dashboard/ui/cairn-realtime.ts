/** Visitors in the last five minutes, refreshed every 30 seconds while the page is open. */
import { css, html } from 'lit'
import { api } from './api.ts'
import { Localized, t } from './i18n.ts'

export class CairnRealtime extends Localized {
  static override styles = css`
    :host { display: inline-flex; align-items: center; gap: 6px; font-size: 14px; color: var(--muted); }
    .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--good); animation: pulse 2s infinite; }
    @keyframes pulse { 50% { opacity: 0.35; } }
    @media (prefers-reduced-motion: reduce) { .dot { animation: none; } }
  `

  static override properties = { site: { type: String }, exact: { type: Boolean }, visitors: { state: true } }

  /** The site whose live visitors are counted. */
  declare site: string
  /** The view asks for exact figures: said to this route too, as to every stats route (the count is exact anyway). */
  declare exact: boolean
  declare visitors: number | undefined
  private timer: ReturnType<typeof setInterval> | undefined

  override connectedCallback(): void {
    super.connectedCallback()
    this.timer = setInterval(() => void this.load(), 30_000)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    clearInterval(this.timer)
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('site')) void this.load()
  }

  private async load(): Promise<void> {
    if (!this.site) return
    try {
      this.visitors = (await api<{ visitors: number }>(`/api/stats/${encodeURIComponent(this.site)}/realtime${this.exact ? '?exact=true' : ''}`)).visitors
    } catch {
      this.visitors = undefined
    }
  }

  override render() {
    return html`<span class="dot"></span><span aria-live="polite">${this.visitors === undefined ? t('ui.realtimeUnknown') : t('ui.realtime', { count: this.visitors })}</span>`
  }
}

customElements.define('cairn-realtime', CairnRealtime)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-realtime': CairnRealtime
  }
}
