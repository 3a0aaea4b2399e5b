/**
 * The goals panel: each goal's unique conversions, total conversions and conversion rate in the view's
 * range and filters (docs/stats-api.md, "goals"), in the API's order. Shown when the site has goals; to a
 * site admin without any, an empty state that leads to the settings where goals are defined. Clicking a goal
 * sets the goal filter (the dashboard then counts the visitors who converted it); clicking it again removes it.
 */
import { css, html, nothing } from 'lit'
import { Task, TaskStatus, initialState } from '@lit/task'
import { api } from './api.ts'
import { Localized, formatCount, formatPercent, number, t, tt } from './i18n.ts'
import { statsParams, writeState, type ViewState } from './state.ts'
import { panel } from './styles.ts'
import { shown, visible } from './text.ts'

interface Conversion {
  id: string
  name: string
  kind: string
  visitors: number
  events: number
  conversion_rate: number
}

interface Answer {
  visitors: number
  goals: Conversion[]
}

/**
 * @fires cairn-navigate - {change}: the reader follows the link to the goals' settings
 * @fires cairn-filter - {name: 'goal', value}: the goal filter chosen ('' to remove it)
 */
export class CairnGoals extends Localized {
  static override styles = [
    panel,
    css`
      :host([hidden]) { display: none; }
      table { width: 100%; border-collapse: collapse; font-size: 14px; table-layout: fixed; }
      th { text-align: right; font-weight: 500; color: var(--muted); font-size: 12px; padding: 4px 0 6px 8px; width: 84px; vertical-align: bottom; hyphens: auto; }
      th:first-child { text-align: left; width: auto; padding-left: 0; }
      td { padding: 3px 0 3px 8px; text-align: right; font-variant-numeric: tabular-nums; }
      td:first-child { text-align: left; padding-left: 0; position: relative; }
      .bar { position: absolute; inset: 1px auto 1px 0; background: var(--bar); border-radius: 4px; z-index: 0; }
      .label { position: relative; z-index: 1; display: block; padding: 2px 6px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      button.label { border: 0; background: none; cursor: pointer; width: 100%; text-align: left; min-height: 24px; border-radius: 4px; }
      button.label:hover { text-decoration: underline; }
      button.label[aria-pressed='true'] { font-weight: 600; box-shadow: inset 3px 0 0 var(--accent); }
      .note { font-size: 12px; margin: 10px 0 0; }
      a { color: var(--accent); font-weight: 600; }
      a.manage { font-size: 13px; font-weight: 500; }
      @media (max-width: 420px) { th { width: 72px; font-size: 11px; } }
    `,
  ]

  static override properties = { view: { attribute: false }, admin: { type: Boolean } }

  /** The dashboard's current view. */
  declare view: ViewState
  /** The reader administers the site: may define goals, so is shown the way there. */
  declare admin: boolean

  private readonly conversions = new Task(this, {
    args: () => [this.view?.site, this.view && statsParams({ ...this.view, compare: false })] as const,
    task: async ([site, params]) => (site ? api<Answer>(`/api/stats/${encodeURIComponent(site)}/goals?${params}`) : initialState),
  })

  constructor() {
    super()
    this.admin = false
  }

  /** Without goals, a reader who cannot define them sees no panel (nor while that is not known yet). */
  override updated(): void {
    const known = this.conversions.value
    const hide = !this.admin && this.conversions.status !== TaskStatus.ERROR && !known?.goals.length
    if (this.hidden !== hide) this.hidden = hide
  }

  override render() {
    const goals = this.conversions.value?.goals
    return html`
      <header>
        <h2>${t('ui.goals.panel')}</h2>
        ${this.admin && goals?.length ? this._settingsLink('manage', t('ui.goals.manage')) : nothing}
      </header>
      ${this.conversions.render({
        pending: () => (this.conversions.value ? nothing : html`<p class="muted loading">${t('ui.loading')}</p>`),
        error: (error) => html`<p class="error" role="alert">${t('ui.goals.error', { error: (error as Error).message })}</p>`,
        complete: (answer) => (answer.goals.length === 0 ? this._empty() : this._table(answer)),
      })}
    `
  }

  private _empty() {
    return html`<p class="muted empty">${t('ui.goals.empty')}</p>
      <p>${this._settingsLink('define', t('ui.goals.define'))}</p>`
  }

  private _table(answer: Answer) {
    return html`<table>
        <thead>
          <tr>
            <th scope="col">${t('ui.goals.goal')}</th>
            <th scope="col">${t('ui.goals.uniques')}</th>
            <th scope="col">${t('ui.goals.total')}</th>
            <th scope="col">${t('ui.goals.rate')}</th>
          </tr>
        </thead>
        <tbody>
          ${answer.goals.map(
            (g) => html`<tr data-goal=${g.id}>
              <td>
                <span class="bar" style="width: ${Math.min(100, Math.max(0, g.conversion_rate))}%"></span>
                <button
                  class="label"
                  aria-pressed=${this.view.goal === g.id ? 'true' : 'false'}
                  title=${t(this.view.goal === g.id ? 'ui.goals.unfilter' : 'ui.goals.filterBy', { name: visible(g.name) })}
                  @click=${() => this._filter(this.view.goal === g.id ? '' : g.id)}
                >${shown(g.name)}</button>
              </td>
              <td class="visitors">${number(g.visitors, formatCount(g.visitors))}</td>
              <td class="events">${number(g.events, formatCount(g.events))}</td>
              <td class="rate">${number(g.conversion_rate, formatPercent(g.conversion_rate, 1))}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      <p class="muted note">${tt('ui.goals.rateOf', { count: answer.visitors, visitors: number(answer.visitors, formatCount(answer.visitors)) })}</p>`
  }

  private _filter(id: string): void {
    this.dispatchEvent(new CustomEvent('cairn-filter', { detail: { name: 'goal', value: id }, bubbles: true, composed: true }))
  }

  /** A link to the goals' settings for this site, followed in the page. */
  private _settingsLink(name: string, text: string) {
    const change: Partial<ViewState> = { screen: 'settings', tab: 'goals', manage: this.view.site }
    return html`<a class=${name} href=${writeState({ ...this.view, ...change })} @click=${(e: MouseEvent) => this._follow(e, change)}>${text}</a>`
  }

  private _follow(event: MouseEvent, change: Partial<ViewState>): void {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    this.dispatchEvent(new CustomEvent('cairn-navigate', { detail: { change }, bubbles: true, composed: true }))
  }
}

customElements.define('cairn-goals', CairnGoals)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-goals': CairnGoals
  }
}
