/**
 * The form to save a funnel (POST /api/sites/{site}/funnels, or PATCH …/{id} to change one; docs/admin-api.md "Goals"): a name, 2 to 8 of
 * the site's goals in order (engaged-time goals have no moment, so cannot be steps), and whether the steps
 * must happen within one visit. Only site admins open it, so it is a chunk of its own, loaded on first use.
 */
import { css, html, nothing } from 'lit'
import { Task, TaskStatus, initialState } from '@lit/task'
import { ApiError, api, send, sitePath } from './api.ts'
import { Localized, t } from './i18n.ts'
import { forms } from './styles.ts'
import { visible } from './text.ts'

export interface Funnel {
  id: string
  name: string
  steps: string[]
  within: 'visit' | 'range'
}

interface Goal {
  id: string
  name: string
  kind: string
}

const MIN_STEPS = 2
const MAX_STEPS = 8

/**
 * @fires cairn-funnel-saved - {funnel}: the funnel is saved
 * @fires cairn-funnel-cancel - the reader left the form
 */
export class CairnFunnelForm extends Localized {
  static override styles = [
    forms,
    css`
      :host { display: block; }
      form { border-top: 1px solid var(--border); margin-top: 14px; padding-top: 4px; }
      ol.choose { margin: 0; padding: 0; list-style: none; }
      ol.choose li { display: flex; gap: 6px; align-items: end; }
      ol.choose li > div { flex: 1; min-width: 0; }
      ol.choose label { margin-top: 8px; }
      button.remove { min-width: 32px; }
    `,
  ]

  static override properties = {
    site: { type: String },
    funnel: { attribute: false },
    draft: { state: true },
    problem: { state: true },
    busy: { state: true },
  }

  /** The site the funnel is saved for. */
  declare site: string
  /** The funnel changed by the form; undefined for a new one. */
  declare funnel: Funnel | undefined
  /** The steps: goal ids in order. */
  declare draft: string[]
  /** The server's refusal: its summary and each field's problem. */
  declare problem: { message: string; fields: Record<string, string> } | undefined
  declare busy: boolean

  /** The goals that may be steps. */
  private readonly goals = new Task(this, {
    args: () => [this.site] as const,
    task: async ([site]) => (site ? (await api<{ goals: Goal[] }>(`${sitePath(site)}/goals`)).goals.filter((g) => g.kind !== 'engagement') : initialState),
  })

  constructor() {
    super()
    this.site = ''
    this.draft = []
    this.busy = false
  }

  /** Once the goals are known, the first two are the steps, and the focus goes to the form. */
  override async updated(): Promise<void> {
    const goals = this.goals.value
    if (!goals || this.draft.length) return
    // A step whose goal was deleted since cannot stay: the server would refuse it.
    const kept = this.funnel?.steps.filter((id) => goals.some((g) => g.id === id)) ?? []
    this.draft = kept.length >= MIN_STEPS ? kept : goals.slice(0, MIN_STEPS).map((g) => g.id)
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('#funnel-name, button')?.focus()
  }

