/**
 * Traffic alerts of a site (docs/admin-api.md, "Alerts"): the list (what each watches, who hears of it,
 * when it last went off); adding one, changing one (the same form, filled), removing one after a
 * confirmation. A webhook's address is a secret: the list shows only its host.
 */
import { css, html, nothing } from 'lit'
import { Task, initialState } from '@lit/task'
import { ifDefined } from 'lit/directives/if-defined.js'
import { keyed } from 'lit/directives/keyed.js'
import { api, send, sitePath } from '../api.ts'
import { LANGUAGE_CHOICES, Localized, currentLanguage, formatPercent, t, tt } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import { confirmDialog, fieldError, fieldState, formProblem, openDialog, problemOf, textField, when, type Problem } from './common.ts'

/** What an alert watches (sql/alerts.ts), in the order of the form's menu. */
const KINDS = ['visitors_above', 'change'] as const
type Kind = (typeof KINDS)[number]
/** Which way a change alert looks; 'either' is the API's default. */
const DIRECTIONS = ['either', 'rise', 'fall'] as const
type Direction = (typeof DIRECTIONS)[number]

/** An alert as the admin API shows it. */
interface AlertInfo {
  id: string
  name: string
  kind: Kind
  threshold: number
  direction?: Direction
  recipients: string[]
  webhook: string
  language: string
  created_at: string
  last_fired_at: string | null
}

/** What the form holds; each kind's threshold apart, so that trying the other kind loses nothing typed. */
interface Draft {
  name: string
  kind: Kind
  direction: Direction
  visitors: string
  percent: string
  /** As typed: addresses separated by commas or lines. */
  recipients: string
  webhook: string
  language: string
}

const emptyDraft = (): Draft => ({ name: '', kind: 'visitors_above', direction: 'either', visitors: '', percent: '', recipients: '', webhook: '', language: currentLanguage() })

const draftOf = (a: AlertInfo): Draft => ({
  name: a.name,
  kind: a.kind,
  direction: a.direction ?? 'either',
  visitors: a.kind === 'visitors_above' ? String(a.threshold) : '',
  percent: a.kind === 'change' ? String(a.threshold) : '',
  recipients: a.recipients.join('\n'),
  webhook: a.webhook,
  language: a.language,
})

/** A whole number typed, or null (which the server refuses, naming the field). */
const whole = (text: string): number | null => (text.trim() === '' ? null : Number(text))

/** The addresses typed, split at commas, semicolons and line breaks (spaces too: an address has none). */
const addresses = (text: string): string[] => text.split(/[\s,;]+/).filter(Boolean)

/** The request's body for a draft: every field, so that a change of kind carries its threshold. */
const bodyOf = (d: Draft): Record<string, unknown> => ({
  name: d.name.trim(),
  kind: d.kind,
  ...(d.kind === 'change' && { direction: d.direction }),
  threshold: whole(d.kind === 'change' ? d.percent : d.visitors),
  recipients: addresses(d.recipients),
  webhook: d.webhook.trim(),
  language: d.language,
})

/** A webhook's host: the rest of its address (path, query) often is its secret. */
function hostOf(webhook: string): string {
  try {
    return new URL(webhook).host
  } catch {
    return ''
  }
}

/** What an alert watches, in words. */
const watches = (a: AlertInfo): string =>
  a.kind === 'change'
    ? t('ui.settings.alerts.def.change', { direction: a.direction ?? 'either', percent: formatPercent(a.threshold) })
    : t('ui.settings.alerts.def.visitorsAbove', { threshold: a.threshold })

export class CairnSettingsAlerts extends Localized {
  static override styles = [
    panel,
    forms,
    css`
      h2:focus { outline: none; }
      form.alert { border: 1px solid var(--border); border-radius: 10px; padding: 4px 14px 14px; margin: 16px 0 0; background: var(--bg); }
      form.alert h3 { font-size: 15px; }
      form.alert input, form.alert select, form.alert textarea { background: var(--panel); }
      form.alert input[type='number'] { max-width: 160px; }
      td.name { font-weight: 600; }
      td.watches { font-size: 13px; min-width: 12em; }
      td.to { min-width: 11em; }
      ul.to { list-style: none; margin: 0; padding: 0; font-size: 13px; }
      ul.to li { overflow-wrap: break-word; }
      @media (max-width: 600px) { form.alert { padding: 4px 10px 10px; } }
    `,
  ]

