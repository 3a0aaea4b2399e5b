/**
 * Saved segments (docs/admin-api.md): a menu beside the filters. Applying a segment sets its filters as the
 * view's (and the URL's); the current filters can be saved as a segment, the reader's own or, for a site
 * admin, shared with everyone who reads the site; a segment the reader may change can be deleted.
 */
import { css, html, nothing } from 'lit'
import { Task, initialState } from '@lit/task'
import { FILTERS } from '../../sql/dimensions.ts'
import { ApiError, api, send, sitePath } from './api.ts'
import { Localized, t, tt } from './i18n.ts'
import { isPropFilter, type ViewState } from './state.ts'
import { shown } from './text.ts'

interface Segment {
  id: string
  name: string
  filters: Record<string, string>
  shared: boolean
  editable: boolean
}

/** Same filters, in any order. */
const sameFilters = (a: Record<string, string>, b: Record<string, string>) => {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k])
}

/**
 * @fires cairn-segment - {filters}: the reader applied a segment
 */
export class CairnSegments extends Localized {
  static override styles = css`
    :host { position: relative; display: inline-block; }
    button, input { font: inherit; color: var(--text); }
    button { cursor: pointer; background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 4px 10px; min-height: 32px; }
    button.toggle[aria-expanded='true'] { border-color: var(--accent); }
    button.primary { background: var(--accent); border-color: var(--accent); color: var(--on-accent); font-weight: 600; }
    button.danger { color: var(--bad); border-color: var(--bad); }
    button[disabled] { opacity: 0.6; cursor: default; }
    button:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
    .current { font-weight: 600; }
    .popover { position: absolute; z-index: 10; top: calc(100% + 6px); left: 0; width: min(380px, calc(100vw - 24px)); box-sizing: border-box; background: var(--panel); color: var(--text);
      border: 1px solid var(--border); border-radius: 10px; padding: 12px 14px; box-shadow: 0 8px 24px rgba(0, 0, 0, 0.18); font-size: 14px; }
    h2 { font-size: 14px; margin: 0 0 8px; }
    h3 { font-size: 13px; margin: 14px 0 6px; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 4px; }
    li { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
    li button.apply { flex: 1 1 160px; text-align: left; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    li button.apply[aria-current='true'] { border-color: var(--accent); box-shadow: inset 3px 0 0 var(--accent); }
    .badge { font-size: 11px; color: var(--muted); border: 1px solid var(--border); border-radius: 999px; padding: 1px 7px; }
    .muted { color: var(--muted); }
    .ok { color: var(--good); }
    .error, .field-error { color: var(--bad); }
    .field-error { font-size: 13px; margin: 4px 0 0; }
    .status { font-size: 13px; margin: 8px 0 0; }
    .status:empty { display: none; }
    label { display: block; font-size: 13px; color: var(--muted); margin: 4px 0; }
    label.inline { display: flex; align-items: center; gap: 6px; color: var(--text); margin: 8px 0 0; }
    input[type='text'] { box-sizing: border-box; width: 100%; padding: 6px 10px; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); }
    [aria-invalid='true'] { border-color: var(--bad) !important; border-width: 2px !important; }
    .actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 10px; align-items: center; }
    .confirm { width: 100%; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 6px 0; }
    p { margin: 6px 0; }
  `

  static override properties = {
    view: { attribute: false },
    canSave: { type: Boolean },
    admin: { type: Boolean },
    open: { state: true },
    busy: { state: true },
    problem: { state: true },
    done: { state: true },
    confirming: { state: true },
  }

  /** The dashboard's current view: its site and filters. */
  declare view: ViewState
  /** A person is logged in (a shared link's viewer applies the shared segments, and saves none). */
  declare canSave: boolean
  /** The reader administers the site: may share a segment with everyone who reads it. */
  declare admin: boolean
  declare open: boolean
  declare busy: boolean
  /** What the server refused: its sentence and the fields it named. */
  declare problem: { message: string; fields: Record<string, string> } | undefined
  /** What was just done, said in the status line. */
  declare done: string
  /** The segment whose deletion is asked about. */
  declare confirming: string

  private readonly segments = new Task(this, {
    args: () => [this.view?.site] as const,
    task: async ([site]) => (site ? (await api<{ segments: Segment[] }>(`${sitePath(site)}/segments`)).segments : initialState),
  })

  constructor() {
    super()
    this.canSave = false
    this.admin = false
    this.open = false
    this.busy = false
    this.done = ''
    this.confirming = ''
  }

  /** A click outside closes the menu. */
  private readonly _outside = (event: MouseEvent) => {
    if (this.open && !event.composedPath().includes(this)) this.open = false
  }

  override connectedCallback(): void {
    super.connectedCallback()
    document.addEventListener('click', this._outside)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    document.removeEventListener('click', this._outside)
  }

  private get current(): Segment | undefined {
    const filters = this.view?.filters ?? {}
    return Object.keys(filters).length ? this.segments.value?.find((s) => sameFilters(s.filters, filters)) : undefined
  }

  override render() {
    const current = this.current
    return html`<button type="button" class="toggle" aria-expanded=${this.open ? 'true' : 'false'} aria-controls="segments" @click=${this._toggle} @keydown=${this._key}>
        ${current ? tt('ui.segments.menuCurrent', { name: html`<span class="current">${shown(current.name)}</span>` }) : t('ui.segments.menu')}
        <span aria-hidden="true">▾</span>
      </button>
      ${this.open
        ? html`<div id="segments" class="popover" role="group" aria-labelledby="segments-heading" @keydown=${this._key}>
            <h2 id="segments-heading">${t('ui.segments.heading')}</h2>
            ${this.segments.render({
              pending: () => html`<p class="muted loading">${t('ui.loading')}</p>`,
              error: (error) => html`<p class="error" role="alert">${t('ui.segments.error', { error: (error as Error).message })}</p>`,
              complete: (segments) => this._list(segments),
            })}
            <p class="status ok" role="status">${this.done || nothing}</p>
            ${this.canSave ? this._form() : nothing}
          </div>`
        : nothing}`
  }

