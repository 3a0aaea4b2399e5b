/**
 * The dashboard: who is logged in, which sites they may see, and the view (kept in the URL). Panels get
 * the view as a property and fetch their own numbers; their events change the view.
 */
import { LitElement, css, html, nothing } from 'lit'
import { ApiError, api, isShared } from './api.ts'
import { DIMENSIONS, PANELS } from '../../sql/dimensions.ts'
import { describeValue, type Tab } from './cairn-breakdown.ts'
import { shown } from './text.ts'
import { FILTER_LABELS, PERIOD_LABELS, readState, writeState, type Metric, type ViewState } from './state.ts'
import './cairn-breakdown.ts'
import './cairn-consent.ts'
import './cairn-graph.ts'
import './cairn-login.ts'
import './cairn-realtime.ts'
import './cairn-sessions.ts'
import './cairn-top-stats.ts'

interface Site {
  site: string
  timezone: string
  admin: boolean
}

/** The panels and their tabs, from the one declaration of dimensions. */
const PANEL_TABS: { heading: string; tabs: Tab[] }[] = PANELS.map((heading) => ({
  heading,
  tabs: DIMENSIONS.flatMap((d): Tab[] =>
    'breakdown' in d && 'panel' in d.breakdown && d.breakdown.panel === heading
      ? [{ label: d.breakdown.tab, breakdown: d.name, metrics: [...d.breakdown.metrics], ...(d.filter && { filter: d.name }) }]
      : [],
  ),
}))

export class CairnApp extends LitElement {
  static override styles = css`
    :host {
      --bg: #f6f7f9; --panel: #fff; --text: #17202a; --muted: #66727f; --border: #e3e7ec; --chip: #eef1f5;
      --accent: #4f5bd5; --accent-fill: rgba(79, 91, 213, 0.12); --bar: rgba(79, 91, 213, 0.12); --good: #1a8f5a; --bad: #c2412d;
      display: block; min-height: 100vh; background: var(--bg); color: var(--text);
      font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    }
    :host([theme='dark']) {
      --bg: #0f1419; --panel: #171d24; --text: #e6ebf0; --muted: #93a1ae; --border: #27313c; --chip: #222b35;
      --accent: #8c95ff; --accent-fill: rgba(140, 149, 255, 0.16); --bar: rgba(140, 149, 255, 0.16); --good: #45c48a; --bad: #ff7b63;
    }
    main { max-width: 1180px; margin: 0 auto; padding: 16px; display: grid; gap: 14px; }
    .bar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
    .bar h1 { font-size: 18px; margin: 0 12px 0 0; }
    select, input[type='date'], button.tool { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 6px 10px; }
    button.tool { cursor: pointer; }
    .spacer { flex: 1; }
    .chips { display: flex; flex-wrap: wrap; gap: 6px; }
    .chip { display: inline-flex; align-items: center; gap: 6px; background: var(--chip); border: 1px solid var(--border); border-radius: 999px; padding: 3px 4px 3px 10px; font-size: 13px; }
    .chip button { border: 0; background: none; cursor: pointer; color: var(--muted); font-size: 15px; line-height: 1; padding: 2px 6px; border-radius: 999px; }
    .grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
    .wide { grid-column: 1 / -1; }
    .notice { padding: 24px; text-align: center; color: var(--muted); }
    .error { color: var(--bad); }
    :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
    label.compare { display: inline-flex; gap: 6px; align-items: center; font-size: 14px; color: var(--muted); }
    @media (max-width: 760px) { .grid { grid-template-columns: 1fr; } main { padding: 10px; } }
  `

  static override properties = {
    view: { state: true },
    sites: { state: true },
    user: { state: true },
    problem: { state: true },
    theme: { reflect: true },
  }

  /** What is shown: site, range, filters, comparison, metric, theme — mirrored in the URL. */
  declare view: ViewState
  declare sites: Site[] | undefined
  /** Undefined while asking the server; null when nobody is logged in. */
  declare user: { email?: string; share?: boolean } | null | undefined
  declare problem: string
  /** light or dark; reflected as an attribute so the theme's CSS variables apply. */
  declare theme: 'light' | 'dark'

  constructor() {
    super()
    this.view = readState(location.search)
    this.problem = ''
    this.theme = this.view.theme || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')
    addEventListener('popstate', () => {
      this.view = readState(location.search)
      this.theme = this.view.theme || this.theme
    })
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.start()
  }

