/** The login form. */
import { css, html } from 'lit'
import { api } from './api.ts'
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
      label { display: block; font-size: 13px; color: var(--muted); margin: 12px 0 4px; }
      input { width: 100%; box-sizing: border-box; padding: 9px 10px; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); color: var(--text); font: inherit; }
      button { margin-top: 18px; width: 100%; padding: 10px; border: 0; border-radius: 8px; background: var(--accent); color: var(--on-accent); font-weight: 600; cursor: pointer; }
      button[disabled] { opacity: 0.6; }
    `,
  ]

  static override properties = { error: { state: true }, busy: { state: true } }

  declare error: string
  declare busy: boolean

  constructor() {
    super()
    this.error = ''
    this.busy = false
  }

  override render() {
    return html`
      <div class="top"><h1>${t('ui.login.title')}</h1><slot name="language"></slot></div>
      <form @submit=${this._submit}>
        <label for="email">${t('ui.login.email')}</label>
        <input id="email" name="email" type="email" autocomplete="username" required autofocus />
        <label for="password">${t('ui.login.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        ${this.error ? html`<p class="error" role="alert">${t('ui.login.failed', { error: this.error })}</p>` : ''}
        <button type="submit" ?disabled=${this.busy}>${t(this.busy ? 'ui.login.busy' : 'ui.login.submit')}</button>
      </form>
    `
  }

  private async _submit(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    this.busy = true
    try {
      await api('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: form.get('email'), password: form.get('password') }) })
      this.error = ''
      this.dispatchEvent(new CustomEvent('cairn-login', { bubbles: true, composed: true }))
    } catch (error) {
      // The server says why, in the dashboard's language (wrong email or password, too many attempts).
      this.error = (error as Error).message
    } finally {
      this.busy = false
    }
  }
}

customElements.define('cairn-login', CairnLogin)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-login': CairnLogin
  }
}