  override render() {
    const goals = this.goals.value
    const fields = this.problem?.fields ?? {}
    const invalid = (name: string) => (fields[name] ? 'true' : 'false')
    const error = (name: string) => (fields[name] ? html`<p class="field-error" id="funnel-${name}-error">${fields[name]}</p>` : nothing)
    if (this.goals.status === TaskStatus.ERROR) return html`<p class="error" role="alert">${t('ui.funnel.error', { error: (this.goals.error as Error).message })}</p>`
    if (!goals) return html`<p class="muted loading">${t('ui.loading')}</p>`
    if (goals.length < MIN_STEPS) {
      return html`<form @submit=${(e: Event) => e.preventDefault()} @keydown=${this._key}>
        <h3>${t('ui.funnel.formHeading')}</h3>
        <p class="muted">${t('ui.funnel.needGoals')}</p>
        <div class="actions"><button type="button" class="cancel" @click=${this._cancel}>${t('ui.settings.cancel')}</button></div>
      </form>`
    }
    const heading = t(this.funnel ? 'ui.funnel.editHeading' : 'ui.funnel.formHeading')
    return html`<form class="funnel" novalidate @submit=${this._save} @keydown=${this._key}>
      <h3 id="funnel-form-heading">${heading}</h3>
      ${this.problem && !Object.keys(fields).length ? html`<p class="error" role="alert">${this.problem.message}</p>` : nothing}
      <label for="funnel-name">${t('ui.funnel.name')}</label>
      <input id="funnel-name" name="name" autocomplete="off" maxlength="100" required .value=${this.funnel?.name ?? ''} aria-invalid=${invalid('name')} aria-describedby=${fields.name ? 'funnel-name-error' : nothing} />
      ${error('name')}
      <fieldset aria-describedby=${fields.steps ? 'funnel-steps-error' : nothing}>
        <legend>${t('ui.funnel.stepsLegend', { min: MIN_STEPS, max: MAX_STEPS })}</legend>
        <ol class="choose">
          ${this.draft.map(
            (id, i) => html`<li>
              <div>
                <label for="funnel-step-${i}">${t('ui.funnel.stepN', { n: i + 1 })}</label>
                <select id="funnel-step-${i}" @change=${(e: Event) => this._setStep(i, (e.target as HTMLSelectElement).value)}>
                  ${goals.map((g) => html`<option class="data" value=${g.id} ?selected=${g.id === id}>${visible(g.name)}</option>`)}
                </select>
              </div>
              ${this.draft.length > MIN_STEPS
                ? html`<button type="button" class="remove" aria-label=${t('ui.funnel.removeStep', { n: i + 1 })} @click=${() => this._removeStep(i)}><span aria-hidden="true">×</span></button>`
                : nothing}
            </li>`,
          )}
        </ol>
        ${this.draft.length < MAX_STEPS ? html`<div class="actions"><button type="button" class="add-step" @click=${this._addStep}>${t('ui.funnel.addStep')}</button></div>` : nothing}
      </fieldset>
      ${error('steps')}
      <label for="funnel-within">${t('ui.funnel.within')}</label>
      <select id="funnel-within" name="within" aria-invalid=${invalid('within')}>
        <option value="visit">${t('ui.funnel.withinVisit')}</option>
        <option value="range" ?selected=${this.funnel?.within === 'range'}>${t('ui.funnel.withinRange')}</option>
      </select>
      ${error('within')}
      <div class="actions">
        <button type="submit" class="primary" ?disabled=${this.busy}>${t('ui.funnel.save')}</button>
        <button type="button" class="cancel" @click=${this._cancel}>${t('ui.settings.cancel')}</button>
      </div>
    </form>`
  }

  private _cancel(): void {
    this.dispatchEvent(new CustomEvent('cairn-funnel-cancel', { bubbles: true, composed: true }))
  }

  /** Escape leaves the form. */
  private _key(event: KeyboardEvent): void {
    if (event.key !== 'Escape') return
    event.stopPropagation()
    this._cancel()
  }

  private _setStep(i: number, id: string): void {
    this.draft = this.draft.map((s, j) => (j === i ? id : s))
  }

  private async _addStep(): Promise<void> {
    const goals = this.goals.value ?? []
    const next = goals.find((g) => !this.draft.includes(g.id)) ?? goals[0]
    if (!next) return
    this.draft = [...this.draft, next.id]
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>(`#funnel-step-${this.draft.length - 1}`)?.focus()
  }

  private async _removeStep(i: number): Promise<void> {
    this.draft = this.draft.filter((_, j) => j !== i)
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>(`#funnel-step-${Math.min(i, this.draft.length - 1)}`)?.focus()
  }

  private readonly _save = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    const name = String(form.get('name') ?? '').trim()
    this.busy = true
    try {
      const body = { name, steps: this.draft, within: String(form.get('within') ?? 'visit') }
      const saved = this.funnel
        ? await send<Funnel>('PATCH', `${sitePath(this.site)}/funnels/${encodeURIComponent(this.funnel.id)}`, body)
        : await send<Funnel>('POST', `${sitePath(this.site)}/funnels`, body)
      this.problem = undefined
      this.dispatchEvent(new CustomEvent('cairn-funnel-saved', { detail: { funnel: saved }, bubbles: true, composed: true }))
    } catch (error) {
      this.problem = error instanceof ApiError ? { message: error.summary, fields: error.errors } : { message: (error as Error).message, fields: {} }
      await this.updateComplete
      const fields = this.problem.fields
      this.renderRoot.querySelector<HTMLElement>(fields.name ? '#funnel-name' : fields.steps ? '#funnel-step-0' : fields.within ? '#funnel-within' : 'form button[type=submit]')?.focus()
    } finally {
      this.busy = false
    }
  }
}

customElements.define('cairn-funnel-form', CairnFunnelForm)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-funnel-form': CairnFunnelForm
  }
}
