/**
 * People of a site: who may read it (email, role, two-factor), adding someone — by a mailed invitation
 * (the link shown to pass on when Cairn cannot mail), or with a password (a generated one is shown once)
 * — changing a role, taking it away; an admin of every site can also reset a password.
 */
import { css, html, nothing } from 'lit'
import { Task, initialState } from '@lit/task'
import { ifDefined } from 'lit/directives/if-defined.js'
import { live } from 'lit/directives/live.js'
import { api, send, sitePath } from '../api.ts'
import { Localized, t } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import { confirmDialog, field, fieldError, fieldState, formProblem, openDialog, problemOf, shownOnce, textField, type Problem } from './common.ts'

interface Person {
  email: string
  role: 'viewer' | 'admin'
  site: string
  two_factor: boolean
}

const ROLES = ['viewer', 'admin'] as const

export class CairnSettingsPeople extends Localized {
  static override styles = [
    panel,
    forms,
    css`
      td select { width: auto; min-width: 120px; }
      .role { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
      fieldset.how { border: 0; padding: 0; margin: 12px 0 0; }
      fieldset.how legend { font-size: 13px; color: var(--muted); padding: 0; margin-bottom: 4px; }
      label.choice { display: flex; gap: 8px; align-items: center; color: var(--text); font-size: 14px; margin: 4px 0; }
      label.choice input { width: auto; min-height: 0; }
    `,
  ]

  static override properties = {
    site: { type: String },
    everySite: { type: Boolean },
    busy: { state: true },
    problem: { state: true },
    secret: { state: true },
    done: { state: true },
    pending: { state: true },
    how: { state: true },
  }

  /** The site whose people are shown. */
  declare site: string
  /** The reader administers every site: passwords can be reset. */
  declare everySite: boolean
  /** The request under way. */
  declare busy: string
  /** What the last request said, by form ('add', 'role:<email>', 'dialog'). */
  declare problem: { form: string; problem: Problem } | undefined
  /** A password (a new person or a reset) or an invitation link to show once, and whose. */
  declare secret: { email: string; password: string; reset: boolean } | { email: string; link: string } | undefined
  /** How a person being added gets in: a mailed invitation, or a password. */
  declare how: 'invite' | 'password'
  /** What was just done, said in the status line. */
  declare done: string
  /** The person the dialog asks about, and what it would do. */
  declare pending: { kind: 'remove' | 'reset'; email: string } | undefined

  private readonly people = new Task(this, {
    args: () => [this.site] as const,
    task: async ([site]) => (site ? (await api<{ people: Person[] }>(`${sitePath(site)}/people`)).people : initialState),
  })

