/**
 * The reader's account: the dashboard's language, a new password, and two-factor authentication
 * (enrolment with a QR code or the key typed in, a code to confirm, then the recovery codes shown once;
 * or turning it off with the password).
 */
import { css, html, nothing } from 'lit'
import { ifDefined } from 'lit/directives/if-defined.js'
import { unsafeHTML } from 'lit/directives/unsafe-html.js'
import { send } from '../api.ts'
import { LANGUAGE_CHOICES, Localized, currentLanguage, t } from '../i18n.ts'
import { forms, panel } from '../styles.ts'
import { shown } from '../text.ts'
import { download, fieldError, fieldState, formProblem, problemOf, shownOnce, textField, type Problem } from './common.ts'

interface Enrolment {
  secret: string
  uri: string
  qr_svg: string
}

type Form = 'password' | 'enrol' | 'confirm' | 'disable'

/**
 * @fires cairn-language - {language}: the reader chose the dashboard's language
 */
export class CairnSettingsAccount extends Localized {
  static override styles = [
    panel,
    forms,
    css`
      section { border-top: 1px solid var(--border); margin-top: 18px; }
      .qr { background: #fff; padding: 12px; border-radius: 8px; width: 200px; height: 200px; box-sizing: content-box; margin: 8px 0; }
      .qr svg { width: 100%; height: 100%; display: block; }
      ol { padding-left: 20px; }
      ol li { margin: 10px 0; }
    `,
  ]

  static override properties = {
    email: { type: String },
    twoFactor: { attribute: false },
    busy: { state: true },
    problem: { state: true },
    done: { state: true },
    enrolment: { state: true },
    recovery: { state: true },
  }

  /** Who is logged in. */
  declare email: string
  /** Whether a second factor is on; undefined when the server did not say. */
  declare twoFactor: boolean | undefined
  declare busy: Form | ''
  /** What the last request of a form said. */
  declare problem: { form: Form; problem: Problem } | undefined
  /** What was just done, by section. */
  declare done: { form: Form; said: string } | undefined
  /** The enrolment under way: the secret, its URI and its QR code. */
  declare enrolment: Enrolment | undefined
  /** The recovery codes, shown once after enrolment. */
  declare recovery: string[] | undefined

  constructor() {
    super()
    this.email = ''
    this.busy = ''
  }

  private problemOf(form: Form): Problem | undefined {
    return this.problem?.form === form ? this.problem.problem : undefined
  }

  private doneOf(form: Form) {
    return this.done?.form === form ? this.done.said : nothing
  }

  override render() {
    return html`
      <header><h2>${t('ui.settings.tab.account')}</h2></header>
      <p>${t('ui.settings.account.loggedInAs')} <strong>${shown(this.email)}</strong></p>

      <label for="account-language">${t('ui.language')}</label>
      <select id="account-language" @change=${this._language}>
        ${LANGUAGE_CHOICES.map((l) => html`<option value=${l.code} lang=${l.code} ?selected=${l.code === currentLanguage()}>${l.name}</option>`)}
      </select>

      ${this._passwordForm()}
      <section aria-labelledby="two-factor-heading">
        <h3 id="two-factor-heading">${t('ui.settings.account.twoFactor')}</h3>
        ${this.recovery ? this._recovery(this.recovery) : this.enrolment ? this._enrolment(this.enrolment) : this._twoFactorState()}
      </section>
    `
  }

  private _passwordForm() {
    const problem = this.problemOf('password')
    return html`<section aria-labelledby="password-heading">
      <h3 id="password-heading">${t('ui.settings.account.password')}</h3>
      <form @submit=${this._password} novalidate>
        ${textField({ id: 'current', name: 'current', type: 'password', label: t('ui.settings.account.current'), problem, required: true, autocomplete: 'current-password' })}
        ${textField({ id: 'new-password', name: 'password', type: 'password', label: t('ui.settings.account.new'), problem, required: true, autocomplete: 'new-password', hint: t('ui.settings.account.newHint') })}
        ${textField({ id: 'confirm-password', name: 'confirm', type: 'password', label: t('ui.settings.account.confirm'), problem, required: true, autocomplete: 'new-password' })}
        ${formProblem(problem)}
        <div class="actions">
          <button type="submit" class="primary" ?disabled=${this.busy === 'password'}>${this.busy === 'password' ? t('ui.settings.working') : t('ui.settings.account.change')}</button>
        </div>
        <p class="status ok" role="status">${this.doneOf('password')}</p>
      </form>
    </section>`
  }

  private _twoFactorState() {
    const on = this.twoFactor
    const problem = this.problemOf('disable')
    return html`<p>${t('ui.settings.account.twoFactorState', { state: on === true ? 'on' : on === false ? 'off' : 'unknown' })}</p>
      <p class="status ok" role="status">${this.doneOf('disable')}</p>
      ${on !== true
        ? html`${formProblem(this.problemOf('enrol'))}
            <div class="actions">
              <button type="button" class="primary" ?disabled=${this.busy === 'enrol'} @click=${this._enrol}>${this.busy === 'enrol' ? t('ui.settings.working') : t('ui.settings.account.enrol')}</button>
            </div>`
        : nothing}
      ${on !== false
        ? html`<form @submit=${this._disable} novalidate aria-labelledby="disable-heading">
            <h3 id="disable-heading">${t('ui.settings.account.disable')}</h3>
            ${textField({ id: 'disable-password', name: 'password', type: 'password', label: t('ui.settings.account.disablePassword'), problem, required: true, autocomplete: 'current-password' })}
            ${formProblem(problem)}
            <div class="actions">
              <button type="submit" class="danger" ?disabled=${this.busy === 'disable'}>${this.busy === 'disable' ? t('ui.settings.working') : t('ui.settings.account.disableSubmit')}</button>
            </div>
          </form>`
        : nothing}`
  }

