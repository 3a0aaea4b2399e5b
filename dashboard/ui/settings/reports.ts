/**
 * Email reports of a site (docs/admin-api.md, "Reports"): who gets the weekly or monthly report and in
 * which language; adding and removing a recipient; a preview of each report; sending one now. Without
 * SMTP, the screen says so: the recipients are kept, and the reports start when mail works.
 */
import { html, nothing } from 'lit'
import { Task, initialState } from '@lit/task'
import { ifDefined } from 'lit/directives/if-defined.js'
import { api, send, sitePath } from '../api.ts'
import { LANGUAGE_CHOICES, Localized, currentLanguage, t } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import { field, fieldError, fieldState, formProblem, problemOf, textField, type Problem } from './common.ts'

const FREQUENCIES = ['weekly', 'monthly'] as const
type Frequency = (typeof FREQUENCIES)[number]

interface Recipient {
  email: string
  frequency: Frequency
  language: string
}

export class CairnSettingsReports extends Localized {
  static override styles = [panel, forms]

  static override properties = {
    site: { type: String },
    busy: { state: true },
    problem: { state: true },
    done: { state: true },
  }

  /** The site whose reports are shown. */
  declare site: string
  /** The request under way: 'add', or the recipient's key. */
  declare busy: string
  declare problem: { form: string; problem: Problem } | undefined
  declare done: string

  /** How mail has been going (admins of every site only: others get a 403 and see nothing of it). */
  private readonly mailStatus = new Task(this, {
    args: () => [this.site] as const,
    task: async () => api<{ configured: boolean; pending: number; given_up: number; last_error: string | null; last_error_at: string | null }>('/api/mail').catch(() => undefined),
  })

  private readonly recipients = new Task(this, {
    args: () => [this.site] as const,
    task: async ([site]) => (site ? api<{ reports: Recipient[]; mail: boolean }>(`${sitePath(site)}/reports`) : initialState),
  })

