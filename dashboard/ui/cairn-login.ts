/** The login form, and its second step for an account with two-factor authentication: the app's code. */
import { css, html, nothing } from 'lit'
import { ifDefined } from 'lit/directives/if-defined.js'
import { ApiError, send } from './api.ts'
import { Localized, t } from './i18n.ts'
import { panel } from './styles.ts'

/**
 * @fires cairn-login - the user is logged in
 * @slot language - the language menu
 */
export class CairnLogin extends Localized {
  static override styles = [
    panel,
    css`
      :host { max-width: 360px; margin: 12vh auto; padding: 28px; }
      .top { display: flex; justify-content: space-between; align-items: start; gap: 12px; margin: 0 0 18px; }
      h1 { font-size: 20px; margin: 0; }
      h1:focus { outline: none; }
      p.intro { margin: 0 0 8px; font-size: 14px; }
      label { display: block; font-size: 13px; color: var(--muted); margin: 12px 0 4px; }
      input { width: 100%; box-sizing: border-box; padding: 9px 10px; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); color: var(--text); font: inherit; }
      input[aria-invalid='true'] { border: 2px solid var(--bad); }
      .hint { font-size: 12px; color: var(--muted); margin: 4px 0 0; }
      button { margin-top: 18px; width: 100%; padding: 10px; border: 0; border-radius: 8px; background: var(--accent); color: var(--on-accent); font-weight: 600; cursor: pointer; }
      button.link { background: none; color: var(--accent); font-weight: 500; margin-top: 8px; text-decoration: underline; }
      button[disabled] { opacity: 0.6; }
    `,
  ]

  static override properties = { error: { state: true }, busy: { state: true }, second: { state: true } }

  /** Why the last attempt failed, as the server said it. */
  declare error: string
  declare busy: boolean
  /** The password was right and the account has a second factor: its code is asked for. */
  declare second: boolean

  /** The email and password, kept while the code is asked for (then forgotten). */
  private credentials: { email: string; password: string } | undefined

  constructor() {
    super()
    this.error = ''
    this.busy = false
    this.second = false
  }

  override render() {
    return this.second ? this._code() : this._password()
  }

  private _password() {
    return html`
      <div class="top"><h1>${t('ui.login.title')}</h1><slot name="language"></slot></div>
      <form @submit=${this._submit}>
        <label for="email">${t('ui.login.email')}</label>
        <input id="email" name="email" type="email" autocomplete="username" required autofocus aria-invalid=${this.error ? 'true' : 'false'} aria-describedby=${ifDefined(this.error ? 'login-error' : undefined)} />
        <label for="password">${t('ui.login.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required aria-invalid=${this.error ? 'true' : 'false'} aria-describedby=${ifDefined(this.error ? 'login-error' : undefined)} />
        ${this.error ? html`<p class="error" id="login-error" role="alert">${t('ui.login.failed', { error: this.error })}</p>` : nothing}
        <button type="submit" ?disabled=${this.busy}>${t(this.busy ? 'ui.login.busy' : 'ui.login.submit')}</button>
      </form>
    `
  }

  private _code() {
    const described = ['code-hint', this.error ? 'login-error' : ''].filter(Boolean).join(' ')
    return html`
      <div class="top"><h1 tabindex="-1">${t('ui.login.codeTitle')}</h1><slot name="language"></slot></div>
      <p class="intro">${t('ui.login.codeIntro')}</p>
      <form @submit=${this._submit}>
        <label for="code">${t('ui.login.code')}</label>
        <input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required autofocus spellcheck="false" aria-invalid=${this.error ? 'true' : 'false'} aria-describedby=${described} />
        <p class="hint" id="code-hint">${t('ui.login.codeHint')}</p>
        ${this.error ? html`<p class="error" id="login-error" role="alert">${t('ui.login.failed', { error: this.error })}</p>` : nothing}
        <button type="submit" ?disabled=${this.busy}>${t(this.busy ? 'ui.login.busy' : 'ui.login.verify')}</button>
        <button type="button" class="link" @click=${this._back}>${t('ui.login.back')}</button>
      </form>
    `
  }

  private async _submit(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    const credentials = this.second && this.credentials ? this.credentials : { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') }
    const code = this.second ? String(form.get('code') ?? '').replace(/\s/g, '') : undefined
    this.busy = true
    try {
      await send('POST', '/api/auth/login', { ...credentials, ...(code !== undefined && { code }) })
      this.error = ''
      this.second = false
      this.credentials = undefined
      this.dispatchEvent(new CustomEvent('cairn-login', { bubbles: true, composed: true }))
    } catch (error) {
      if (!this.second && error instanceof ApiError && error.status === 401 && error.body.second_factor === true) {
        // The password was right: the code comes next, on a step of its own.
        this.credentials = credentials
        this.second = true
        this.error = ''
        await this.updateComplete
        this.renderRoot.querySelector<HTMLInputElement>('#code')?.focus()
        return
      }
      // The server says why, in the dashboard's language (wrong email or password, wrong code, too many attempts).
      this.error = error instanceof ApiError ? (error.errors.code ?? error.summary) : (error as Error).message
    } finally {
      this.busy = false
    }
  }

  private async _back(): Promise<void> {
    this.second = false
    this.credentials = undefined
    this.error = ''
    await this.updateComplete
    this.renderRoot.querySelector<HTMLInputElement>('#email')?.focus()
  }
}

customElements.define('cairn-login', CairnLogin)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-login': CairnLogin
  }
}
