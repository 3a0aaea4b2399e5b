/**
 * What the settings' screens share: a refusal drawn next to the fields it names, the times of the admin
 * API in the reader's clock and language, the dialog that asks before something is removed, the Copy
 * button, and downloads made in the page.
 */
import { css, html, nothing, type TemplateResult } from 'lit'
import { ifDefined } from 'lit/directives/if-defined.js'
import { ApiError } from '../api.ts'
import { Localized, currentLanguage, formatDate, t } from '../i18n.ts'
import { forms } from '../styles.ts'

/** A failed request as the screen shows it: the sentence, and each field's problem. */
export interface Problem {
  message: string
  fields: Record<string, string>
}

/** Any error as a Problem: the server's own words when it answered, otherwise why it could not be asked. */
export function problemOf(error: unknown): Problem {
  if (error instanceof ApiError) return { message: Object.keys(error.errors).length ? error.summary : error.message, fields: error.errors }
  return { message: t('ui.settings.unreachable', { error: (error as Error).message }), fields: {} }
}

/** The problem of a field: its own key, or keys of its items (`domains[1]`, `domains.1`). */
export function fieldProblem(problem: Problem | undefined, name: string): string | undefined {
  if (!problem) return undefined
  const found = Object.entries(problem.fields).filter(([key]) => key === name || key.startsWith(`${name}[`) || key.startsWith(`${name}.`))
  return found.length ? t('ui.settings.fieldProblem', { problem: found.map(([, said]) => said).join(' ') }) : undefined
}

/**
 * The attributes a field takes from a problem: `aria-invalid`, and `aria-describedby` naming its message
 * (and its hint, if it has one). Spread with `...`: `aria-invalid=${a.invalid} aria-describedby=${a.describedby}`.
 */
export function fieldState(problem: Problem | undefined, id: string, name: string, hint = false): { invalid: 'true' | 'false'; describedby: string | undefined } {
  const bad = fieldProblem(problem, name) !== undefined
  const ids = [hint ? `${id}-hint` : '', bad ? `${id}-error` : ''].filter(Boolean).join(' ')
  return { invalid: bad ? 'true' : 'false', describedby: ids || undefined }
}

/** The message under a field, referenced by its aria-describedby. */
export function fieldError(problem: Problem | undefined, id: string, name: string): TemplateResult | typeof nothing {
  const said = fieldProblem(problem, name)
  return said === undefined ? nothing : html`<p class="field-error" id="${id}-error">${said}</p>`
}

/**
 * The whole form's failure, said at once by a screen reader. When every problem sits next to its field,
 * the server's summary is still said here: a screen reader user hears why, then finds the marked fields.
 */
export function formProblem(problem: Problem | undefined): TemplateResult | typeof nothing {
  return problem ? html`<p class="error" role="alert">${t('ui.settings.refused', { error: problem.message })}</p>` : nothing
}

/** A label, a text input and its error: the common case of a form field. */
export function textField(o: {
  id: string
  name: string
  label: string
  problem: Problem | undefined
  type?: string
  value?: string
  required?: boolean
  autocomplete?: string
  inputmode?: string
  hint?: string
  placeholder?: string
}): TemplateResult {
  const state = fieldState(o.problem, o.id, o.name, o.hint !== undefined)
  return html`<label for=${o.id}>${o.label}</label>
    <input
      id=${o.id}
      name=${o.name}
      type=${o.type ?? 'text'}
      .value=${o.value ?? ''}
      ?required=${o.required}
      autocomplete=${ifDefined(o.autocomplete)}
      inputmode=${ifDefined(o.inputmode)}
      placeholder=${ifDefined(o.placeholder)}
      aria-invalid=${state.invalid}
      aria-describedby=${ifDefined(state.describedby)}
    />
    ${o.hint !== undefined ? html`<p class="hint" id="${o.id}-hint">${o.hint}</p>` : nothing} ${fieldError(o.problem, o.id, o.name)}`
}