  private _enrolment(enrolment: Enrolment) {
    const problem = this.problemOf('confirm')
    const code = fieldState(problem, 'totp-code', 'code', true)
    return html`<ol>
        <li>
          ${t('ui.settings.account.scan')}
          <div class="qr" role="img" aria-label=${t('ui.settings.account.qr', { email: this.email })}>${unsafeHTML(enrolment.qr_svg)}</div>
        </li>
        <li>
          <label for="totp-secret">${t('ui.settings.account.secret')}</label>
          <div class="secret">
            <input id="totp-secret" readonly .value=${enrolment.secret} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
            <cairn-copy .text=${enrolment.secret} .label=${t('ui.settings.account.copySecret')}></cairn-copy>
          </div>
        </li>
        <li>
          <form @submit=${this._confirm} novalidate>
            <label for="totp-code">${t('ui.settings.account.code')}</label>
            <input id="totp-code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength="6" required aria-invalid=${code.invalid} aria-describedby=${ifDefined(code.describedby)} />
            <p class="hint" id="totp-code-hint">${t('ui.settings.account.codeHint')}</p>
            ${fieldError(problem, 'totp-code', 'code')} ${formProblem(problem)}
            <div class="actions">
              <button type="submit" class="primary" ?disabled=${this.busy === 'confirm'}>${this.busy === 'confirm' ? t('ui.settings.working') : t('ui.settings.account.confirmCode')}</button>
              <button type="button" @click=${() => ((this.enrolment = undefined), (this.problem = undefined))}>${t('ui.settings.cancel')}</button>
            </div>
          </form>
        </li>
      </ol>`
  }

  private _recovery(codes: string[]) {
    const text = codes.join('\n')
    return html`<p class="ok" role="status">${t('ui.settings.account.enabled')}</p>
      ${shownOnce({
        id: 'recovery-codes',
        heading: t('ui.settings.account.recovery', { count: codes.length }),
        label: t('ui.settings.account.recoveryLabel'),
        value: text,
        copyLabel: t('ui.settings.account.copyRecovery'),
        warning: t('ui.settings.account.recoveryWarning'),
        multiline: true,
        extra: html`<button type="button" @click=${() => download('cairn-recovery-codes.txt', text + '\n', 'text/plain')}>${t('ui.settings.account.download')}</button>`,
      })}
      <div class="actions"><button type="button" @click=${() => (this.recovery = undefined)}>${t('ui.settings.account.saved')}</button></div>`
  }

  private _language(event: Event): void {
    const language = (event.target as HTMLSelectElement).value
    this.dispatchEvent(new CustomEvent('cairn-language', { detail: { language }, bubbles: true, composed: true }))
  }

  private async _password(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const element = event.target as HTMLFormElement
    const form = new FormData(element)
    const current = String(form.get('current') ?? '')
    const password = String(form.get('password') ?? '')
    this.done = undefined
    if (password !== String(form.get('confirm') ?? '')) {
      this.problem = { form: 'password', problem: { message: t('ui.settings.account.mismatch'), fields: { confirm: t('ui.settings.account.mismatchField') } } }
      this.renderRoot.querySelector<HTMLElement>('#confirm-password')?.focus()
      return
    }
    this.busy = 'password'
    try {
      await send('POST', '/api/auth/password', { current, password })
      this.problem = undefined
      this.done = { form: 'password', said: t('ui.settings.account.changed') }
      element.reset()
    } catch (error) {
      this.problem = { form: 'password', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _enrol(): Promise<void> {
    this.busy = 'enrol'
    this.done = undefined
    try {
      this.enrolment = await send<Enrolment>('POST', '/api/auth/second-factor', {})
      this.problem = undefined
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('#totp-secret')?.focus()
    } catch (error) {
      this.problem = { form: 'enrol', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _confirm(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const code = String(new FormData(event.target as HTMLFormElement).get('code') ?? '').replace(/\s/g, '')
    this.busy = 'confirm'
    try {
      const { recovery_codes } = await send<{ recovery_codes: string[] }>('POST', '/api/auth/second-factor/confirm', { code })
      this.problem = undefined
      this.enrolment = undefined
      this.recovery = recovery_codes
      this.twoFactor = true
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('#recovery-codes')?.focus()
    } catch (error) {
      this.problem = { form: 'confirm', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }

  private async _disable(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const element = event.target as HTMLFormElement
    const password = String(new FormData(element).get('password') ?? '')
    this.busy = 'disable'
    try {
      await send('DELETE', '/api/auth/second-factor', { password })
      this.problem = undefined
      this.twoFactor = false
      this.done = { form: 'disable', said: t('ui.settings.account.disabled') }
    } catch (error) {
      this.problem = { form: 'disable', problem: problemOf(error) }
    } finally {
      this.busy = ''
    }
  }
}

customElements.define('cairn-settings-account', CairnSettingsAccount)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings-account': CairnSettingsAccount
  }
}
