/** Recent visits, anonymous: when, how long, entry → exit, pages, source, device and country. */
import { LitElement, css, html } from 'lit'
import { Task, initialState } from '@lit/task'
import type { SessionSummary } from '../server/stats.ts'
import { api, formatDuration } from './api.ts'
import { describeValue } from './cairn-breakdown.ts'
import { statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'
import { shown, visible } from './text.ts'

export class CairnSessions extends LitElement {
  static override styles = [
    panel,
    css`
      .scroll { overflow-x: auto; }
      table { width: 100%; border-collapse: collapse; font-size: 13px; }
      th { text-align: left; color: var(--muted); font-weight: 500; padding: 4px 8px 6px 0; white-space: nowrap; }
      td { padding: 4px 8px 4px 0; border-top: 1px solid var(--border); white-space: nowrap; }
      td.path { max-width: 280px; overflow: hidden; text-overflow: ellipsis; }
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
      <header><h2>Recent visits</h2></header>
      ${this.visits.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (error) => html`<p class="error" role="alert">Could not load recent visits: ${(error as Error).message}</p>`,
        complete: (visits) => visits.length === 0 ? html`<p class="muted">No visits in this period.</p>` : html`
          <div class="scroll"><table>
            <thead><tr><th>Started</th><th>Duration</th><th>Entry → exit</th><th>Pages</th><th>Source</th><th>Device</th><th>Country</th></tr></thead>
            <tbody>${visits.map((v) => html`<tr>
              <td>${v.start.slice(5, 16)}</td><td>${formatDuration(v.duration)}</td>
              <td class="path" title="${visible(`${v.entry_page} → ${v.exit_page}`)}">${shown(v.entry_page)}${v.exit_page !== v.entry_page ? html` → ${shown(v.exit_page)}` : ''}</td>
              <td>${v.pageviews}</td><td>${shown(describeValue('source', v.source))}</td><td>${shown(v.device)} · ${shown(v.browser)}</td><td>${describeValue('country', v.country)}</td>
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
