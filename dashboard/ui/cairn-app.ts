/**
 * The dashboard: who is logged in, which sites they may see, and the view (kept in the URL). Panels get
 * the view as a property and fetch their own numbers; their events change the view.
 */
import { css, html, nothing } from 'lit'
import { Task } from '@lit/task'
import { ApiError, api, isShared, sitePath } from './api.ts'
import { DIMENSIONS, PANELS } from '../../sql/dimensions.ts'
import { describeValue, showValue, type Tab } from './cairn-breakdown.ts'
import { LANGUAGE_CHOICES, Localized, currentLanguage, t, tt, useLanguage } from './i18n.ts'
import { PERIODS, graphMetric, isPropFilter, readState, settingsTabs, writeState, type Metric, type ViewState } from './state.ts'
import { shown, visible } from './text.ts'
import './cairn-breakdown.ts'
import './cairn-consent.ts'
import './cairn-funnel.ts'
import './cairn-goals.ts'
import './cairn-graph.ts'
import './cairn-login.ts'
import './cairn-realtime.ts'
import './cairn-segments.ts'
import './cairn-properties.ts'
import type { SiteInfo } from './settings/common.ts'
import './cairn-sessions.ts'
import './cairn-top-stats.ts'

type Site = SiteInfo

/** GET /api/sites: the sites this user reads, and the operator's settings the screens quote. */
interface SitesAnswer {
  sites: Site[]
  cookie_days: number
  retention_months?: number
  can_add_sites?: boolean
}

/** The panels and their tabs, from the one declaration of dimensions. */
const PANEL_TABS: { panel: string; tabs: Tab[] }[] = PANELS.map((panel) => ({
  panel,
  tabs: DIMENSIONS.flatMap((d): Tab[] =>
    'breakdown' in d && 'panel' in d.breakdown && d.breakdown.panel === panel
      ? [{ breakdown: d.name, metrics: [...d.breakdown.metrics], ...(d.filter && { filter: d.name }) }]
      : [],
  ),
}))

/** A view's site and range, whose answers may or may not include estimates. */
const rangeOf = (view: ViewState): string => [view.site, view.period, view.period === 'custom' ? `${view.from}/${view.to}` : ''].join(' ')

export class CairnApp extends Localized {
  static override styles = css`
    :host {
      --bg: #f6f7f9; --panel: #fff; --text: #17202a; --muted: #66727f; --border: #e3e7ec; --chip: #eef1f5;
      --accent: #4f5bd5; --on-accent: #fff; --accent-fill: rgba(79, 91, 213, 0.12); --bar: rgba(79, 91, 213, 0.12); --good: #137a4b; --bad: #c2412d;
      display: block; min-height: 100vh; background: var(--bg); color: var(--text);
      font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    }
    :host([theme='dark']) {
      --bg: #0f1419; --panel: #171d24; --text: #e6ebf0; --muted: #93a1ae; --border: #27313c; --chip: #222b35;
      --accent: #8c95ff; --on-accent: #0f1419; --accent-fill: rgba(140, 149, 255, 0.16); --bar: rgba(140, 149, 255, 0.16); --good: #45c48a; --bad: #ff7b63;
    }
    main { max-width: 1180px; margin: 0 auto; padding: 16px; display: grid; gap: 14px; }
    .bar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
    .bar h1 { font-size: 18px; margin: 0 12px 0 0; }
    select, input[type='date'], button.tool, a.tool { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 6px 10px; }
    button.tool { cursor: pointer; }
    a.tool { text-decoration: none; display: inline-block; }
    a.tool[aria-current='page'] { border-color: var(--accent); box-shadow: inset 0 -2px 0 var(--accent); }
    .bar a.back { color: var(--accent); font-weight: 600; }
    main.login { display: block; padding-top: 0; }
    .spacer { flex: 1; }
    .filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
    .chips { display: flex; flex-wrap: wrap; gap: 6px; }
    .chip { display: inline-flex; align-items: center; gap: 6px; background: var(--chip); border: 1px solid var(--border); border-radius: 999px; padding: 3px 4px 3px 10px; font-size: 13px; }
    .chip button { border: 0; background: none; cursor: pointer; color: var(--muted); font-size: 15px; line-height: 1; padding: 2px 6px; border-radius: 999px; }
    .grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
    .wide { grid-column: 1 / -1; }
    .notice { padding: 24px; text-align: center; color: var(--muted); }
    .notice-line { margin: 0; font-size: 14px; color: var(--muted); }
    .error { color: var(--bad); }
    :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
    label.compare { display: inline-flex; gap: 6px; align-items: center; font-size: 14px; color: var(--muted); }
    .exact { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; }
    .exact label { display: inline-flex; gap: 6px; align-items: center; font-size: 14px; min-height: 24px; }
    .exact .hint { font-size: 13px; color: var(--muted); }
    @media (max-width: 760px) { .grid { grid-template-columns: 1fr; } main { padding: 10px; } }
  `