/** Lines of a textarea as a list: trimmed, without the empty ones. */
export const lines = (text: FormDataEntryValue | null): string[] =>
  String(text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)

/** A form's text field. */
export const field = (form: FormData, name: string): string => String(form.get(name) ?? '').trim()

/** An instant of the admin API (ISO 8601, or ClickHouse's "YYYY-MM-DD HH:MM:SS" in UTC) as a Date. */
export function instant(at: string): Date {
  const iso = at.includes('T') ? at : at.replace(' ', 'T')
  return new Date(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`)
}

/** The reader's own time zone: the admin API's times are instants, shown on the reader's clock. */
const readerZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone

/** An instant as a date and time on the reader's clock, machine-readable in <time>. */
export function when(at: string): TemplateResult {
  const date = instant(at)
  if (Number.isNaN(date.getTime())) return html`<time>${at}</time>`
  return html`<time datetime=${date.toISOString()}>${formatDate(date, { dateStyle: 'medium', timeStyle: 'short', timeZone: readerZone() })}</time>`
}

/** How long ago an instant was, by Intl.RelativeTimeFormat in the page's language ("2 minutes ago", "il y a 2 minutes"). */
export function ago(date: Date, now = Date.now()): string {
  const seconds = Math.round((date.getTime() - now) / 1000)
  const format = new Intl.RelativeTimeFormat(currentLanguage(), { numeric: 'auto' })
  const abs = Math.abs(seconds)
  if (abs < 45) return format.format(seconds, 'second')
  if (abs < 45 * 60) return format.format(Math.round(seconds / 60), 'minute')
  if (abs < 22 * 3600) return format.format(Math.round(seconds / 3600), 'hour')
  return format.format(Math.round(seconds / 86_400), 'day')
}

/** Saves `text` as a file, made in the page (a Blob), named `name`. */
export function download(name: string, text: string, type: string): void {
  const link = document.createElement('a')
  link.href = URL.createObjectURL(new Blob([text], { type }))
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 1000)
}

/** The element focused now, looking inside shadow roots. */
function deepActive(): HTMLElement | null {
  let active = document.activeElement as HTMLElement | null
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement as HTMLElement
  return active
}

/**
 * Opens a modal dialog (focus moves into it, the page behind is inert, Escape closes it); when it closes,
 * focus returns to what had it, or to `fallback` when that is gone (a removed row's button).
 */
export function openDialog(dialog: HTMLDialogElement | null | undefined, fallback?: () => HTMLElement | null | undefined): void {
  if (!dialog || dialog.open) return
  const opener = deepActive()
  dialog.addEventListener(
    'close',
    () => {
      // Unless the screen already moved the focus on (to a password shown once, say).
      const now = deepActive()
      if (now && now !== document.body && !dialog.contains(now) && now.isConnected) return
      const target = opener?.isConnected ? opener : fallback?.()
      target?.focus()
    },
    { once: true },
  )
  dialog.showModal()
}

/**
 * A confirmation in a modal `<dialog>`, labelled by its heading: `body` says what happens, the form's
 * submit does it. Cancel (or Escape) closes it and nothing happens.
 */
export function confirmDialog(o: {
  id: string
  heading: string
  body: unknown
  confirm: string
  busy: boolean
  problem: Problem | undefined
  onSubmit: (event: SubmitEvent) => void
  onClose: () => void
}): TemplateResult {
  return html`<dialog id=${o.id} aria-labelledby="${o.id}-title" @close=${o.onClose}>
    <form @submit=${o.onSubmit} novalidate>
      <h2 id="${o.id}-title">${o.heading}</h2>
      ${o.body} ${formProblem(o.problem)}
      <div class="actions">
        <button type="button" @click=${(e: Event) => (e.target as HTMLElement).closest('dialog')!.close()}>${t('ui.settings.cancel')}</button>
        <button type="submit" class="danger primary" ?disabled=${o.busy} aria-disabled=${o.busy ? 'true' : 'false'}>${o.busy ? t('ui.settings.working') : o.confirm}</button>
      </div>
    </form>
  </dialog>`
}

/**
 * A Copy button for a value shown once: navigator.clipboard, and a status said politely ("Copied", or why
 * not, with the advice to select the text).
 */
export class CairnCopy extends Localized {
  static override styles = [
    forms,
    css`
      :host { display: inline-flex; align-items: center; gap: 8px; flex-wrap: wrap; }
    `,
  ]

  static override properties = { text: { type: String }, label: { type: String }, status: { state: true } }

  /** What the button copies. */
  declare text: string
  /** The button's accessible name, naming what it copies ("Copy the password"). */
  declare label: string
  /** '', 'copied' or 'failed'. */
  declare status: '' | 'copied' | 'failed'

  constructor() {
    super()
    this.text = ''
    this.label = ''
    this.status = ''
  }

  override render() {
    return html`<button type="button" aria-label=${this.label || t('ui.settings.copy')} @click=${this._copy}>${t('ui.settings.copy')}</button>
      <span class="status ${this.status === 'copied' ? 'ok' : this.status ? 'error' : ''}" role="status" aria-live="polite"
        >${this.status === 'copied' ? t('ui.settings.copied') : this.status === 'failed' ? t('ui.settings.copyFailed') : nothing}</span
      >`
  }

  private async _copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.text)
      this.status = 'copied'
    } catch {
      this.status = 'failed'
    }
  }
}

customElements.define('cairn-copy', CairnCopy)
declare global {
  interface HTMLElementTagNameMap {
    'cairn-copy': CairnCopy
  }
}

/**
 * A value shown once (a password, a key, a link): a read-only field to select, a Copy button, and the
 * warning that it will not be shown again.
 */
export function shownOnce(o: { id: string; heading: string; label: string; value: string; copyLabel: string; warning: string; multiline?: boolean; extra?: unknown }): TemplateResult {
  return html`<section class="once" aria-labelledby="${o.id}-heading">
    <strong id="${o.id}-heading">${o.heading}</strong>
    <p>${o.warning}</p>
    <label for=${o.id}>${o.label}</label>
    <div class="secret">
      ${o.multiline
        ? html`<textarea id=${o.id} readonly rows="5" .value=${o.value} @focus=${selectAll}></textarea>`
        : html`<input id=${o.id} readonly .value=${o.value} @focus=${selectAll} />`}
      <cairn-copy .text=${o.value} .label=${o.copyLabel}></cairn-copy>
      ${o.extra ?? nothing}
    </div>
  </section>`
}

const selectAll = (e: Event) => (e.target as HTMLInputElement).select()

/** The sites a per-site screen may choose between, and the one chosen. */
export interface SiteInfo {
  site: string
  timezone: string
  admin: boolean
  domains?: string[]
  exclude_paths?: string[]
  exclude_ranges?: string[]
}

/**
 * Tells the app that the sites changed (so that the dashboard and the screens show them as they are now);
 * resolves once it has them again.
 */
export async function sitesChanged(from: HTMLElement): Promise<void> {
  const detail: { reloaded?: Promise<void> } = {}
  from.dispatchEvent(new CustomEvent('cairn-sites-changed', { detail, bubbles: true, composed: true }))
  await detail.reloaded
}

/** Chooses the site the settings are about (it goes in the URL, as `manage`). */
export const chooseSite = (from: HTMLElement, site: string): boolean => from.dispatchEvent(new CustomEvent('cairn-manage', { detail: { site }, bubbles: true, composed: true }))

/** The tracker's snippet for a site, served by this Cairn. */
export const snippet = (site: string): string => `<script defer data-site="${site}" src="${location.origin}/cairn.js"></script>`
