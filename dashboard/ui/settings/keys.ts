/** API keys: the reader's keys (everyone's, for an admin of every site), creating one (shown once), revoking one. */
import { html, nothing } from 'lit'
import { Task } from '@lit/task'
import { api, send } from '../api.ts'
import { Localized, t } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import { confirmDialog, field, formProblem, openDialog, problemOf, shownOnce, textField, when, type Problem } from './common.ts'

interface Key {
  prefix: string
  email: string
  name: string
  created_at: string
}

export class CairnSettingsKeys extends Localized {
  static override styles = [panel, forms]

  static override properties = {
    everySite: { type: Boolean },
    all: { state: true },
    busy: { state: true },
    problem: { state: true },
    created: { state: true },
    revoking: { state: true },
    done: { state: true },
  }

  /** The reader administers every site: may list and revoke everyone's keys. */
  declare everySite: boolean
  /** Everyone's keys are listed, not only the reader's. */
  declare all: boolean
  declare busy: '' | 'create' | 'revoke'
  declare problem: { form: 'create' | 'revoke'; problem: Problem } | undefined
  /** The key just created, shown once. */
  declare created: { key: string; name: string } | undefined
  /** The key the dialog asks about. */
  declare revoking: Key | undefined
  /** What was just done, for the status line. */
  declare done: string

  private readonly keys = new Task(this, {
    args: () => [this.all] as const,
    task: async ([all]) => (await api<{ keys: Key[] }>(`/api/keys${all ? '?all=1' : ''}`)).keys,
  })

  constructor() {
    super()
    this.everySite = false
    this.all = false
    this.busy = ''
    this.done = ''
  }

  override render() {
    const problem = this.problem?.form === 'create' ? this.problem.problem : undefined
    return html`
      <header><h2>${t('ui.settings.tab.keys')}</h2></header>
      <p>${t('ui.settings.keys.intro')}</p>
      <p class="status ok" role="status">${this.done || nothing}</p>
      ${this.created
        ? shownOnce({ id: 'key-once', heading: t('ui.settings.keys.created', { name: this.created.name }), label: t('ui.settings.keys.key'), value: this.created.key, copyLabel: t('ui.settings.keys.copy'), warning: t('ui.settings.shownOnce') })
        : nothing}
      ${this.everySite
        ? html`<label class="inline"><input type="checkbox" .checked=${this.all} @change=${(e: Event) => (this.all = (e.target as HTMLInputElement).checked)} /> ${t('ui.settings.keys.all')}</label>`
        : nothing}
      ${this.keys.render({
        pending: () => html`<p class="muted loading">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.settings.loadFailed', { error: (error as Error).message })}</p>`,
        complete: (keys) => this._table(keys),
      })}
      <form @submit=${this._create} novalidate aria-labelledby="create-key">
        <h3 id="create-key">${t('ui.settings.keys.create')}</h3>
        ${textField({ id: 'key-name', name: 'name', label: t('ui.settings.keys.name'), problem, required: true, autocomplete: 'off', hint: t('ui.settings.keys.nameHint') })} ${formProblem(problem)}
        <div class="actions"><button type="submit" class="primary" ?disabled=${this.busy === 'create'}>${this.busy === 'create' ? t('ui.settings.working') : t('ui.settings.keys.createSubmit')}</button></div>
      </form>
      ${confirmDialog({
        id: 'revoke-key',
        heading: t('ui.settings.keys.revokeHeading', { name: this.revoking?.name ?? '' }),
        body: html`<p>${t('ui.settings.keys.revokeBody')}</p>`,
        confirm: t('ui.settings.keys.revokeSubmit'),
        busy: this.busy === 'revoke',
        problem: this.problem?.form === 'revoke' ? this.problem.problem : undefined,
        onSubmit: this._revoke,
        onClose: () => {
          if (this.problem?.form === 'revoke') this.problem = undefined
        },
      })}
    `
  }

  private _table(keys: Key[]) {
    if (keys.length === 0) return html`<p class="muted none">${t('ui.settings.keys.none')}</p>`
    return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="keys-caption">
      <table>
        <caption id="keys-caption">${t(this.all ? 'ui.settings.keys.captionAll' : 'ui.settings.keys.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">${t('ui.settings.keys.name')}</th>
            <th scope="col">${t('ui.settings.keys.prefix')}</th>
            ${this.all ? html`<th scope="col">${t('ui.settings.keys.owner')}</th>` : nothing}
            <th scope="col">${t('ui.settings.created')}</th>
            <th scope="col"><span class="visually-hidden">${t('ui.settings.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${keys.map(
            (k) => html`<tr data-prefix=${k.prefix}>
              <td>${shown(k.name)}</td>
              <td class="nowrap"><code>${shown(k.prefix)}</code></td>
              ${this.all ? html`<td>${shown(k.email)}</td>` : nothing}
              <td class="nowrap">${when(k.created_at)}</td>
              <td><div class="row-actions"><button type="button" class="danger" aria-label=${t('ui.settings.keys.revokeOf', { name: k.name })} @click=${() => this._ask(k)}>${t('ui.settings.revoke')}</button></div></td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`
  }

  private async _create(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const element = event.target as HTMLFormElement
    const name = field(new FormData(element), 'name')
    this.busy = 'create'
    try {
      const { key } = await send<{ key: string; prefix: string }>('POST', '/api/keys', { name })
      this.created = { key, name }
      this.problem = undefined
      this.done = ''
      element.reset()
      void this.keys.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('#key-once')?.focus()
    } catch (error) {
      this.problem = { form: 'create', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _ask(key: Key): Promise<void> {
    this.revoking = key
    this.problem = undefined
    await this.updateComplete
    openDialog(this.renderRoot.querySelector<HTMLDialogElement>('#revoke-key'), () => this.renderRoot.querySelector<HTMLElement>('#key-name'))
  }

  private readonly _revoke = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const key = this.revoking
    if (!key) return
    this.busy = 'revoke'
    try {
      await send('DELETE', `/api/keys/${encodeURIComponent(key.prefix)}`)
      this.problem = undefined
      this.done = t('ui.settings.keys.revoked', { name: key.name })
      if (this.created && this.created.key.startsWith(key.prefix)) this.created = undefined
      await this.keys.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLDialogElement>('#revoke-key')?.close()
    } catch (error) {
      this.problem = { form: 'revoke', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }
}

customElements.define('cairn-settings-keys', CairnSettingsKeys)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-keys': CairnSettingsKeys
  }
}