  static override properties = {
    view: { state: true },
    sites: { state: true },
    cookieDays: { state: true },
    retentionMonths: { state: true },
    canAddSites: { state: true },
    user: { state: true },
    problem: { state: true },
    notice: { state: true },
    exactOffered: { state: true },
    ready: { state: true },
    theme: { reflect: true },
  }

  /** What is shown: site, range, filters, comparison, metric, theme — mirrored in the URL. */
  declare view: ViewState
  declare sites: Site[] | undefined
  /** How long a consenting visitor's cookie lives (the server's CAIRN_COOKIE_DAYS). */
  declare cookieDays: number
  /** How long events are kept (the server's CAIRN_RETENTION_MONTHS). */
  declare retentionMonths: number
  /** An admin of every site: may add sites. */
  declare canAddSites: boolean
  /** Undefined while asking the server; null when nobody is logged in. */
  declare user: { email?: string; share?: boolean; language?: string | null; two_factor?: boolean } | null | undefined
  /** What went wrong, as a function so that it is said again in a newly chosen language. */
  declare problem: (() => unknown) | undefined
  /** What the app did on its own and says politely (a stale goal filter dropped), as a catalogue key: said in the language of the moment. */
  declare notice: string
  /**
   * The site and range (rangeOf) for which the "Exact figures" switch is offered: a panel's numbers there
   * included estimates, or the switch was used there. Kept while the answers come back exact, so that the
   * switch does not vanish from under the reader who just turned it off.
   */
  declare exactOffered: string
  /** The catalogue is loaded: nothing is drawn before, since every word comes from it. */
  declare ready: boolean
  /** light or dark; reflected as an attribute so the theme's CSS variables apply. */
  declare theme: 'light' | 'dark'

  constructor() {
    super()
    this.view = readState(location.search)
    this.ready = false
    this.notice = ''
    this.exactOffered = ''
    this.canAddSites = false
    this.retentionMonths = 0
    this.theme = this.view.theme || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')
    addEventListener('popstate', () => {
      this.view = readState(location.search)
      this.theme = this.view.theme || this.theme
      void this.speak()
    })
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.start()
  }

  /**
   * The language, by priority: the URL's (a shared link can say lang=fr), the one the user stored, the
   * browser's Accept-Language. A necessary preference: kept with the account, no consent involved.
   */
  private async speak(): Promise<void> {
    try {
      await useLanguage(this.view.lang || this.user?.language || navigator.languages)
      document.title = t('ui.brand')
      this.ready = true
    } catch (error) {
      // Without a catalogue there are no words to say it with, but the reason.
      this.problem = () => (error as Error).message
      this.ready = true
    }
  }

  private async start(): Promise<void> {
    try {
      this.user = await api('/api/auth/me')
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.user = null
      else this.problem = () => t('ui.unreachable', { error: (error as Error).message })
    }
    await this.speak()
    if (this.user === null && isShared) this.problem = () => t('ui.shareExpired')
    if (!this.user) return
    await this._loadSites()
  }

  /** The sites, again after the settings changed them. */
  private async _loadSites(): Promise<void> {
    try {
      const answer = await api<SitesAnswer>('/api/sites')
      this.sites = answer.sites
      this.cookieDays = answer.cookie_days
      this.retentionMonths = answer.retention_months ?? 0
      this.canAddSites = answer.can_add_sites ?? false
      if (!this.view.site || !this.sites.some((s) => s.site === this.view.site)) {
        if (this.sites[0] || this.view.site) this.setView({ site: this.sites[0]?.site ?? '' }, true)
      }
      this.problem = undefined
    } catch (error) {
      this.problem = () => t('ui.unreachable', { error: (error as Error).message })
    }
  }

  /** Who sees the settings: an admin of a site, or who may add sites (not a shared link's viewer). */
  private get administers(): boolean {
    return Boolean(this.user?.email) && (this.canAddSites || (this.sites ?? []).some((s) => s.admin))
  }

  /** Whether the reader administers `site` (defines its goals, shares its segments); never a shared link's viewer. */
  private _adminOf(site: string): boolean {
    return Boolean(this.user?.email) && (this.sites ?? []).some((s) => s.site === site && s.admin)
  }

  private get inSettings(): boolean {
    return this.view.screen === 'settings' && Boolean(this.user?.email) && this.sites !== undefined
  }