  static override properties = {
    site: { type: String },
    editing: { state: true },
    draft: { state: true },
    busy: { state: true },
    problem: { state: true },
    removing: { state: true },
    done: { state: true },
    mail: { state: true },
  }

  /** The site whose alerts are shown. */
  declare site: string
  /** Whether Cairn can send mail (the API says so with the alerts); undefined until it has. */
  declare mail: boolean | undefined
  /** The alert the form changes; undefined while it adds one. */
  declare editing: AlertInfo | undefined
  /** What the form holds. */
  declare draft: Draft
  declare busy: '' | 'save' | 'remove'
  declare problem: { form: 'save' | 'remove'; problem: Problem } | undefined
  /** The alert the removal dialog asks about. */
  declare removing: AlertInfo | undefined
  /** What was just done, said in the status line. */
  declare done: string
  /** A new form (its fields from the draft, nothing typed left in them) each time it is filled or emptied. */
  private generation = 0

  private readonly alerts = new Task(this, {
    args: () => [this.site] as const,
    task: async ([site]) => {
      if (!site) return initialState
      const answer = await api<{ alerts: AlertInfo[]; mail: boolean }>(`${sitePath(site)}/alerts`)
      this.mail = answer.mail
      return answer.alerts
    },
  })

  constructor() {
    super()
    this.site = ''
    this.draft = emptyDraft()
    this.busy = ''
    this.done = ''
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('site') && changed.get('site') !== undefined) {
      this._reset()
      this.done = ''
    }
  }

  private problemOf(form: 'save' | 'remove'): Problem | undefined {
    return this.problem?.form === form ? this.problem.problem : undefined
  }

  override render() {
    return html`
      <header><h2 tabindex="-1">${t('ui.settings.alerts.heading', { site: this.site })}</h2></header>
      <p>${t('ui.settings.alerts.intro')}</p>
      ${this.mail === false ? html`<p class="notice no-mail">${t('ui.settings.alerts.noMail')}</p>` : nothing}
      <p class="status ok" role="status">${this.done || nothing}</p>
      ${this.alerts.render({
        pending: () => html`<p class="muted loading">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.settings.loadFailed', { error: (error as Error).message })}</p>`,
        complete: (alerts) => this._table(alerts),
      })}
      ${this._form()}
      ${confirmDialog({
        id: 'remove-alert',
        heading: t('ui.settings.alerts.removeHeading', { name: this.removing?.name ?? '' }),
        body: html`<p>${t('ui.settings.alerts.removeBody')}</p>`,
        confirm: t('ui.settings.alerts.removeSubmit'),
        busy: this.busy === 'remove',
        problem: this.problemOf('remove'),
        onSubmit: this._remove,
        onClose: () => {
          if (this.problem?.form === 'remove') this.problem = undefined
        },
      })}
    `
  }

  private _table(alerts: AlertInfo[]) {
    if (alerts.length === 0) return html`<p class="muted none">${t('ui.settings.alerts.none')}</p>`
    return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="alerts-caption">
      <table>
        <caption id="alerts-caption">${t('ui.settings.alerts.caption', { site: this.site })}</caption>
        <thead>
          <tr>
            <th scope="col">${t('ui.settings.alerts.name')}</th>
            <th scope="col">${t('ui.settings.alerts.watches')}</th>
            <th scope="col">${t('ui.settings.alerts.sentTo')}</th>
            <th scope="col">${t('ui.settings.alerts.language')}</th>
            <th scope="col">${t('ui.settings.alerts.lastSent')}</th>
            <th scope="col"><span class="visually-hidden">${t('ui.settings.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${alerts.map((a) => {
            const host = a.webhook ? hostOf(a.webhook) : ''
            return html`<tr data-alert=${a.id}>
              <td class="name">${shown(a.name)}</td>
              <td class="watches">${watches(a)}</td>
              <td class="to">
                <ul class="to">
                  ${a.recipients.map((r) => html`<li>${shown(r)}</li>`)}
                  ${a.webhook ? html`<li class="webhook">${tt('ui.settings.alerts.webhookTo', { host: shown(host) })}</li>` : nothing}
                </ul>
              </td>
              <td class="nowrap"><bdi lang=${a.language}>${LANGUAGE_CHOICES.find((l) => l.code === a.language)?.name ?? a.language}</bdi></td>
              <td class="nowrap last">${a.last_fired_at ? when(a.last_fired_at) : t('ui.settings.alerts.never')}</td>
              <td>
                <div class="row-actions">
                  <button type="button" class="edit" aria-label=${t('ui.settings.alerts.editOf', { name: a.name })} @click=${() => this._edit(a)}>${t('ui.settings.alerts.edit')}</button>
                  <button type="button" class="danger remove" aria-label=${t('ui.settings.alerts.removeOf', { name: a.name })} @click=${() => this._ask(a)}>${t('ui.settings.remove')}</button>
                </div>
              </td>
            </tr>`
          })}
        </tbody>
      </table>
    </div>`
  }

  /** The form: adding an alert, or changing the one being edited. */
  private _form() {
    const problem = this.problemOf('save')
    const d = this.draft
    const adding = this.editing === undefined
    const text = { problem, autocomplete: 'off' }
    const kind = fieldState(problem, 'alert-kind', 'kind', true)
    const direction = fieldState(problem, 'alert-direction', 'direction')
    const recipients = fieldState(problem, 'alert-recipients', 'recipients', true)
    const language = fieldState(problem, 'alert-language', 'language', true)
    const change = d.kind === 'change'
    return keyed(this.generation, html`<form class="alert" @submit=${this._save} @input=${this._input} novalidate aria-labelledby="alert-heading">
      <h3 id="alert-heading">${adding ? t('ui.settings.alerts.add') : t('ui.settings.alerts.editHeading', { name: this.editing?.name ?? '' })}</h3>
      ${textField({ ...text, id: 'alert-name', name: 'name', label: t('ui.settings.alerts.name'), value: d.name, required: true, hint: t('ui.settings.alerts.nameHint') })}
      <label for="alert-kind">${t('ui.settings.alerts.kind')}</label>
      <select id="alert-kind" name="kind" aria-invalid=${kind.invalid} aria-describedby=${ifDefined(kind.describedby)} @change=${this._kind}>
        ${KINDS.map((k) => html`<option value=${k} ?selected=${k === d.kind}>${t('ui.settings.alerts.kindName', { kind: k })}</option>`)}
      </select>
      <p class="hint" id="alert-kind-hint">${t('ui.settings.alerts.kindHint', { kind: d.kind })}</p>
      ${fieldError(problem, 'alert-kind', 'kind')}
      ${change
        ? html`<label for="alert-direction">${t('ui.settings.alerts.direction')}</label>
            <select id="alert-direction" name="direction" aria-invalid=${direction.invalid} aria-describedby=${ifDefined(direction.describedby)}>
              ${DIRECTIONS.map((x) => html`<option value=${x} ?selected=${x === d.direction}>${t('ui.settings.alerts.directionName', { direction: x })}</option>`)}
            </select>
            ${fieldError(problem, 'alert-direction', 'direction')}
            ${textField({ ...text, id: 'alert-percent', name: 'threshold', type: 'number', label: t('ui.settings.alerts.percent'), value: d.percent, required: true, inputmode: 'numeric', hint: t('ui.settings.alerts.percentHint') })}`
        : textField({ ...text, id: 'alert-visitors', name: 'threshold', type: 'number', label: t('ui.settings.alerts.visitors'), value: d.visitors, required: true, inputmode: 'numeric', hint: t('ui.settings.alerts.visitorsHint') })}
      <label for="alert-recipients">${t('ui.settings.alerts.recipients')}</label>
      <textarea id="alert-recipients" name="recipients" rows="3" autocomplete="off" .value=${d.recipients} aria-invalid=${recipients.invalid} aria-describedby=${ifDefined(recipients.describedby)}></textarea>
      <p class="hint" id="alert-recipients-hint">${t('ui.settings.alerts.recipientsHint')}</p>
      ${fieldError(problem, 'alert-recipients', 'recipients')}
      ${textField({ ...text, id: 'alert-webhook', name: 'webhook', type: 'url', label: t('ui.settings.alerts.webhook'), value: d.webhook, inputmode: 'url', hint: t('ui.settings.alerts.webhookHint') })}
      <label for="alert-language">${t('ui.settings.alerts.language')}</label>
      <select id="alert-language" name="language" aria-invalid=${language.invalid} aria-describedby=${ifDefined(language.describedby)}>
        ${LANGUAGE_CHOICES.map((l) => html`<option value=${l.code} lang=${l.code} ?selected=${l.code === d.language}>${l.name}</option>`)}
      </select>
      <p class="hint" id="alert-language-hint">${t('ui.settings.alerts.languageHint')}</p>
      ${fieldError(problem, 'alert-language', 'language')} ${formProblem(problem)}
      <div class="actions">
        <button type="submit" class="primary" ?disabled=${this.busy === 'save'}>${this.busy === 'save' ? t('ui.settings.working') : adding ? t('ui.settings.alerts.addSubmit') : t('ui.settings.save')}</button>
        ${adding ? nothing : html`<button type="button" class="cancel" @click=${this._cancel}>${t('ui.settings.cancel')}</button>`}
      </div>
    </form>`)
  }

  /** Each field's text kept in the draft as it is typed (its id names it: alert-<field>). */
  private readonly _input = (event: Event): void => {
    const target = event.target as HTMLInputElement
    const key = target.id.slice('alert-'.length) as keyof Draft
    if (key !== 'kind' && key in this.draft) (this.draft as unknown as Record<string, string>)[key] = target.value
  }

  private readonly _kind = (event: Event): void => {
    this.draft = { ...this.draft, kind: (event.target as HTMLSelectElement).value as Kind }
    // A refusal of the threshold or the direction was about the kind left.
    this.problem = undefined
  }

  /** Fills the form with `alert`, to change it; focus moves to its first field. */
  private async _edit(alert: AlertInfo): Promise<void> {
    this.editing = alert
    this.draft = draftOf(alert)
    this.generation++
    this.problem = undefined
    this.done = ''
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('#alert-name')?.focus()
  }

  private readonly _cancel = async (): Promise<void> => {
    const id = this.editing?.id
    this._reset()
    await this.updateComplete
    this._focusRow(id)
  }

  private _reset(): void {
    this.editing = undefined
    this.draft = emptyDraft()
    this.problem = undefined
    this.generation++
  }

  /** The Edit button of an alert's row (after its form closes), else the heading. */
  private _focusRow(id: string | undefined): void {
    const button = id ? this.renderRoot.querySelector<HTMLElement>(`tr[data-alert="${CSS.escape(id)}"] button.edit`) : null
    ;(button ?? this.renderRoot.querySelector<HTMLElement>('h2'))?.focus()
  }

  private readonly _save = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const id = this.editing?.id
    this.busy = 'save'
    try {
      const alert = id
        ? await send<AlertInfo>('PATCH', `${sitePath(this.site)}/alerts/${encodeURIComponent(id)}`, bodyOf(this.draft))
        : await send<AlertInfo>('POST', `${sitePath(this.site)}/alerts`, bodyOf(this.draft))
      this._reset()
      this.done = t(id ? 'ui.settings.alerts.saved' : 'ui.settings.alerts.added', { name: alert.name })
      await this.alerts.run()
      await this.updateComplete
      // A change goes back to its row; after an addition the form is ready for the next one.
      if (id) this._focusRow(id)
      else this.renderRoot.querySelector<HTMLElement>('#alert-name')?.focus()
    } catch (error) {
      this.problem = { form: 'save', problem: problemOf(error) }
      await this.updateComplete
      // The first field marked invalid, else the summary.
      this.renderRoot.querySelector<HTMLElement>('form.alert [aria-invalid="true"]')?.focus()
    } finally {
      this.busy = ''
    }
  }

  private async _ask(alert: AlertInfo): Promise<void> {
    this.removing = alert
    this.problem = undefined
    await this.updateComplete
    openDialog(this.renderRoot.querySelector<HTMLDialogElement>('#remove-alert'), () => this.renderRoot.querySelector<HTMLElement>('h2'))
  }

  private readonly _remove = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const alert = this.removing
    if (!alert) return
    this.busy = 'remove'
    try {
      await send('DELETE', `${sitePath(this.site)}/alerts/${encodeURIComponent(alert.id)}`)
      this.problem = undefined
      if (this.editing?.id === alert.id) this._reset()
      this.done = t('ui.settings.alerts.removed', { name: alert.name })
      await this.alerts.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLDialogElement>('#remove-alert')?.close()
    } catch (error) {
      this.problem = { form: 'remove', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }
}

customElements.define('cairn-settings-alerts', CairnSettingsAlerts)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-alerts': CairnSettingsAlerts
  }
}
