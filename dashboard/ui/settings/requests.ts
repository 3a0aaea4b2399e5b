/**
 * Data-subject requests for a site: a visitor's data exported (a JSON file made in the page), erased
 * (after a confirmation) or restricted, the visitor named by their id or by their cookie's value; and the
 * log of requests answered.
 */
import { css, html, nothing } from 'lit'
import { Task, initialState } from '@lit/task'
import { ifDefined } from 'lit/directives/if-defined.js'
import { api, send, sitePath } from '../api.ts'
import { Localized, t } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import { confirmDialog, download, fieldError, fieldState, formProblem, openDialog, problemOf, when, type Problem } from './common.ts'

interface Request {
  at: string
  kind: string
  /** The visitor as the docs name them; the server gives a pseudonym instead (a SHA-256 of site and visitor), shortened here. */
  visitor_id?: string
  subject?: string
  by: string
}

type By = 'visitor_id' | 'cookie'
type Action = 'export' | 'erase' | 'restrict'

export class CairnSettingsRequests extends Localized {
  static override styles = [panel, forms, css`fieldset label.inline { margin-top: 4px; }`]

  static override properties = {
    site: { type: String },
    by: { state: true },
    busy: { state: true },
    problem: { state: true },
    done: { state: true },
    pending: { state: true },
  }

  /** The site the requests are about. */
  declare site: string
  /** How the visitor is named: their visitor id, or the value of their `cairn_id` cookie. */
  declare by: By
  /** The action under way. */
  declare busy: Action | ''
  /** What the last request said. */
  declare problem: Problem | undefined
  /** What was just done, for the status line. */
  declare done: string
  /** The visitor an erasure waits for confirmation about. */
  declare pending: { by: By; value: string } | undefined

  private readonly log = new Task(this, {
    args: () => [this.site] as const,
    task: async ([site]) => (site ? (await api<{ requests: Request[] }>(`${sitePath(site)}/privacy`)).requests : initialState),
  })