  /**
   * The goal filter's goal, for its chip: its name (the view holds its id). A goal deleted since the link
   * was made is dropped from the view, and the reader told, rather than every panel refusing it.
   */
  private readonly filterGoal = new Task(this, {
    args: () => [this.view.site, this.view.goal] as const,
    task: async ([site, goal]) => {
      if (!site || !goal) return undefined
      const found = (await api<{ goals: { id: string; name: string }[] }>(`${sitePath(site)}/goals`)).goals.find((g) => g.id === goal)
      if (!found && this.view.site === site && this.view.goal === goal) {
        this.setView({ goal: '' }, true)
        this.notice = 'ui.goalFilter.gone'
      }
      return found
    },
  })

  /** The settings' screens are a chunk of their own, fetched the first time they open: readers of the numbers do not pay for them. */
  private settingsModule: Promise<unknown> | undefined

  override willUpdate(): void {
    if (this.inSettings) {
      this.settingsModule ??= import('./cairn-settings.ts').catch((error: Error) => {
        this.settingsModule = undefined
        this.problem = () => t('ui.unreachable', { error: error.message })
      })
    }
  }

  override updated(): void {
    if (!this.ready || this.problem) return
    // The page's title says where the reader is (WCAG 2.4.2).
    document.title = this.inSettings ? t('ui.settings.pageTitle', { screen: t(`ui.settings.tab.${this._settingsTab}`) }) : t('ui.brand')
  }

  private get _settingsTab() {
    const tabs = settingsTabs(this.sites ?? [], this.canAddSites)
    return tabs.includes(this.view.tab) ? this.view.tab : 'account'
  }

  private setView(change: Partial<ViewState>, replace = false): void {
    if ('goal' in change || 'site' in change) this.notice = ''
    const view = { ...this.view, ...change }
    // A conversion metric has no meaning without a goal filter.
    this.view = { ...view, metric: graphMetric(view) }
    const url = `${location.pathname}${writeState(this.view)}`
    replace ? history.replaceState(null, '', url) : history.pushState(null, '', url)
  }

  override render() {
    if (!this.ready) return html`<main aria-busy="true"></main>`
    if (this.problem) return html`<main><p class="notice error" role="alert">${this.problem()}</p></main>`
    if (this.user === undefined) return html`<main><p class="notice">${t('ui.loading')}</p></main>`
    if (this.user === null) {
      // A mailed link (invitation, reset) opens on its own page; its token leaves the URL once used.
      const token = new URLSearchParams(location.search).get('token') ?? ''
      return html`<main class="login"><cairn-login .token=${token} @cairn-login=${() => this.start()}>${this._languageMenu()}</cairn-login></main>`
    }
    if (this.inSettings) return this._settings()
    if (this.sites && this.sites.length === 0) {
      return html`<main>
        <div class="bar"><h1>${t('ui.brand')}</h1><span class="spacer"></span>${this._tools()}</div>
        <p class="notice">${this.canAddSites ? t('ui.settings.noSitesYet') : tt('ui.noSites', { command: html`<code>cairn users add</code>` })}</p>
      </main>`
    }
    const v = this.view
    return html`
      <main
        @cairn-filter=${this._onFilter}
        @cairn-metric=${(e: CustomEvent<{ metric: Metric }>) => this.setView({ metric: e.detail.metric })}
        @cairn-navigate=${(e: CustomEvent<{ change: Partial<ViewState> }>) => this.setView(e.detail.change)}
        @cairn-segment=${(e: CustomEvent<{ filters: Record<string, string> }>) => this.setView({ filters: e.detail.filters })}
        @cairn-estimates=${this._onEstimates}
      >
        <div class="bar">
          <h1>${t('ui.brand')}</h1>
          <select id="site" aria-label=${t('ui.site')} @change=${(e: Event) => this.setView({ site: (e.target as HTMLSelectElement).value, goal: '', funnel: '' })}>
            ${(this.sites ?? []).map((s) => html`<option value=${s.site} ?selected=${s.site === v.site}>${s.site}</option>`)}
          </select>
          <cairn-realtime .site=${v.site} ?exact=${v.exact}></cairn-realtime>
          <span class="spacer"></span>
          <select aria-label=${t('ui.dateRange')} @change=${this._onPeriod}>
            ${PERIODS.map((period) => html`<option value=${period} ?selected=${period === v.period}>${t(`period.${period}`)}</option>`)}
          </select>
          ${v.period === 'custom'
            ? html`<input type="date" aria-label=${t('ui.from')} .value=${v.from} @change=${(e: Event) => this.setView({ from: (e.target as HTMLInputElement).value })} />
                <input type="date" aria-label=${t('ui.to')} .value=${v.to} @change=${(e: Event) => this.setView({ to: (e.target as HTMLInputElement).value })} />`
            : nothing}
          <label class="compare"><input type="checkbox" .checked=${v.compare} @change=${(e: Event) => this.setView({ compare: (e.target as HTMLInputElement).checked })} /> ${t('ui.compare')}</label>
          ${this._tools()}
        </div>
        <div class="filters">
          <cairn-segments .view=${v} ?canSave=${Boolean(this.user?.email)} ?admin=${this._adminOf(v.site)}></cairn-segments>
          ${Object.keys(v.filters).length || v.goal
            ? html`<div class="chips" role="group" aria-label=${t('ui.filters')}>
                ${Object.entries(v.filters).map(([name, value]) => this._chip(name, value))}
                ${v.goal ? this._goalChip() : nothing}
              </div>`
            : nothing}
          ${v.exact || this.exactOffered === rangeOf(v) ? this._exactSwitch() : nothing}
          <p class="notice-line" role="status">${this.notice ? t(this.notice) : nothing}</p>
        </div>
        <cairn-top-stats .view=${v}></cairn-top-stats>
        <cairn-graph .view=${v} ?canWrite=${Boolean(this.user?.email)}></cairn-graph>
        <div class="grid">
          ${PANEL_TABS.map((p) => html`<cairn-breakdown .panel=${p.panel} .tabs=${p.tabs} .view=${v}></cairn-breakdown>`)}
          <cairn-goals .view=${v} ?admin=${this._adminOf(v.site)}></cairn-goals>
          <cairn-funnel .view=${v} ?admin=${this._adminOf(v.site)}></cairn-funnel>
          <cairn-properties .view=${v}></cairn-properties>
          <cairn-consent .view=${v} .cookieDays=${this.cookieDays}></cairn-consent>
          <cairn-sessions class="wide" .view=${v}></cairn-sessions>
        </div>
      </main>
    `
  }