  constructor() {
    super()
    this.site = ''
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
    const problem = this.problem?.form === 'add' ? this.problem.problem : undefined
    const frequency = fieldState(problem, 'report-frequency', 'frequency')
    return html`
      <header><h2>${t('ui.settings.reports.heading', { site: this.site })}</h2></header>
      <p>${t('ui.settings.reports.intro')}</p>
      ${this.recipients.value && !this.recipients.value.mail ? html`<p class="notice no-mail">${t('ui.settings.reports.noMail')}</p>` : nothing}
      ${this._mailStatus()}
      <p class="status ok" role="status">${this.done || nothing}</p>
      ${this.recipients.render({
        pending: () => html`<p class="muted loading">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.settings.loadFailed', { error: (error as Error).message })}</p>`,
        complete: (answer) => this._table(answer.reports, answer.mail),
      })}
      <p class="previews">
        ${FREQUENCIES.map(
          (f) => html`<a class="preview" href=${`${sitePath(this.site)}/reports/preview?frequency=${f}&lang=${currentLanguage()}`} target="_blank" rel="noopener">${t('ui.settings.reports.preview', { frequency: f })}</a> `,
        )}
      </p>
      <form @submit=${this._add} novalidate aria-labelledby="add-recipient">
        <h3 id="add-recipient">${t('ui.settings.reports.add')}</h3>
        ${textField({ id: 'report-email', name: 'email', type: 'email', label: t('ui.settings.reports.email'), problem, required: true, autocomplete: 'off' })}
        <label for="report-frequency">${t('ui.settings.reports.frequency')}</label>
        <select id="report-frequency" name="frequency" aria-invalid=${frequency.invalid} aria-describedby=${ifDefined(frequency.describedby)}>
          ${FREQUENCIES.map((f) => html`<option value=${f}>${t('ui.settings.reports.frequencyName', { frequency: f })}</option>`)}
        </select>
        ${fieldError(problem, 'report-frequency', 'frequency')}
        <label for="report-language">${t('ui.settings.reports.language')}</label>
        <select id="report-language" name="language">
          ${LANGUAGE_CHOICES.map((l) => html`<option value=${l.code} lang=${l.code} ?selected=${l.code === currentLanguage()}>${l.name}</option>`)}
        </select>
        ${formProblem(problem)}
        <div class="actions"><button type="submit" class="primary" ?disabled=${this.busy === 'add'}>${this.busy === 'add' ? t('ui.settings.working') : t('ui.settings.reports.addSubmit')}</button></div>
      </form>
    `
  }

  /** Mails waiting for a retry, given up, and the last failure, when there is something to say. */
  private _mailStatus() {
    const status = this.mailStatus.value
    if (!status?.configured || (!status.pending && !status.given_up && !status.last_error)) return nothing
    return html`<p class="notice mail-status">
      ${t('ui.settings.reports.mailStatus', { pending: status.pending, givenUp: status.given_up })}
      ${status.last_error ? html`<br />${t('ui.settings.reports.lastFailure', { at: status.last_error_at ? new Date(status.last_error_at) : '', error: status.last_error })}` : nothing}
    </p>`
  }

  private _table(recipients: Recipient[], mail: boolean) {
    if (recipients.length === 0) return html`<p class="muted none">${t('ui.settings.reports.none')}</p>`
    return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="reports-caption">
      <table>
        <caption id="reports-caption">${t('ui.settings.reports.caption', { site: this.site })}</caption>
        <thead>
          <tr>
            <th scope="col">${t('ui.settings.reports.email')}</th>
            <th scope="col">${t('ui.settings.reports.frequency')}</th>
            <th scope="col">${t('ui.settings.reports.language')}</th>
            <th scope="col"><span class="visually-hidden">${t('ui.settings.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${recipients.map((r) => {
            const key = `${r.frequency}:${r.email}`
            const problem = this.problem?.form === key ? this.problem.problem : undefined
            return html`<tr data-recipient=${key}>
              <td>${shown(r.email)}</td>
              <td>${t('ui.settings.reports.frequencyName', { frequency: r.frequency })}</td>
              <td>${LANGUAGE_CHOICES.find((l) => l.code === r.language)?.name ?? r.language}</td>
              <td>
                <div class="row-actions">
                  ${mail
                    ? html`<button type="button" class="send" ?disabled=${this.busy === key} aria-label=${t('ui.settings.reports.sendNowOf', { email: r.email, frequency: r.frequency })} @click=${() => this._send(r)}>${t('ui.settings.reports.sendNow')}</button>`
                    : nothing}
                  <button type="button" class="danger remove" ?disabled=${this.busy === key} aria-label=${t('ui.settings.reports.removeOf', { email: r.email, frequency: r.frequency })} @click=${() => this._remove(r)}>${t('ui.settings.remove')}</button>
                </div>
                ${problem ? html`<p class="field-error" role="alert">${t('ui.settings.refused', { error: problem.message })}</p>` : nothing}
              </td>
            </tr>`
          })}
        </tbody>
      </table>
    </div>`
  }

  private async _add(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const element = event.target as HTMLFormElement
    const form = new FormData(element)
    const email = field(form, 'email')
    this.busy = 'add'
    try {
      const added = await send<Recipient>('POST', `${sitePath(this.site)}/reports`, { email, frequency: form.get('frequency'), language: form.get('language') })
      this.problem = undefined
      this.done = t('ui.settings.reports.added', { email: added.email, frequency: added.frequency })
      element.reset()
      await this.recipients.run()
    } catch (error) {
      this.problem = { form: 'add', problem: problemOf(error) }
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('form [aria-invalid="true"]')?.focus()
    } finally {
      this.busy = ''
    }
  }

  private async _remove(r: Recipient): Promise<void> {
    const key = `${r.frequency}:${r.email}`
    this.busy = key
    try {
      await send('DELETE', `${sitePath(this.site)}/reports/${r.frequency}/${encodeURIComponent(r.email)}`)
      this.problem = undefined
      this.done = t('ui.settings.reports.removed', { email: r.email, frequency: r.frequency })
      await this.recipients.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('#report-email')?.focus()
    } catch (error) {
      this.problem = { form: key, problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _send(r: Recipient): Promise<void> {
    const key = `${r.frequency}:${r.email}`
    this.busy = key
    try {
      await send('POST', `${sitePath(this.site)}/reports/send`, { email: r.email, frequency: r.frequency })
      this.problem = undefined
      this.done = t('ui.settings.reports.sent', { email: r.email, frequency: r.frequency })
    } catch (error) {
      this.problem = { form: key, problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }
}

customElements.define('cairn-settings-reports', CairnSettingsReports)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-reports': CairnSettingsReports
  }
}