  private async start(): Promise<void> {
    try {
      this.user = await api('/api/auth/me')
      this.sites = (await api<{ sites: Site[] }>('/api/sites')).sites
      if (!this.view.site || !this.sites.some((s) => s.site === this.view.site)) {
        if (this.sites[0]) this.setView({ site: this.sites[0].site }, true)
      }
      this.problem = ''
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.user = null
        if (isShared) this.problem = 'This shared link is no longer valid. Ask the site owner for a new one.'
      } else this.problem = `Cairn could not be reached: ${(error as Error).message}. Reload the page to try again.`
    }
  }

  private setView(change: Partial<ViewState>, replace = false): void {
    this.view = { ...this.view, ...change }
    const url = `${location.pathname}${writeState(this.view)}`
    replace ? history.replaceState(null, '', url) : history.pushState(null, '', url)
  }

  override render() {
    if (this.problem) return html`<main><p class="notice error" role="alert">${this.problem}</p></main>`
    if (this.user === undefined) return html`<main><p class="notice">Loading…</p></main>`
    if (this.user === null) return html`<cairn-login @cairn-login=${() => this.start()}></cairn-login>`
    if (this.sites && this.sites.length === 0) return html`<main><p class="notice">You have no sites yet. An admin can give you access with <code>cairn users add</code>.</p></main>`
    const v = this.view
    return html`
      <main @cairn-filter=${this._onFilter} @cairn-metric=${(e: CustomEvent<{ metric: Metric }>) => this.setView({ metric: e.detail.metric })}>
        <div class="bar">
          <h1>Cairn</h1>
          <label class="visually-hidden" for="site" hidden>Site</label>
          <select id="site" aria-label="Site" @change=${(e: Event) => this.setView({ site: (e.target as HTMLSelectElement).value })}>
            ${(this.sites ?? []).map((s) => html`<option value=${s.site} ?selected=${s.site === v.site}>${s.site}</option>`)}
          </select>
          <cairn-realtime .site=${v.site}></cairn-realtime>
          <span class="spacer"></span>
          <select aria-label="Date range" @change=${this._onPeriod}>
            ${Object.entries(PERIOD_LABELS).map(([value, label]) => html`<option value=${value} ?selected=${value === v.period}>${label}</option>`)}
          </select>
          ${v.period === 'custom'
            ? html`<input type="date" aria-label="From" .value=${v.from} @change=${(e: Event) => this.setView({ from: (e.target as HTMLInputElement).value })} />
                <input type="date" aria-label="To" .value=${v.to} @change=${(e: Event) => this.setView({ to: (e.target as HTMLInputElement).value })} />`
            : nothing}
          <label class="compare"><input type="checkbox" .checked=${v.compare} @change=${(e: Event) => this.setView({ compare: (e.target as HTMLInputElement).checked })} /> Compare</label>
          <button class="tool" aria-label="Switch to ${this.theme === 'dark' ? 'light' : 'dark'} theme" @click=${this._toggleTheme}>${this.theme === 'dark' ? '☀' : '☾'}</button>
          ${this.user.email ? html`<button class="tool" @click=${this._logout}>Log out</button>` : nothing}
        </div>
        ${Object.keys(v.filters).length
          ? html`<div class="chips" aria-label="Filters">
              ${Object.entries(v.filters).map(([name, value]) => html`<span class="chip">${FILTER_LABELS[name] ?? name}: <strong>${shown(describeValue(name, value))}</strong>
                <button aria-label="Remove filter ${FILTER_LABELS[name] ?? name}" @click=${() => this._removeFilter(name)}>×</button></span>`)}
            </div>`
          : nothing}
        <cairn-top-stats .view=${v}></cairn-top-stats>
        <cairn-graph .view=${v}></cairn-graph>
        <div class="grid">
          ${PANEL_TABS.map((p) => html`<cairn-breakdown .heading=${p.heading} .tabs=${p.tabs} .view=${v}></cairn-breakdown>`)}
          <cairn-consent .view=${v}></cairn-consent>
          <cairn-sessions class="wide" .view=${v}></cairn-sessions>
        </div>
      </main>
    `
  }

  private _onFilter(event: CustomEvent<{ name: string; value: string }>): void {
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
  }
}

customElements.define('cairn-app', CairnApp)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-app': CairnApp
  }
}
