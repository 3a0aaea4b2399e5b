/**
 * The custom properties panel: the keys the range's events carry (GET /api/stats/{site}/properties), and
 * for the key chosen its values with their visitors and events (GET /api/stats/{site}/properties/{key},
 * docs/stats-api.md). Clicking a value filters the dashboard by it (`prop.<key>=<value>`). Shown when the
 * range has properties.
 */
import { css, html, nothing } from 'lit'
import { Task, TaskStatus, initialState } from '@lit/task'
import { api } from './api.ts'
import { Localized, formatCount, number, t } from './i18n.ts'
import { statsParams, type ViewState } from './state.ts'
import { panel } from './styles.ts'
import { shown, visible } from './text.ts'

interface Key {
  key: string
  visitors: number
  events: number
}

interface Row {
  value: string
  visitors: number
  events: number
}

/**
 * @fires cairn-filter - {name: `prop.<key>`, value}: the reader picked a value to filter by
 */
export class CairnProperties extends Localized {
  static override styles = [
    panel,
    css`
      :host([hidden]) { display: none; }
      header h2 { margin-right: auto; }
      select { font: inherit; font-size: 14px; color: var(--text); background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 3px 8px; max-width: 100%; min-height: 28px; }
      table { width: 100%; border-collapse: collapse; font-size: 14px; table-layout: fixed; }
      th { text-align: right; font-weight: 500; color: var(--muted); font-size: 12px; padding: 4px 0 6px 8px; width: 80px; }
      th:first-child { text-align: left; width: auto; padding-left: 0; }
      td { padding: 3px 0 3px 8px; text-align: right; font-variant-numeric: tabular-nums; }
      td:first-child { text-align: left; padding-left: 0; position: relative; }
      .bar { position: absolute; inset: 1px auto 1px 0; background: var(--bar); border-radius: 4px; z-index: 0; }
      .label { position: relative; z-index: 1; display: block; padding: 2px 6px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      button.label { border: 0; background: none; cursor: pointer; width: 100%; text-align: left; min-height: 24px; }
      button.label:hover { text-decoration: underline; }
    `,
  ]

  static override properties = { view: { attribute: false }, chosen: { state: true } }

  /** The dashboard's current view. */
  declare view: ViewState
  /** The key chosen ('' for the most used). */
  declare chosen: string

  private readonly keys = new Task(this, {
    args: () => [this.view?.site, this.view && statsParams({ ...this.view, compare: false })] as const,
    task: async ([site, params]) => (site ? (await api<{ properties: Key[] }>(`/api/stats/${encodeURIComponent(site)}/properties?${params}`)).properties : initialState),
  })

  private readonly rows = new Task(this, {
    args: () => [this.view?.site, this.key, this.view && statsParams({ ...this.view, compare: false }, { limit: '10', sort: 'visitors:desc' })] as const,
    task: async ([site, key, params]) =>
      site && key ? (await api<{ rows: Row[] }>(`/api/stats/${encodeURIComponent(site)}/properties/${encodeURIComponent(key)}?${params}`)).rows : initialState,
  })

  constructor() {
    super()
    this.chosen = ''
  }

  /** The key shown: the one chosen while the range has it, else the most used. */
  private get key(): string | undefined {
    const keys = this.keys.value ?? []
    return (keys.find((k) => k.key === this.chosen) ?? keys[0])?.key
  }

  /** Without properties in the range, no panel. */
  override updated(): void {
    const hide = this.keys.status !== TaskStatus.ERROR && !this.keys.value?.length
    if (this.hidden !== hide) this.hidden = hide
  }

  override render() {
    const keys = this.keys.value ?? []
    const key = this.key
    return html`
      <header>
        <h2>${t('ui.properties.panel')}</h2>
        ${keys.length
          ? html`<select id="property-key" aria-label=${t('ui.properties.key')} @change=${(e: Event) => (this.chosen = (e.target as HTMLSelectElement).value)}>
              ${keys.map((k) => html`<option class="data" value=${k.key} ?selected=${k.key === key}>${visible(k.key)}</option>`)}
            </select>`
          : nothing}
      </header>
      ${this.keys.status === TaskStatus.ERROR
        ? html`<p class="error" role="alert">${t('ui.properties.error', { error: (this.keys.error as Error).message })}</p>`
        : key
          ? this.rows.render({
              pending: () => (this.rows.value ? this._table(key, this.rows.value) : html`<p class="muted loading">${t('ui.loading')}</p>`),
              error: (error) => html`<p class="error" role="alert">${t('ui.properties.error', { error: (error as Error).message })}</p>`,
              complete: (rows) => this._table(key, rows),
            })
          : nothing}
    `
  }

  private _table(key: string, rows: Row[]) {
    const max = Math.max(1, ...rows.map((r) => r.visitors))
    return html`<table data-key=${key}>
      <thead><tr><th>${t('ui.properties.value', { key: visible(key) })}</th><th>${t('metric.visitors')}</th><th>${t('metric.events')}</th></tr></thead>
      <tbody>
        ${rows.map(
          (row) => html`<tr>
            <td>
              <span class="bar" style="width: ${(row.visitors / max) * 100}%"></span>
              <button class="label" title=${t('ui.filterBy', { value: row.value ? visible(row.value) : t('value.none') })} @click=${() => this._filter(key, row.value)}>${row.value ? shown(row.value) : t('value.none')}</button>
            </td>
            <td class="visitors">${number(row.visitors, formatCount(row.visitors))}</td>
            <td class="events">${number(row.events, formatCount(row.events))}</td>
          </tr>`,
        )}
      </tbody>
    </table>`
  }

  private _filter(key: string, value: string): void {
    this.dispatchEvent(new CustomEvent('cairn-filter', { detail: { name: `prop.${key}`, value }, bubbles: true, composed: true }))
  }
}

customElements.define('cairn-properties', CairnProperties)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-properties': CairnProperties
  }
}