  constructor() {
    super()
    this.site = ''
    this.everySite = false
    this.busy = ''
    this.done = ''
    this.how = 'invite'
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('site') && changed.get('site') !== undefined) {
      this.secret = undefined
      this.done = ''
      this.problem = undefined
    }
  }

  private problemFor(form: string): Problem | undefined {
    return this.problem?.form === form ? this.problem.problem : undefined
  }

  override render() {
    return html`
      <header><h2>${t('ui.settings.people.heading', { site: this.site })}</h2></header>
      <p class="status ok" role="status">${this.done || nothing}</p>
      ${this.secret && 'link' in this.secret
        ? shownOnce({
            id: 'password-once',
            heading: t('ui.settings.people.inviteLinkHeading', { email: this.secret.email }),
            label: t('ui.settings.people.inviteLink', { email: this.secret.email }),
            value: this.secret.link,
            copyLabel: t('ui.settings.people.copyLink'),
            warning: t('ui.settings.people.inviteLinkWarning'),
          })
        : this.secret
          ? shownOnce({
              id: 'password-once',
              heading: t(this.secret.reset ? 'ui.settings.people.resetDone' : 'ui.settings.people.created', { email: this.secret.email }),
              label: t('ui.settings.people.passwordOf', { email: this.secret.email }),
              value: this.secret.password,
              copyLabel: t('ui.settings.people.copyPassword'),
              warning: t('ui.settings.shownOnce'),
            })
          : nothing}
      ${this.people.render({
        pending: () => html`<p class="muted loading">${t('ui.loading')}</p>`,
        error: (error) => html`<p class="error" role="alert">${t('ui.settings.loadFailed', { error: (error as Error).message })}</p>`,
        complete: (people) => this._table(people),
      })}
      ${this._addForm()} ${this._dialog()}
    `
  }

  private _table(people: Person[]) {
    if (people.length === 0) return html`<p class="muted none">${t('ui.settings.people.none')}</p>`
    return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="people-caption">
      <table>
        <caption id="people-caption">${t('ui.settings.people.caption', { site: this.site })}</caption>
        <thead>
          <tr>
            <th scope="col">${t('ui.settings.people.email')}</th>
            <th scope="col">${t('ui.settings.people.role')}</th>
            <th scope="col">${t('ui.settings.people.twoFactor')}</th>
            <th scope="col"><span class="visually-hidden">${t('ui.settings.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${people.map((p) => {
            const everywhere = p.site === '*'
            const id = `role-${people.indexOf(p)}`
            const problem = this.problemFor(`role:${p.email}`)
            const state = fieldState(problem, id, 'role')
            return html`<tr data-email=${p.email}>
              <td>${shown(p.email)}</td>
              <td>
                ${everywhere
                  ? t('ui.settings.people.roleEverywhere', { role: p.role })
                  : html`<div class="role">
                      <select id=${id} aria-label=${t('ui.settings.people.roleOf', { email: p.email })} aria-invalid=${state.invalid} aria-describedby=${ifDefined(state.describedby)}>
                        ${ROLES.map((r) => html`<option value=${r} ?selected=${r === p.role}>${t('ui.settings.people.roleName', { role: r })}</option>`)}
                      </select>
                      <button type="button" ?disabled=${this.busy === `role:${p.email}`} aria-label=${t('ui.settings.people.changeRoleOf', { email: p.email })} @click=${() => this._changeRole(p.email, id)}>
                        ${t('ui.settings.people.changeRole')}
                      </button>
                    </div>
                    ${fieldError(problem, id, 'role')} ${problem && !problem.fields.role ? html`<p class="field-error" id="${id}-error" role="alert">${t('ui.settings.refused', { error: problem.message })}</p>` : nothing}`}
              </td>
              <td>${t('ui.settings.yesNo', { value: p.two_factor })}</td>
              <td>
                <div class="row-actions">
                  ${this.everySite
                    ? html`<button type="button" aria-label=${t('ui.settings.people.resetOf', { email: p.email })} @click=${() => this._ask('reset', p.email)}>${t('ui.settings.people.reset')}</button>`
                    : nothing}
                  ${everywhere
                    ? nothing
                    : html`<button type="button" class="danger" aria-label=${t('ui.settings.people.removeOf', { email: p.email })} @click=${() => this._ask('remove', p.email)}>${t('ui.settings.remove')}</button>`}
                </div>
              </td>
            </tr>`
          })}
        </tbody>
      </table>
    </div>`
  }

  private _addForm() {
    const problem = this.problemFor('add')
    const role = fieldState(problem, 'add-role', 'role')
    return html`<form @submit=${this._add} novalidate aria-labelledby="add-person">
      <h3 id="add-person">${t('ui.settings.people.add')}</h3>
      ${textField({ id: 'add-email', name: 'email', type: 'email', label: t('ui.settings.people.email'), problem, required: true, autocomplete: 'off' })}
      <label for="add-role">${t('ui.settings.people.role')}</label>
      <select id="add-role" name="role" aria-invalid=${role.invalid} aria-describedby=${ifDefined(role.describedby)}>
        ${ROLES.map((r) => html`<option value=${r}>${t('ui.settings.people.roleName', { role: r })}</option>`)}
      </select>
      ${fieldError(problem, 'add-role', 'role')}
      <fieldset class="how">
        <legend>${t('ui.settings.people.how')}</legend>
        ${(['invite', 'password'] as const).map(
          (how) => html`<label class="choice"><input type="radio" name="how" value=${how} .checked=${live(this.how === how)} @change=${() => (this.how = how)} />
            ${t(how === 'invite' ? 'ui.settings.people.howInvite' : 'ui.settings.people.howPassword')}</label>`,
        )}
      </fieldset>
      ${this.how === 'password'
        ? textField({ id: 'add-password', name: 'password', type: 'password', label: t('ui.settings.people.password'), problem, autocomplete: 'new-password', hint: t('ui.settings.people.passwordHint') })
        : nothing}
      ${formProblem(problem)}
      <div class="actions"><button type="submit" class="primary" ?disabled=${this.busy === 'add'}>${this.busy === 'add' ? t('ui.settings.working') : t('ui.settings.people.addSubmit')}</button></div>
    </form>`
  }

  private _dialog() {
    const pending = this.pending
    const reset = pending?.kind === 'reset'
    return confirmDialog({
      id: 'person-dialog',
      heading: pending ? t(reset ? 'ui.settings.people.resetHeading' : 'ui.settings.people.removeHeading', { email: pending.email, site: this.site }) : '',
      body: html`<p>${pending ? t(reset ? 'ui.settings.people.resetBody' : 'ui.settings.people.removeBody', { email: pending.email, site: this.site }) : nothing}</p>`,
      confirm: t(reset ? 'ui.settings.people.resetSubmit' : 'ui.settings.people.removeSubmit'),
      busy: this.busy === 'dialog',
      problem: this.problemFor('dialog'),
      onSubmit: this._confirm,
      onClose: () => {
        if (this.problem?.form === 'dialog') this.problem = undefined
      },
    })
  }

  private async _ask(kind: 'remove' | 'reset', email: string): Promise<void> {
    this.pending = { kind, email }
    this.problem = undefined
    await this.updateComplete
    openDialog(this.renderRoot.querySelector<HTMLDialogElement>('#person-dialog'), () => this.renderRoot.querySelector<HTMLElement>('#add-email'))
  }

  private readonly _confirm = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault()
    const pending = this.pending
    if (!pending) return
    this.busy = 'dialog'
    try {
      if (pending.kind === 'remove') {
        await send('DELETE', `${sitePath(this.site)}/people/${encodeURIComponent(pending.email)}`)
        this.done = t('ui.settings.people.removed', { email: pending.email, site: this.site })
        this.secret = undefined
      } else {
        const { password } = await send<{ password: string }>('POST', `/api/users/${encodeURIComponent(pending.email)}/password`, {})
        this.secret = { email: pending.email, password, reset: true }
        this.done = ''
      }
      this.problem = undefined
      await this.people.run()
      await this.updateComplete
      this.renderRoot.querySelector<HTMLDialogElement>('#person-dialog')?.close()
      if (pending.kind === 'reset') {
        await this.updateComplete
        this.renderRoot.querySelector<HTMLElement>('#password-once')?.focus()
      }
    } catch (error) {
      this.problem = { form: 'dialog', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _changeRole(email: string, id: string): Promise<void> {
    const role = (this.renderRoot.querySelector(`#${id}`) as HTMLSelectElement).value
    const form = `role:${email}`
    this.busy = form
    try {
      await send('PATCH', `${sitePath(this.site)}/people/${encodeURIComponent(email)}`, { role })
      this.problem = undefined
      this.done = t('ui.settings.people.roleChanged', { email, role })
      void this.people.run()
    } catch (error) {
      this.problem = { form, problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _add(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const element = event.target as HTMLFormElement
    const form = new FormData(element)
    const email = field(form, 'email')
    const password = String(form.get('password') ?? '')
    this.busy = 'add'
    try {
      if (this.how === 'invite') {
        const invited = await send<{ email: string; role: string; existed: boolean; mailed: boolean; link?: string }>('POST', `${sitePath(this.site)}/invitations`, { email, role: form.get('role') })
        this.problem = undefined
        this.secret = invited.link ? { email: invited.email, link: invited.link } : undefined
        this.done = invited.existed ? t('ui.settings.people.added', { email: invited.email, role: invited.role, site: this.site }) : invited.mailed ? t('ui.settings.people.invited', { email: invited.email }) : ''
        element.reset()
        void this.people.run()
        if (invited.link) {
          await this.updateComplete
          this.renderRoot.querySelector<HTMLElement>('#password-once')?.focus()
        }
        return
      }
      const answer = await send<{ email: string; role: string; password?: string }>('POST', `${sitePath(this.site)}/people`, { email, role: form.get('role'), ...(password && { password }) })
      this.problem = undefined
      this.secret = answer.password ? { email: answer.email ?? email, password: answer.password, reset: false } : undefined
      this.done = answer.password ? '' : t('ui.settings.people.added', { email: answer.email ?? email, role: answer.role ?? String(form.get('role')), site: this.site })
      element.reset()
      void this.people.run()
      if (answer.password) {
        await this.updateComplete
        this.renderRoot.querySelector<HTMLElement>('#password-once')?.focus()
      }
    } catch (error) {
      this.problem = { form: 'add', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }
}

customElements.define('cairn-settings-people', CairnSettingsPeople)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-people': CairnSettingsPeople
  }
}
