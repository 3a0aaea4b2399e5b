/**
 * The settings, for site admins (sites, goals, email reports, traffic alerts, people, API keys, shared links, data-subject requests, imports, retention)
 * and for every user (their account, their API keys). Each screen is an element of `settings/`; the screen
 * and the site it is about are in the URL (`view=settings&tab=…&manage=…`), next to the dashboard's own
 * state, which is there again when the reader goes back.
 */
import { css, html, nothing } from 'lit'
import { Localized, t } from './i18n.ts'
import { settingsTabs, writeState, type SettingsTab, type ViewState } from './state.ts'
import { chooseSite, type SiteInfo } from './settings/common.ts'
import './settings/account.ts'
import './settings/alerts.ts'
import './settings/goals.ts'
import './settings/imports.ts'
import './settings/keys.ts'
import './settings/links.ts'
import './settings/people.ts'
import './settings/reports.ts'
import './settings/requests.ts'
import './settings/retention.ts'
import './settings/sites.ts'

/** The screens about one site, chosen above them. */
const PER_SITE: readonly SettingsTab[] = ['goals', 'reports', 'alerts', 'people', 'links', 'requests', 'imports']

/** The screens a user reads: an admin (of a site, or who may add sites) all; anyone else their keys, the retention and their account. */
/**
 * @fires cairn-navigate - {change}: a change of the view (another screen, another site)
 */
export class CairnSettings extends Localized {
  static override styles = css`
    :host { display: grid; grid-template-columns: 200px minmax(0, 1fr); gap: 14px; align-items: start; min-width: 0; }
    nav ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 2px; }
    nav a { display: block; padding: 8px 12px; border-radius: 8px; color: var(--text); text-decoration: none; }
    nav a:hover { background: var(--chip); }
    nav a[aria-current='page'] { background: var(--accent-fill); color: var(--text); font-weight: 600; box-shadow: inset 3px 0 0 var(--accent); }
    nav a:focus-visible, select:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
    .screen { display: grid; grid-template-columns: minmax(0, 1fr); gap: 12px; min-width: 0; }
    .picker { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
    .picker label { font-size: 14px; color: var(--muted); }
    select { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 6px 10px; max-width: 100%; }
    .notice { padding: 16px; color: var(--muted); background: var(--panel); border: 1px solid var(--border); border-radius: 10px; }
    @media (max-width: 760px) {
      :host { grid-template-columns: minmax(0, 1fr); }
      nav ul { display: flex; flex-wrap: wrap; gap: 4px; }
      nav a { padding: 6px 10px; border: 1px solid var(--border); background: var(--panel); }
      nav a[aria-current='page'] { box-shadow: inset 0 -3px 0 var(--accent); }
    }
  `

  static override properties = {
    view: { attribute: false },
    sites: { attribute: false },
    canAddSites: { type: Boolean },
    retentionMonths: { type: Number },
    cookieDays: { type: Number },
    email: { type: String },
    twoFactor: { attribute: false },
  }

  /** The app's view: the screen, the site managed, and the dashboard's state to go back to. */
  declare view: ViewState
  /** Every site the reader reads, with the rules of those they administer. */
  declare sites: SiteInfo[]
  /** The reader administers every site (adds and removes sites, resets passwords, sees every key). */
  declare canAddSites: boolean
  declare retentionMonths: number
  declare cookieDays: number
  /** Who is logged in. */
  declare email: string
  /** Whether the reader has a second factor; undefined when the server did not say. */
  declare twoFactor: boolean | undefined

  constructor() {
    super()
    this.sites = []
    this.canAddSites = false
    this.retentionMonths = 0
    this.cookieDays = 0
    this.email = ''
  }

  /** The screen shown: the URL's, when this reader may see it; their account otherwise. */
  get tab(): SettingsTab {
    const tabs = settingsTabs(this.sites, this.canAddSites)
    return tabs.includes(this.view.tab) ? this.view.tab : 'account'
  }

  private get administered(): SiteInfo[] {
    return this.sites.filter((s) => s.admin)
  }

  /** The site the per-site screens are about: the URL's, or the first one administered. */
  private get managed(): string {
    const sites = this.administered
    return sites.some((s) => s.site === this.view.manage) ? this.view.manage : (sites[0]?.site ?? '')
  }

  override render() {
    const tab = this.tab
    const tabs = settingsTabs(this.sites, this.canAddSites)
    return html`
      <nav aria-label=${t('ui.settings.nav')}>
        <ul>
          ${tabs.map(
            (id) => html`<li>
              <a href=${writeState({ ...this.view, screen: 'settings', tab: id })} aria-current=${id === tab ? 'page' : 'false'} data-tab=${id} @click=${(e: MouseEvent) => this._go(e, { screen: 'settings', tab: id })}>${t(`ui.settings.tab.${id}`)}</a>
            </li>`,
          )}
        </ul>
      </nav>
      <div class="screen">${PER_SITE.includes(tab) ? this._perSite(tab) : this._screen(tab)}</div>
    `
  }

  private _perSite(tab: SettingsTab) {
    const sites = this.administered
    if (sites.length === 0) return html`<p class="notice">${t('ui.settings.noAdminSites')}</p>`
    const site = this.managed
    return html`<div class="picker">
        <label for="site">${t('ui.settings.siteOf', { tab })}</label>
        <select id="site" @change=${(e: Event) => chooseSite(this, (e.target as HTMLSelectElement).value)}>
          ${sites.map((s) => html`<option value=${s.site} ?selected=${s.site === site}>${s.site}</option>`)}
        </select>
      </div>
      ${this._screen(tab, site)}`
  }

  private _screen(tab: SettingsTab, site = '') {
    switch (tab) {
      case 'sites':
        return html`<cairn-settings-sites .sites=${this.sites} ?canAdd=${this.canAddSites} .selected=${this.view.manage}></cairn-settings-sites>`
      case 'goals':
        return html`<cairn-settings-goals .site=${site}></cairn-settings-goals>`
      case 'reports':
        return html`<cairn-settings-reports .site=${site}></cairn-settings-reports>`
      case 'alerts':
        return html`<cairn-settings-alerts .site=${site}></cairn-settings-alerts>`
      case 'people':
        return html`<cairn-settings-people .site=${site} ?everySite=${this.canAddSites}></cairn-settings-people>`
      case 'keys':
        return html`<cairn-settings-keys ?everySite=${this.canAddSites}></cairn-settings-keys>`
      case 'links':
        return html`<cairn-settings-links .site=${site}></cairn-settings-links>`
      case 'requests':
        return html`<cairn-settings-requests .site=${site}></cairn-settings-requests>`
      case 'imports':
        return html`<cairn-settings-imports .site=${site}></cairn-settings-imports>`
      case 'retention':
        return html`<cairn-settings-retention .retentionMonths=${this.retentionMonths} .cookieDays=${this.cookieDays}></cairn-settings-retention>`
      case 'account':
        return html`<cairn-settings-account .email=${this.email} .twoFactor=${this.twoFactor}></cairn-settings-account>`
      default:
        return nothing
    }
  }

  /** A plain click moves within the page (a modified one opens the link as the browser does). */
  private _go(event: MouseEvent, change: Partial<ViewState>): void {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    this.dispatchEvent(new CustomEvent('cairn-navigate', { detail: { change }, bubbles: true, composed: true }))
  }
}

customElements.define('cairn-settings', CairnSettings)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-settings': CairnSettings
  }
}
