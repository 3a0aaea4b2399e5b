/** Recent visits, anonymous: when, how long, entry → exit, pages, source, device and country. */
import { css, html } from 'lit'
import { Task, initialState } from '@lit/task'
import type { SessionSummary } from '../server/stats.ts'
import { api } from './api.ts'
import { showValue } from './cairn-breakdown.ts'
import { Localized, formatCount, formatDate, formatDuration, number, t, tt, wallTime } from './i18n.ts'
import { statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'
import { shown, visible } from './text.ts'

export class CairnSessions extends Localized {
  static override styles = [
    panel,
    css`
      .scroll { overflow-x: auto; }
      table { width: 100%; border-collapse: collapse; font-size: 13px; }
      th { text-align: left; color: var(--muted); font-weight: 500; padding: 4px 8px 6px 0; white-space: nowrap; }
      td { padding: 4px 8px 4px 0; border-top: 1px solid var(--border); white-space: nowrap; }
      td.path { max-width: 280px; overflow: hidden; text-overflow: ellipsis; }
      .flag { width: 16px; height: 12px; margin-right: 6px; vertical-align: -1px; border-radius: 2px; box-shadow: 0 0 0 1px var(--border); }
    `,
  ]

  static override properties = { view: { attribute: false } }

  /** The dashboard's current view. */
  declare view: ViewState

  private readonly visits = new Task(this, {
    args: () => [this.view?.site, this.view && statsParams({ ...this.view, compare: false }, { limit: '10' })] as const,
    task: async ([site, params]) => (site ? (await api<{ sessions: SessionSummary[] }>(`/api/stats/${encodeURIComponent(site!)}/sessions?${params}`)).sessions : initialState),
  })

  override render() {
    return html`
      <header><h2>${t('ui.sessions.heading')}</h2></header>
      ${this.visits.render({
        pending: () => html`<p class="muted">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.sessions.error', { error: (error as Error).message })}</p>`,
        complete: (visits) => visits.length === 0 ? html`<p class="muted">${t('ui.sessions.empty')}</p>` : html`
          <div class="scroll" tabindex="0" role="region" aria-label=${t('ui.sessions.heading')}><table>
            <thead><tr>${['started', 'duration', 'pages', 'pageviews', 'source', 'device', 'country'].map((c) => html`<th>${t(`ui.sessions.${c}`)}</th>`)}</tr></thead>
            <tbody>${visits.map((v) => html`<tr>
              <td><time datetime=${wallTime(v.start).toISOString().slice(0, 19)}>${formatDate(v.start, { dateStyle: 'medium', timeStyle: 'short' })}</time></td>
              <td>${number(v.duration, formatDuration(v.duration))}</td>
              <td class="path" title=${v.exit_page !== v.entry_page ? t('ui.sessions.path', { entry: visible(v.entry_page), exit: visible(v.exit_page) }) : visible(v.entry_page)}>${v.exit_page !== v.entry_page ? tt('ui.sessions.path', { entry: shown(v.entry_page), exit: shown(v.exit_page) }) : shown(v.entry_page)}</td>
              <td>${number(v.pageviews, formatCount(v.pageviews))}</td><td>${showValue('source', v.source)}</td>
              <td>${tt('ui.sessions.deviceBrowser', { device: shown(v.device), browser: shown(v.browser) })}</td><td>${showValue('country', v.country)}</td>
            </tr>`)}</tbody>
          </table></div>`,
      })}
    `
  }
}

customElements.define('cairn-sessions', CairnSessions)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-sessions': CairnSessions
  }
}