  private _list(segments: Segment[]) {
    if (segments.length === 0) return html`<p class="muted none">${t('ui.segments.none')}</p>`
    return html`<ul>
      ${segments.map(
        (s) => html`<li data-segment=${s.id}>
          <button type="button" class="apply" aria-current=${sameFilters(s.filters, this.view.filters) ? 'true' : 'false'} title=${t('ui.segments.applyTitle', { name: s.name })} @click=${() => this._apply(s)}>${shown(s.name)}</button>
          <span class="badge">${t('ui.segments.scope', { shared: s.shared })}</span>
          ${s.editable && this.canSave
            ? html`<button type="button" class="danger delete" aria-label=${t('ui.segments.deleteOf', { name: s.name })} @click=${() => this._ask(s.id)}>${t('ui.segments.delete')}</button>`
            : nothing}
          ${this.confirming === s.id
            ? html`<div class="confirm" role="group" aria-labelledby="confirm-${s.id}">
                <span id="confirm-${s.id}">${t('ui.segments.confirm', { name: s.name })}</span>
                <button type="button" class="danger primary yes" ?disabled=${this.busy} @click=${() => this._delete(s)}>${t('ui.segments.deleteSubmit')}</button>
                <button type="button" class="no" @click=${() => this._ask('')}>${t('ui.settings.cancel')}</button>
              </div>`
            : nothing}
        </li>`,
      )}
    </ul>`
  }

  private _form() {
    const filters = Object.keys(this.view.filters)
    if (filters.length === 0) return html`<h3>${t('ui.segments.saveHeading')}</h3><p class="muted">${t('ui.segments.noFilters')}</p>`
    const nameProblem = this.problem?.fields.name
    return html`<form @submit=${this._save} novalidate aria-labelledby="save-heading">
      <h3 id="save-heading">${t('ui.segments.saveHeading')}</h3>
      <label for="segment-name">${t('ui.segments.name')}</label>
      <input id="segment-name" type="text" name="name" autocomplete="off" maxlength="100" aria-invalid=${nameProblem ? 'true' : 'false'} aria-describedby=${nameProblem ? 'segment-name-error' : nothing} />
      ${nameProblem ? html`<p class="field-error" id="segment-name-error">${t('ui.settings.fieldProblem', { problem: nameProblem })}</p>` : nothing}
      ${this.admin ? html`<label class="inline"><input type="checkbox" name="shared" /> ${t('ui.segments.share', { site: this.view.site })}</label>` : nothing}
      ${this.problem && !nameProblem ? html`<p class="error" role="alert">${t('ui.settings.refused', { error: this.problem.message })}</p>` : nothing}
      <div class="actions"><button type="submit" class="primary" ?disabled=${this.busy}>${this.busy ? t('ui.settings.working') : t('ui.segments.save')}</button></div>
    </form>`
  }

  private async _toggle(): Promise<void> {
    this.open = !this.open
    this.done = ''
    this.problem = undefined
    this.confirming = ''
    if (this.open) {
      void this.segments.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('#segments button, #segments input')?.focus()
    }
  }

  /** Escape closes the menu, and the focus goes back to its button. */
  private _key(event: KeyboardEvent): void {
    if (event.key !== 'Escape' || !this.open) return
    event.stopPropagation()
    this.open = false
    this.renderRoot.querySelector<HTMLElement>('button.toggle')?.focus()
  }

  private _apply(segment: Segment): void {
    const filters = Object.fromEntries(Object.entries(segment.filters).filter(([name]) => (FILTERS as readonly string[]).includes(name) || isPropFilter(name)))
    this.open = false
    this.dispatchEvent(new CustomEvent('cairn-segment', { detail: { filters }, bubbles: true, composed: true }))
    this.renderRoot.querySelector<HTMLElement>('button.toggle')?.focus()
  }

  private async _ask(id: string): Promise<void> {
    this.confirming = id
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>(id ? `li[data-segment="${CSS.escape(id)}"] .confirm button.no` : 'h2')?.focus()
  }

  private async _delete(segment: Segment): Promise<void> {
    this.busy = true
    try {
      await send('DELETE', `${sitePath(this.view.site)}/segments/${encodeURIComponent(segment.id)}`)
      this.confirming = ''
      this.done = t('ui.segments.deleted', { name: segment.name })
      await this.segments.run()
    } catch (error) {
      this.done = ''
      this.problem = { message: (error as Error).message, fields: {} }
    } finally {
      this.busy = false
    }
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('#segments button, #segments input')?.focus()
  }

  private readonly _save = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    // Kept now: once the event is dispatched, its target (in a shadow root) is gone.
    const element = event.target as HTMLFormElement
    const form = new FormData(element)
    const name = String(form.get('name') ?? '').trim()
    this.busy = true
    try {
      const saved = await send<Segment>('POST', `${sitePath(this.view.site)}/segments`, { name, filters: this.view.filters, shared: form.get('shared') === 'on' })
      this.problem = undefined
      this.done = t('ui.segments.saved', { name: saved.name })
      element.reset()
      await this.segments.run()
    } catch (error) {
      this.done = ''
      this.problem = error instanceof ApiError ? { message: error.summary, fields: error.errors } : { message: (error as Error).message, fields: {} }
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('#segment-name[aria-invalid="true"]')?.focus()
    } finally {
      this.busy = false
    }
  }
}

customElements.define('cairn-segments', CairnSegments)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-segments': CairnSegments
  }
}
