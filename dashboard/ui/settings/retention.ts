/** The retention in force: how long events are kept and how long a consenting visitor's cookie lives (set by the operator). */
import { css, html } from 'lit'
import { Localized, formatCount, number, t, tt } from '../i18n.ts'
import { forms, panel } from '../styles.ts'

export class CairnSettingsRetention extends Localized {
  static override styles = [panel, forms, css`.figure { font-size: 22px; font-weight: 700; margin: 4px 0; }`]

  static override properties = { retentionMonths: { type: Number }, cookieDays: { type: Number } }

  /** CAIRN_RETENTION_MONTHS: events and visits older than this are deleted. */
  declare retentionMonths: number
  /** CAIRN_COOKIE_DAYS: how long a consenting visitor's cookie lives. */
  declare cookieDays: number

  override render() {
    const months = this.retentionMonths
    const days = this.cookieDays
    return html`
      <header><h2>${t('ui.settings.tab.retention')}</h2></header>
      <section aria-labelledby="events-heading">
        <h3 id="events-heading">${t('ui.settings.retention.events')}</h3>
        <p class="figure" data-months=${months}>${tt('ui.settings.retention.months', { count: months, n: number(months, formatCount(months)) })}</p>
        <p>${t('ui.settings.retention.eventsNote', { count: months })}</p>
      </section>
      <section aria-labelledby="cookie-heading">
        <h3 id="cookie-heading">${t('ui.settings.retention.cookie')}</h3>
        <p class="figure" data-days=${days}>${tt('ui.settings.retention.days', { count: days, n: number(days, formatCount(days)) })}</p>
        <p>${t('ui.settings.retention.cookieNote', { count: days })}</p>
      </section>
      <p class="muted">${t('ui.settings.retention.operator')}</p>
    `
  }
}

customElements.define('cairn-settings-retention', CairnSettingsRetention)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-retention': CairnSettingsRetention
  }
}