  /**
   * The "Exact figures" switch: every stats request then carries exact=true, and the API counts every
   * visitor exactly instead of estimating some counts (slower on long ranges of big sites).
   */
  private _exactSwitch() {
    return html`<div class="exact">
      <label><input type="checkbox" id="exact" .checked=${this.view.exact} aria-describedby="exact-hint" @change=${this._onExact} /> ${t('ui.exact.label')}</label>
      <span class="hint" id="exact-hint">${t('ui.exact.hint')}</span>
    </div>`
  }

  /** A panel's numbers include estimates: the switch is offered for this site and range. */
  private _onEstimates(event: CustomEvent<{ estimated: boolean }>): void {
    if (event.detail.estimated) this.exactOffered = rangeOf(this.view)
  }

  private _onExact(event: Event): void {
    this.exactOffered = rangeOf(this.view)
    this.setView({ exact: (event.target as HTMLInputElement).checked })
  }

  /** A filter's chip: the dimension (or custom property) and its value, and a button that removes it. */
  private _chip(name: string, value: string) {
    const prop = isPropFilter(name)
    const key = name.slice('prop.'.length)
    const label = prop ? tt('ui.properties.filterName', { key: shown(key) }) : t(`dimension.${name}.label`)
    const said = prop ? t('ui.properties.filterName', { key: visible(key) }) : t(`dimension.${name}.label`)
    return html`<span class="chip" data-filter=${name}>${tt('ui.filterChip', { name: label, value: html`<strong>${showValue(name, value)}</strong>` })}
      <button aria-label=${t('ui.removeFilter', { name: said, value: describeValue(name, value) })} @click=${() => this._removeFilter(name)}><span aria-hidden="true">×</span></button></span>`
  }

  /** The goal filter's chip: the goal by its name (its id until the name is known). */
  private _goalChip() {
    const name = this.filterGoal.value?.name ?? this.view.goal
    return html`<span class="chip" data-filter="goal">${tt('ui.filterChip', { name: t('ui.goalFilter.name'), value: html`<strong>${shown(name)}</strong>` })}
      <button aria-label=${t('ui.removeFilter', { name: t('ui.goalFilter.name'), value: visible(name) })} @click=${() => this.setView({ goal: '' })}><span aria-hidden="true">×</span></button></span>`
  }