  constructor() {
    super()
    this.site = ''
    this.by = 'visitor_id'
    this.busy = ''
    this.done = ''
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('site') && changed.get('site') !== undefined) {
      this.done = ''
      this.problem = undefined
    }
  }

  override render() {
    const problem = this.pending ? undefined : this.problem
    const state = fieldState(problem, 'visitor', this.by, true)
    return html`
      <header><h2>${t('ui.settings.requests.heading', { site: this.site })}</h2></header>
      <p>${t('ui.settings.requests.intro')}</p>
      <form @submit=${(e: SubmitEvent) => e.preventDefault()} novalidate aria-labelledby="request-heading">
        <h3 id="request-heading">${t('ui.settings.requests.answer')}</h3>
        <fieldset>
          <legend>${t('ui.settings.requests.by')}</legend>
          ${(['visitor_id', 'cookie'] as const).map(
            (by) => html`<label class="inline"><input type="radio" name="by" value=${by} .checked=${this.by === by} @change=${() => ((this.by = by), (this.problem = undefined))} /> ${t('ui.settings.requests.byName', { by })}</label>`,
          )}
        </fieldset>
        <label for="visitor">${t('ui.settings.requests.value', { by: this.by })}</label>
        <input id="visitor" name=${this.by} autocomplete="off" spellcheck="false" inputmode=${this.by === 'visitor_id' ? 'numeric' : 'text'} aria-invalid=${state.invalid} aria-describedby=${ifDefined(state.describedby)} />
        <p class="hint" id="visitor-hint">${t('ui.settings.requests.hint', { by: this.by })}</p>
        ${fieldError(problem, 'visitor', this.by)} ${formProblem(problem)}
        <div class="actions">
          <button type="button" data-action="export" ?disabled=${this.busy !== ''} @click=${() => this._run('export')}>${this.busy === 'export' ? t('ui.settings.working') : t('ui.settings.requests.export')}</button>
          <button type="button" data-action="restrict" ?disabled=${this.busy !== ''} @click=${() => this._run('restrict')}>${this.busy === 'restrict' ? t('ui.settings.working') : t('ui.settings.requests.restrict')}</button>
          <button type="button" data-action="erase" class="danger" ?disabled=${this.busy !== ''} @click=${this._askErase}>${t('ui.settings.requests.erase')}</button>
        </div>
      </form>
      <p class="status ok" role="status">${this.done || nothing}</p>
      <h3 id="log-heading">${t('ui.settings.requests.log')}</h3>
      ${this.log.render({
        pending: () => html`<p class="muted loading">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.settings.loadFailed', { error: (error as Error).message })}</p>`,
        complete: (requests) => this._table(requests),
      })}
      ${confirmDialog({
        id: 'erase-visitor',
        heading: t('ui.settings.requests.eraseHeading'),
        body: html`<p>${this.pending ? t('ui.settings.requests.eraseBody', { by: this.pending.by, site: this.site }) : nothing}</p>
          <p><code>${shown(this.pending?.value ?? '')}</code></p>`,
        confirm: t('ui.settings.requests.eraseSubmit'),
        busy: this.busy === 'erase',
        problem: this.pending ? this.problem : undefined,
        onSubmit: this._erase,
        onClose: () => {
          this.pending = undefined
        },
      })}
    `
  }

  private _table(requests: Request[]) {
    if (requests.length === 0) return html`<p class="muted none">${t('ui.settings.requests.none')}</p>`
    return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="log-heading">
      <table>
        <thead>
          <tr>
            <th scope="col">${t('ui.settings.requests.at')}</th>
            <th scope="col">${t('ui.settings.requests.kind')}</th>
            <th scope="col">${t('ui.settings.requests.visitor')}</th>
            <th scope="col">${t('ui.settings.requests.madeBy')}</th>
          </tr>
        </thead>
        <tbody>
          ${requests.map(
            (r) => html`<tr>
              <td class="nowrap">${when(r.at)}</td>
              <td>${t('ui.settings.requests.kindName', { kind: r.kind })}</td>
              <td class="nowrap"><code>${shown(r.visitor_id ?? `${(r.subject ?? '').slice(0, 12)}…`)}</code></td>
              <td>${r.by === 'visitor' ? t('ui.settings.requests.byVisitor') : shown(r.by)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`
  }

  private get value(): string {
    return (this.renderRoot.querySelector('#visitor') as HTMLInputElement).value.trim()
  }

  /** An empty field is refused here, next to it, before anything is asked. */
  private _check(value: string): boolean {
    if (value) return true
    this.problem = { message: t('ui.settings.requests.missing', { by: this.by }), fields: { [this.by]: t('ui.settings.requests.missingField') } }
    ;(this.renderRoot.querySelector('#visitor') as HTMLElement).focus()
    return false
  }

  private async _askErase(): Promise<void> {
    const value = this.value
    if (!this._check(value)) return
    this.problem = undefined
    this.pending = { by: this.by, value }
    await this.updateComplete
    openDialog(this.renderRoot.querySelector<HTMLDialogElement>('#erase-visitor'), () => this.renderRoot.querySelector<HTMLElement>('#visitor'))
  }

  private readonly _erase = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const pending = this.pending
    if (!pending) return
    if (await this._run('erase', pending)) this.renderRoot.querySelector<HTMLDialogElement>('#erase-visitor')?.close()
  }

  private async _run(action: Action, who: { by: By; value: string } = { by: this.by, value: this.value }): Promise<boolean> {
    if (!this._check(who.value)) return false
    this.busy = action
    this.done = ''
    try {
      const answer = await send<Record<string, unknown>>('POST', `${sitePath(this.site)}/privacy`, { action, [who.by]: who.value })
      this.problem = undefined
      if (action === 'export') {
        download(`${this.site}-visitor-${who.by === 'visitor_id' ? who.value : 'cookie'}.json`, JSON.stringify(answer, null, 2), 'application/json')
        this.done = t('ui.settings.requests.exported')
      } else {
        const id = String(answer[action === 'erase' ? 'erased' : 'restricted'] ?? who.value)
        this.done = t(action === 'erase' ? 'ui.settings.requests.erased' : 'ui.settings.requests.restricted', { id })
        ;(this.renderRoot.querySelector('#visitor') as HTMLInputElement).value = ''
      }
      void this.log.run()
      return true
    } catch (error) {
      this.problem = problemOf(error)
      return false
    } finally {
      this.busy = ''
    }
  }
}

customElements.define('cairn-settings-requests', CairnSettingsRequests)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-requests': CairnSettingsRequests
  }
}
