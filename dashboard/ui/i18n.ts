/**
 * The dashboard's language. Only the active language's catalogue is fetched: dashboard/build.ts compiles
 * each catalogue's ICU MessageFormat messages to functions (messageformat's compileModule), one
 * content-hashed module per language. Every number, percentage, duration, date and name is formatted by
 * Intl in that language. Elements that extend Localized draw again when it changes.
 *
 * `en-XA` is a pseudo-locale for tests: English with every message marked ⟦…⟧, so any text on a screen
 * that did not come from a catalogue shows up unmarked.
 */
import { LitElement, html, type TemplateResult } from 'lit'
import { LANGUAGES, negotiate, type Language } from '../i18n/languages.ts'

/** Each language's catalogue module, named by its content hash (set by dashboard/build.ts). */
declare const CATALOGUE_URLS: Record<Language, string>

/** A compiled message: its values in, its parts out (text, and the values as they were given). */
type Message = (values?: Values) => unknown[]

export const PSEUDO = 'en-XA'

type Values = Record<string, unknown>

let language: Language = 'en'
let pseudo = false
let messages: Record<string, Message> = {}
const elements = new Set<Localized>()

/** The language shown, as a BCP 47 tag for Intl and `<html lang>`. */
export const currentLanguage = (): Language => language

/**
 * Shows the dashboard in `wanted` (a language code, an Accept-Language list, or `en-XA`): fetches its
 * catalogue when it is not the one loaded, and redraws every Localized element.
 */
export async function useLanguage(wanted: string | readonly string[]): Promise<void> {
  const isPseudo = wanted === PSEUDO
  const next = isPseudo ? 'en' : negotiate(wanted)
  if (next !== language || Object.keys(messages).length === 0) {
    messages = ((await import(CATALOGUE_URLS[next])) as { default: Record<string, Message> }).default
    formats.clear()
  }
  language = next
  pseudo = isPseudo
  document.documentElement.lang = isPseudo ? PSEUDO : next
  for (const element of elements) element.requestUpdate()
}

/** The languages offered, each named in itself ("English", "Français"). */
export const LANGUAGE_CHOICES = LANGUAGES.map((code) => {
  const name = new Intl.DisplayNames([code], { type: 'language' }).of(code) ?? code
  return { code, name: name.charAt(0).toLocaleUpperCase(code) + name.slice(1) }
})

// An unknown key shows as itself: test/i18n.test.ts fails on a key missing from a catalogue.
const parts = (key: string, values?: Values): unknown[] => messages[key]?.(values).flat(Infinity) ?? [key]

/** The message `key` as text. */
export function t(key: string, values?: Values): string {
  const text = parts(key, values).join('')
  return pseudo ? `⟦${text}⟧` : text
}

/** The message `key` as a template, its values drawn as they are: a template given as a value stays one. */
export function tt(key: string, values: Values = {}): TemplateResult {
  const body = parts(key, values)
  return pseudo ? html`⟦${body}⟧` : html`${body}`
}

/** Intl formatters for the current language, built once per language and options. */
const formats = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.DisplayNames | DurationFormat>()
function cached<T>(kind: string, options: object, make: () => T): T {
  const id = kind + JSON.stringify(options)
  let formatter = formats.get(id) as T | undefined
  if (!formatter) {
    formatter = make()
    formats.set(id, formatter as never)
  }
  return formatter
}
const numberFormat = (options: Intl.NumberFormatOptions) => cached('n', options, () => new Intl.NumberFormat(language, options))
const dateFormat = (options: Intl.DateTimeFormatOptions) => cached('d', options, () => new Intl.DateTimeFormat(language, { timeZone: 'UTC', ...options }))

/** A count; from 10,000 on, compact (12.3k, 12,3 k). */
export const formatCount = (n: number): string => numberFormat(n >= 10_000 ? { notation: 'compact', maximumFractionDigits: 1 } : {}).format(n)
/** A number with up to `digits` decimals (1,234.5 / 1 234,5). */
export const formatDecimal = (n: number, digits = 2): string => numberFormat({ maximumFractionDigits: digits }).format(n)
/** A percentage given out of 100 (42 → 42%, 42 %), with up to `digits` decimals (7.2 → 7.2%, 7,2 %). */
export const formatPercent = (n: number, digits = 0): string => numberFormat({ style: 'percent', maximumFractionDigits: digits }).format(n / 100)

interface DurationFormat {
  format(duration: { hours?: number; minutes?: number; seconds?: number }): string
}
type DurationOptions = { style: 'narrow'; secondsDisplay?: 'always' }
/** Seconds as a duration (1h 5m, 1 h 5 min): Intl.DurationFormat, or unit by unit with Intl.NumberFormat where it is missing. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds)
  const parts = s >= 3600 ? { hours: Math.floor(s / 3600), minutes: Math.floor((s % 3600) / 60) } : s >= 60 ? { minutes: Math.floor(s / 60), seconds: s % 60 } : { seconds: s }
  const DurationFormat = (Intl as unknown as { DurationFormat?: new (locale: string, options: DurationOptions) => DurationFormat }).DurationFormat
  if (DurationFormat) {
    // Under an hour the seconds show even when 0 ("0s", "2m 0s"); from an hour on they are left out.
    const options: DurationOptions = s >= 3600 ? { style: 'narrow' } : { style: 'narrow', secondsDisplay: 'always' }
    return cached('t', options, () => new DurationFormat(language, options)).format(parts)
  }
  return Object.entries(parts)
    .filter(([unit, n]) => n > 0 || unit === 'seconds')
    .map(([unit, n]) => numberFormat({ style: 'unit', unit: unit.slice(0, -1), unitDisplay: 'narrow' }).format(n))
    .join(' ')
}

/** A site-local "YYYY-MM-DD[ HH:MM:SS]" from the stats API, as a Date whose UTC fields are that wall time. */
export const wallTime = (local: string): Date => new Date(local.length > 10 ? local.replace(' ', 'T') + 'Z' : `${local}T00:00:00Z`)

/** Dates and times of the site's clock (the API gives them already in the site's time zone). */
export const formatDate = (local: string | Date, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium' }): string =>
  dateFormat(options).format(typeof local === 'string' ? wallTime(local) : local)

/** A country's name from its ISO 3166 code. */
export const regionName = (code: string): string => cached('r', {}, () => new Intl.DisplayNames([language], { type: 'region', fallback: 'code' })).of(code) ?? code

/** A formatted number kept machine-readable (and, for tests, told apart from words). */
export const number = (value: number, text: string): TemplateResult => html`<data value=${value}>${text}</data>`

/** A LitElement drawn again when the language changes. */
export class Localized extends LitElement {
  override connectedCallback(): void {
    super.connectedCallback()
    elements.add(this)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    elements.delete(this)
  }
}
