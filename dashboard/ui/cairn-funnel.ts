/**
 * The funnel panel: one of the site's saved funnels (GET /api/sites/{site}/funnels) in the view's range
 * and filters (GET /api/stats/{site}/funnel, docs/stats-api.md "funnel"): each step's visitors as a bar
 * drawn in CSS, with its conversion from the previous step and from the first, the drop-off and the
 * median time from the previous step, all as text in an ordered list; optionally broken down by a visit's
 * attribute (source, campaign, device…) as a table. The funnel and its breakdown are in the URL. A site
 * admin may save, change and delete funnels here, with a form that is a chunk of its own
 * (cairn-funnel-form.ts): readers of the numbers do not load it.
 */
import { css, html, nothing } from 'lit'
import { Task, TaskStatus, initialState } from '@lit/task'
import { FUNNEL_BREAKDOWNS, type FunnelBreakdown } from '../../sql/dimensions.ts'
import { api, send, sitePath } from './api.ts'
import { showValue } from './cairn-breakdown.ts'
import { Localized, formatCount, formatDuration, formatPercent, number, t, tt } from './i18n.ts'
import { statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'
import { shown, visible } from './text.ts'
import type { Funnel } from './cairn-funnel-form.ts'
import type { FunnelStep, FunnelWithin } from '../server/funnel.ts'

/** The stats API's answer (dashboard/server/funnel.ts). */
interface Answer {
  within: FunnelWithin
  steps: FunnelStep[]
  breakdown?: { value: string; steps: FunnelStep[] }[]
}

/** Rows of a breakdown shown: the values with the most visitors at the first step. */
const BREAKDOWN_ROWS = 10

export class CairnFunnel extends Localized {
  static override styles = [
    panel,
    css`
      :host([hidden]) { display: none; }
      header h2 { margin-right: auto; }
      header select { font: inherit; font-size: 14px; color: var(--text); background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 3px 8px; max-width: 100%; min-height: 32px; }
      button.add { font-size: 14px; min-height: 32px; padding: 4px 12px; border-radius: 8px; border: 1px solid var(--border); background: var(--panel); color: var(--text); cursor: pointer; }
      h3 { font-size: 14px; margin: 0 0 10px; font-weight: 600; }
      p.status { font-size: 13px; color: var(--good); margin: 8px 0 0; }
      p.status:empty { margin: 0; }
      ol.steps { list-style: none; margin: 0; padding: 0; display: grid; gap: 12px; counter-reset: step; }
      ol.steps > li { counter-increment: step; }
      .head { display: flex; justify-content: space-between; gap: 8px; font-size: 14px; align-items: baseline; }
      .head .name { font-weight: 600; min-width: 0; overflow-wrap: anywhere; }
      .head .name::before { content: counter(step) '. '; color: var(--muted); font-weight: 500; }
      .head .visitors { white-space: nowrap; font-variant-numeric: tabular-nums; }
      .track { height: 10px; background: var(--chip); border-radius: 5px; margin: 4px 0; overflow: hidden; }
      .fill { height: 100%; background: var(--accent); border-radius: 5px; min-width: 2px; }
      dl { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 0; font-size: 12px; color: var(--muted); }
      dl div { display: flex; gap: 4px; }
      dt::after { content: ':'; }
      :lang(fr) dt::after { content: '\u00a0:'; }
      dd { margin: 0; color: var(--text); font-variant-numeric: tabular-nums; }
      .summary { font-size: 13px; margin: 12px 0 0; }
      .note { font-size: 12px; margin: 10px 0 0; }
      .tools { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 12px 0 0; font-size: 13px; }
      .tools label { color: var(--muted); }
      .tools select { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 3px 8px; min-height: 32px; }
      .tools button, .confirm button { font: inherit; min-height: 32px; padding: 4px 12px; border-radius: 8px; border: 1px solid var(--border); background: var(--panel); color: var(--text); cursor: pointer; }
      .tools .spacer { flex: 1; }
      button.danger { color: var(--bad); border-color: var(--bad); }
      .confirm button.danger { background: var(--bad); color: var(--panel); }
      .confirm { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 10px 0 0; font-size: 14px; }
      .scroll { overflow-x: auto; margin-top: 10px; }
      table { border-collapse: collapse; width: 100%; font-size: 13px; }
      caption { text-align: left; font-weight: 600; padding-bottom: 6px; }
      th, td { padding: 4px 8px; border-bottom: 1px solid var(--border); text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
      th:first-child, td:first-child { text-align: left; white-space: normal; overflow-wrap: anywhere; min-width: 8em; }
      thead th { font-weight: 500; color: var(--muted); }
    `,
  ]

  static override properties = {
    view: { attribute: false },
    admin: { type: Boolean },
    editing: { state: true },
    confirming: { state: true },
    busy: { state: true },
    done: { state: true },
    failed: { state: true },
  }

  /** The dashboard's current view. */
  declare view: ViewState
  /** The reader administers the site: may save funnels. */
  declare admin: boolean
  /** The form is open: for a new funnel, or for the funnel it changes. */
  declare editing: 'new' | Funnel | undefined
  /** The deletion of the funnel shown awaits its confirmation. */
  declare confirming: boolean
  declare busy: boolean
  /** What was just done, said in a status region. */
  declare done: string
  /** The form's chunk could not be loaded: why. */
  declare failed: string
  private formModule: Promise<unknown> | undefined

  private readonly funnels = new Task(this, {
    args: () => [this.view?.site] as const,
    task: async ([site]) => (site ? (await api<{ funnels: Funnel[] }>(`${sitePath(site)}/funnels`)).funnels : initialState),
  })

  private readonly steps = new Task(this, {
    // The funnel's whole definition, not only its id: a funnel changed here is counted again.
    args: () => [this.view?.site, this.funnel && JSON.stringify(this.funnel), this.view && statsParams({ ...this.view, compare: false }, { funnel: this.funnel?.id ?? '', ...(this.view.funnelBy && { by: this.view.funnelBy }) })] as const,
    task: async ([site, funnel, params]) => (site && funnel ? api<Answer>(`/api/stats/${encodeURIComponent(site)}/funnel?${params}`) : initialState),
  })

  constructor() {
    super()
    this.admin = false
    this.confirming = false
    this.busy = false
    this.done = ''
    this.failed = ''
  }

  /** The funnel shown: the view's (a link may name one deleted since), else the first. */
  private get funnel(): Funnel | undefined {
    const all = this.funnels.value ?? []
    return all.find((f) => f.id === this.view?.funnel) ?? all[0]
  }

  /** A change of the view (the funnel chosen, its breakdown), kept in the URL by the app. */
  private _navigate(change: Partial<ViewState>): void {
    this.dispatchEvent(new CustomEvent('cairn-navigate', { detail: { change }, bubbles: true, composed: true }))
  }

  /** Without funnels, a reader who cannot save one sees no panel. */
  override updated(): void {
    const hide = !this.admin && this.funnels.status !== TaskStatus.ERROR && !this.funnels.value?.length
    if (this.hidden !== hide) this.hidden = hide
  }

  override render() {
    const all = this.funnels.value ?? []
    const funnel = this.funnel
    return html`
      <header>
        <h2 id="funnel-heading">${t('ui.funnel.panel')}</h2>
        ${all.length > 1
          ? html`<select id="funnel-choice" aria-label=${t('ui.funnel.choose')} @change=${(e: Event) => this._navigate({ funnel: (e.target as HTMLSelectElement).value })}>
              ${all.map((f) => html`<option class="data" value=${f.id} ?selected=${f.id === funnel?.id}>${visible(f.name)}</option>`)}
            </select>`
          : nothing}
        ${this.admin && !this.editing ? html`<button type="button" class="add" @click=${() => this._open()}>${t('ui.funnel.add')}</button>` : nothing}
      </header>
      ${this.funnels.render({
        pending: () => (this.funnels.value ? nothing : html`<p class="muted loading">${t('ui.loading')}</p>`),
        error: (error) => html`<p class="error" role="alert">${t('ui.funnel.error', { error: (error as Error).message })}</p>`,
        complete: (list) => (list.length === 0 ? html`<p class="muted empty">${t('ui.funnel.empty')}</p>` : this._funnel(funnel!)),
      })}
      <p class="status" role="status">${this.done}</p>
      ${this.failed ? html`<p class="error" role="alert">${this.failed}</p>` : nothing}
      ${this.editing
        ? html`<cairn-funnel-form
            .site=${this.view.site}
            .funnel=${this.editing === 'new' ? undefined : this.editing}
            @cairn-funnel-saved=${(e: CustomEvent<{ funnel: Funnel }>) => this._closed(e.detail.funnel)}
            @cairn-funnel-cancel=${() => this._closed()}
          ></cairn-funnel-form>`
        : nothing}
    `
  }

  private _funnel(funnel: Funnel) {
    return this.steps.render({
      pending: () => (this.steps.value ? this._steps(funnel, this.steps.value) : html`<p class="muted loading">${t('ui.loading')}</p>`),
      error: (error) => html`<p class="error" role="alert">${t('ui.funnel.error', { error: (error as Error).message })}</p>`,
      complete: (answer) => this._steps(funnel, answer),
    })
  }

  private _steps(funnel: Funnel, answer: Answer) {
    const last = answer.steps[answer.steps.length - 1]
    return html`<h3 class="name">${shown(funnel.name)}</h3>
      <ol class="steps" aria-label=${t('ui.funnel.stepsOf', { name: visible(funnel.name) })}>
        ${answer.steps.map(
          (s, i) => html`<li data-step=${s.id}>
            <div class="head">
              <span class="name">${shown(s.name)}</span>
              <span class="visitors">${tt('ui.funnel.visitors', { count: s.visitors, visitors: number(s.visitors, formatCount(s.visitors)) })}</span>
            </div>
            <div class="track" aria-hidden="true"><div class="fill" style="width: ${i === 0 ? (s.visitors > 0 ? 100 : 0) : Math.min(100, Math.max(0, s.conversion_rate))}%"></div></div>
            ${i === 0
              ? nothing
              : html`<dl>
                  <div><dt>${t('ui.funnel.stepRate')}</dt><dd class="step-rate">${number(s.conversion_rate_step, formatPercent(s.conversion_rate_step, 1))}</dd></div>
                  <div><dt>${t('ui.funnel.overall')}</dt><dd class="overall">${number(s.conversion_rate, formatPercent(s.conversion_rate, 1))}</dd></div>
                  <div><dt>${t('ui.funnel.dropoff')}</dt><dd class="dropoff">${number(s.dropoff, formatCount(s.dropoff))}</dd></div>
                  <div><dt>${t('ui.funnel.median')}</dt><dd class="median">${s.median_seconds === null ? t('ui.funnel.noMedian') : number(s.median_seconds, formatDuration(s.median_seconds))}</dd></div>
                </dl>`}
          </li>`,
        )}
      </ol>
      ${last
        ? html`<p class="summary">${tt('ui.funnel.summary', { rate: html`<strong class="total">${number(last.conversion_rate, formatPercent(last.conversion_rate, 1))}</strong>` })}</p>`
        : nothing}
      <p class="muted note">${t(answer.within === 'range' ? 'ui.funnel.withinRange' : 'ui.funnel.withinVisit')}</p>
      ${this._tools(funnel)} ${answer.breakdown ? this._breakdown(funnel, answer) : nothing}`
  }

  /** The breakdown's choice, and the admin's buttons to change or delete the funnel (with a confirmation). */
  private _tools(funnel: Funnel) {
    const by = this.view.funnelBy
    return html`<div class="tools">
        <label for="funnel-by">${t('ui.funnel.by')}</label>
        <select id="funnel-by" @change=${(e: Event) => this._navigate({ funnelBy: (e.target as HTMLSelectElement).value as FunnelBreakdown | '' })}>
          <option value="" ?selected=${!by}>${t('ui.funnel.byNothing')}</option>
          ${FUNNEL_BREAKDOWNS.map((name) => html`<option value=${name} ?selected=${by === name}>${t(`dimension.${name}.label`)}</option>`)}
        </select>
        <span class="spacer"></span>
        ${this.admin && !this.editing && !this.confirming
          ? html`<button type="button" class="edit" aria-label=${t('ui.funnel.editOf', { name: visible(funnel.name) })} @click=${() => this._open(funnel)}>${t('ui.funnel.edit')}</button>
              <button type="button" class="danger delete" aria-label=${t('ui.funnel.deleteOf', { name: visible(funnel.name) })} @click=${() => this._confirm(true)}>${t('ui.funnel.delete')}</button>`
          : nothing}
      </div>
      ${this.confirming
        ? html`<div class="confirm" role="group" aria-labelledby="funnel-confirm">
            <span id="funnel-confirm">${t('ui.funnel.confirm', { name: visible(funnel.name) })}</span>
            <button type="button" class="danger yes" ?disabled=${this.busy} @click=${() => this._delete(funnel)}>${t('ui.funnel.deleteSubmit')}</button>
            <button type="button" class="no" @click=${() => this._confirm(false)}>${t('ui.settings.cancel')}</button>
          </div>`
        : nothing}`
  }

  /** Each value's visitors at every step and its overall conversion, as a table that scrolls sideways on a phone. */
  private _breakdown(funnel: Funnel, answer: Answer) {
    const by = this.view.funnelBy as FunnelBreakdown
    const rows = answer.breakdown!.slice(0, BREAKDOWN_ROWS)
    const caption = t('ui.funnel.byCaption', { name: visible(funnel.name), dimension: t(`dimension.${by}.label`) })
    if (rows.length === 0) return html`<p class="muted empty-breakdown">${t('ui.funnel.byEmpty')}</p>`
    return html`<div class="scroll" tabindex="0" role="region" aria-label=${caption}>
      <table class="by">
        <caption>${caption}</caption>
        <thead>
          <tr>
            <th scope="col">${t(`dimension.${by}.label`)}</th>
            ${answer.steps.map((s, i) => html`<th scope="col">${t('ui.funnel.stepNamed', { n: i + 1, name: visible(s.name) })}</th>`)}
            <th scope="col">${t('ui.funnel.overall')}</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map((row) => {
            const last = row.steps[row.steps.length - 1]!
            return html`<tr data-value=${row.value}>
              <th scope="row">${showValue(by, row.value)}</th>
              ${row.steps.map((s) => html`<td>${number(s.visitors, formatCount(s.visitors))}</td>`)}
              <td class="overall">${number(last.conversion_rate, formatPercent(last.conversion_rate, 1))}</td>
            </tr>`
          })}
        </tbody>
      </table>
    </div>`
  }

  private async _confirm(asking: boolean): Promise<void> {
    this.confirming = asking
    this.done = ''
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>(asking ? '.confirm button.no' : '.tools button.delete')?.focus()
  }

  private async _delete(funnel: Funnel): Promise<void> {
    this.busy = true
    try {
      await send('DELETE', `${sitePath(this.view.site)}/funnels/${encodeURIComponent(funnel.id)}`)
      this.confirming = false
      this.failed = ''
      this.done = t('ui.funnel.deleted', { name: visible(funnel.name) })
      if (this.view.funnel === funnel.id) this._navigate({ funnel: '' })
      await this.funnels.run()
    } catch (error) {
      this.failed = t('ui.settings.refused', { error: (error as Error).message })
    } finally {
      this.busy = false
    }
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('#funnel-choice, header button.add, h2')?.focus()
  }

  /** The form (for a new funnel, or to change `funnel`), a chunk of its own loaded the first time it opens. */
  private async _open(funnel?: Funnel): Promise<void> {
    this.done = ''
    try {
      await (this.formModule ??= import('./cairn-funnel-form.ts'))
    } catch (error) {
      this.formModule = undefined
      this.failed = t('ui.unreachable', { error: (error as Error).message })
      return
    }
    this.failed = ''
    this.editing = funnel ?? 'new'
  }

  private async _closed(saved?: Funnel): Promise<void> {
    const changed = this.editing !== 'new' ? this.editing : undefined
    this.editing = undefined
    if (saved) {
      this._navigate({ funnel: saved.id })
      this.done = t('ui.funnel.saved', { name: visible(saved.name) })
      await this.funnels.run()
    }
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>(changed ? '.tools button.edit' : 'header button.add')?.focus()
  }
}

customElements.define('cairn-funnel', CairnFunnel)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-funnel': CairnFunnel
  }
}
