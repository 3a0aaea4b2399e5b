/**
 * The login form, and its second step for an account with two-factor authentication: the app's code.
 * Also the pages of the links Cairn mails: "forgot your password" asks for one, and a link's page
 * (`?token=`) sets the password of an invitation or a reset, then comes back to the login.
 */
import { css, html, nothing } from 'lit'
import { ifDefined } from 'lit/directives/if-defined.js'
import { ApiError, api, send } from './api.ts'
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
      p.done { color: var(--good); margin: 12px 0 0; font-size: 14px; }
    `,
  ]

  static override properties = {
    token: { type: String },
    error: { state: true },
    busy: { state: true },
    second: { state: true },
    step: { state: true },
    done: { state: true },
    link: { state: true },
  }

  /** A mailed link's token (the page's `?token=`): its page is shown first. */
  declare token: string
  /** Why the last attempt failed, as the server said it. */
  declare error: string
  declare busy: boolean
  /** The password was right and the account has a second factor: its code is asked for. */
  declare second: boolean
  /** The login, the request for a reset link, or a link's page. */
  declare step: 'login' | 'forgot' | 'token'
  /** What just went right (the password set, the link on its way), said on the next step. */
  declare done: string
  /** The link's person and purpose; null when the link does not work (any more). */
  declare link: { email: string; purpose: 'invite' | 'reset' } | null | undefined

  /** The link's token, kept here: the address bar may lose it (a language chosen on the page rewrites the URL). */
  private secret = ''
  /** The email and password, kept while the code is asked for (then forgotten). */
  private credentials: { email: string; password: string } | undefined

  constructor() {
    super()
    this.error = ''
    this.busy = false
    this.second = false
    this.token = ''
    this.step = 'login'
    this.done = ''
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('token') && this.token && this.token !== this.secret) {
      this.secret = this.token
      this.step = 'token'
      void this._readLink()
    }
  }

  override render() {
    if (this.step === 'token') return this._link()
    if (this.step === 'forgot') return this._forgot()
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
        <button type="button" class="link forgot" @click=${() => this._go('forgot')}>${t('ui.login.forgot')}</button>
      </form>
      <p class="done" role="status">${this.done}</p>
    `
  }

  /** Asks for a reset link: the answer is the same whether the address has an account or not. */
  private _forgot() {
    return html`
      <div class="top"><h1 tabindex="-1">${t('ui.login.forgotTitle')}</h1><slot name="language"></slot></div>
      <p class="intro">${t('ui.login.forgotIntro')}</p>
      <form @submit=${this._askReset}>
        <label for="reset-email">${t('ui.login.email')}</label>
        <input id="reset-email" name="email" type="email" autocomplete="username" required aria-invalid=${this.error ? 'true' : 'false'} aria-describedby=${ifDefined(this.error ? 'login-error' : undefined)} />
        ${this.error ? html`<p class="error" id="login-error" role="alert">${this.error}</p>` : nothing}
        <button type="submit" ?disabled=${this.busy}>${t('ui.login.sendLink')}</button>
        <button type="button" class="link back" @click=${() => this._go('login')}>${t('ui.login.backToLogin')}</button>
      </form>
      <p class="done" role="status">${this.done}</p>
    `
  }

  /** A mailed link's page: the new password for the person it was sent to. */
  private _link() {
    const link = this.link
    if (link === undefined) return html`<p class="muted" aria-busy="true">${t('ui.loading')}</p>`
    if (link === null) {
      return html`
        <div class="top"><h1 tabindex="-1">${t('ui.login.linkGoneTitle')}</h1><slot name="language"></slot></div>
        <p class="intro">${t('ui.login.linkGone')}</p>
        <button type="button" class="forgot" @click=${() => this._go('forgot')}>${t('ui.login.forgot')}</button>
        <button type="button" class="link back" @click=${() => this._go('login')}>${t('ui.login.backToLogin')}</button>
      `
    }
    const described = ['new-password-hint', this.error ? 'login-error' : ''].filter(Boolean).join(' ')
    return html`
      <div class="top"><h1 tabindex="-1">${t(link.purpose === 'invite' ? 'ui.login.welcomeTitle' : 'ui.login.resetTitle')}</h1><slot name="language"></slot></div>
      <p class="intro">${t('ui.login.choosePasswordFor', { email: link.email })}</p>
      <form @submit=${this._setPassword}>
        <input type="email" name="username" autocomplete="username" .value=${link.email} hidden />
        <label for="new-password">${t('ui.login.newPassword')}</label>
        <input id="new-password" name="password" type="password" autocomplete="new-password" required minlength="10" aria-invalid=${this.error ? 'true' : 'false'} aria-describedby=${described} />
        <p class="hint" id="new-password-hint">${t('ui.login.newPasswordHint')}</p>
        ${this.error ? html`<p class="error" id="login-error" role="alert">${this.error}</p>` : nothing}
        <button type="submit" ?disabled=${this.busy}>${t('ui.login.setPassword')}</button>
      </form>
    `
  }

  private async _go(step: 'login' | 'forgot'): Promise<void> {
    this.step = step
    this.error = ''
    this.second = false
    if (this.secret) this._forgetToken()
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>(step === 'forgot' ? '#reset-email' : '#email')?.focus()
  }

  /** The link's token leaves the address bar (and the history) once its page is done with. */
  private _forgetToken(): void {
    this.secret = ''
    const url = new URL(location.href)
    url.searchParams.delete('token')
    history.replaceState(null, '', url)
  }

  private async _readLink(): Promise<void> {
    this.link = undefined
    try {
      this.link = await api<{ email: string; purpose: 'invite' | 'reset' }>(`/api/auth/token?${new URLSearchParams({ token: this.secret })}`)
    } catch {
      this.link = null
    }
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>(this.link ? '#new-password' : 'h1')?.focus()
  }

  private async _askReset(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const email = String(new FormData(event.target as HTMLFormElement).get('email') ?? '')
    this.busy = true
    try {
      const answer = await send<{ mailed: boolean }>('POST', '/api/auth/reset', { email })
      this.error = ''
      this.done = t(answer.mailed ? 'ui.login.linkSent' : 'ui.login.noMail')
    } catch (error) {
      this.done = ''
      this.error = error instanceof ApiError ? (error.errors.email ?? error.summary) : (error as Error).message
    } finally {
      this.busy = false
    }
  }

  private async _setPassword(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const password = String(new FormData(event.target as HTMLFormElement).get('password') ?? '')
    this.busy = true
    try {
      const { email } = await send<{ email: string }>('POST', '/api/auth/token', { token: this.secret, password })
      this._forgetToken()
      this.error = ''
      this.link = undefined
      this.step = 'login'
      this.done = t('ui.login.passwordSet')
      await this.updateComplete
      const field = this.renderRoot.querySelector<HTMLInputElement>('#email')
      if (field) field.value = email
      this.renderRoot.querySelector<HTMLElement>('#password')?.focus()
    } catch (error) {
      this.error = error instanceof ApiError ? (error.errors.password ?? error.summary) : (error as Error).message
      if (error instanceof ApiError && error.status === 404) this.link = null
    } finally {
      this.busy = false
    }
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