  /** The end of the header: language, theme, the settings and the account, logging out. */
  private _tools() {
    const settings = this.view.screen === 'settings'
    const tab = this._settingsTab
    return html`${this._languageMenu()}
      <button class="tool" aria-label=${t(this.theme === 'dark' ? 'ui.themeLight' : 'ui.themeDark')} @click=${this._toggleTheme}><span aria-hidden="true">${this.theme === 'dark' ? '☀' : '☾'}</span></button>
      ${this.administers ? this._link('settings', { screen: 'settings', tab: settings && tab !== 'account' ? tab : 'sites' }, 'ui.settings.open', settings && tab !== 'account') : nothing}
      ${this.user?.email ? this._link('account', { screen: 'settings', tab: 'account' }, 'ui.settings.account.open', settings && tab === 'account') : nothing}
      ${this.user?.email ? html`<button class="tool" @click=${this._logout}>${t('ui.logout')}</button>` : nothing}`
  }

  /** A link to another view of the app, followed in the page. */
  private _link(name: string, change: Partial<ViewState>, key: string, current = false, className = 'tool') {
    return html`<a class=${className} data-link=${name} href=${writeState({ ...this.view, ...change })} aria-current=${current ? 'page' : 'false'} @click=${(e: MouseEvent) => this._follow(e, change)}>${t(key)}</a>`
  }

  private _follow(event: MouseEvent, change: Partial<ViewState>): void {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    this.setView(change)
  }

  /** The settings: a header to go back to the dashboard as it was, then the screens. */
  private _settings() {
    return html`<main
      @cairn-navigate=${(e: CustomEvent<{ change: Partial<ViewState> }>) => this.setView(e.detail.change)}
      @cairn-manage=${(e: CustomEvent<{ site: string }>) => this.setView({ manage: e.detail.site })}
      @cairn-sites-changed=${(e: CustomEvent<{ reloaded?: Promise<void> }>) => (e.detail.reloaded = this._loadSites())}
      @cairn-language=${(e: CustomEvent<{ language: string }>) => this._chooseLanguage(e.detail.language)}
    >
      <div class="bar">
        <h1>${t('ui.brand')}</h1>
        ${(this.sites ?? []).length ? this._link('dashboard', { screen: 'dashboard' }, 'ui.settings.back', false, 'tool back') : nothing}
        <span class="spacer"></span>
        ${this._tools()}
      </div>
      <cairn-settings
        .view=${this.view}
        .sites=${this.sites ?? []}
        ?canAddSites=${this.canAddSites}
        .retentionMonths=${this.retentionMonths}
        .cookieDays=${this.cookieDays}
        .email=${this.user?.email ?? ''}
        .twoFactor=${this.user?.two_factor}
      ></cairn-settings>
    </main>`
  }

  /** The language menu: each language named in itself. */
  private _languageMenu() {
    return html`<select class="language" slot="language" aria-label=${t('ui.language')} @change=${this._onLanguage}>
      ${LANGUAGE_CHOICES.map((l) => html`<option value=${l.code} lang=${l.code} ?selected=${l.code === currentLanguage()}>${l.name}</option>`)}
    </select>`
  }

  /** A choice from the menu goes in the URL, and is stored for a logged-in user (a shared link's viewer has nothing to store it in). */
  private _onLanguage(event: Event): Promise<void> {
    return this._chooseLanguage((event.target as HTMLSelectElement).value)
  }

  private async _chooseLanguage(language: string): Promise<void> {
    this.setView({ lang: language }, true)
    await this.speak()
    if (this.user?.email) {
      // Were it not stored, the URL still holds the choice for this page.
      await api('/api/auth/me', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language }) }).catch(() => {})
      this.user = { ...this.user, language }
    }
  }

  private _onFilter(event: CustomEvent<{ name: string; value: string }>): void {
    if (event.detail.name === 'goal') return this.setView({ goal: event.detail.value })
    this.setView({ filters: { ...this.view.filters, [event.detail.name]: event.detail.value } })
  }

  private _removeFilter(name: string): void {
    const filters = { ...this.view.filters }
    delete filters[name]
    this.setView({ filters })
  }

  private _onPeriod(event: Event): void {
    const period = (event.target as HTMLSelectElement).value
    if (period === 'custom' && !this.view.from) {
      const today = new Date().toISOString().slice(0, 10)
      this.setView({ period, from: new Date(Date.now() - 13 * 86_400_000).toISOString().slice(0, 10), to: today })
    } else this.setView({ period })
  }

  private _toggleTheme(): void {
    this.theme = this.theme === 'dark' ? 'light' : 'dark'
    this.setView({ theme: this.theme }, true)
  }

  private async _logout(): Promise<void> {
    await api('/api/auth/logout', { method: 'POST', headers: { 'content-type': 'application/json' } })
    this.user = null
    this.sites = undefined
    this.canAddSites = false
  }
}

customElements.define('cairn-app', CairnApp)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-app': CairnApp
  }
}
