/**
 * The languages Cairn speaks. Adding one is a catalogue beside this file (`xx.json`, every key of
 * `en.json`) and its code in LANGUAGES; test/i18n.test.ts fails on a missing key.
 */
export const LANGUAGES = ['en', 'fr'] as const
export type Language = (typeof LANGUAGES)[number]
export const DEFAULT_LANGUAGE: Language = 'en'

/** Keys the dashboard's browser catalogue holds; the others (API, CLI, legal texts) stay on the server. */
export const BROWSER_KEYS = /^(ui|period|metric|dimension|value)\./

/**
 * The best language of LANGUAGES for an Accept-Language header, a tag such as `fr-FR`, a POSIX locale
 * such as `fr_FR.UTF-8`, or a list of tags in preference order.
 */
export function negotiate(wanted: string | readonly string[] | null | undefined): Language {
  const tags = typeof wanted === 'string' ? wanted.split(',') : (wanted ?? [])
  const ranked = tags
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? 1)
      return { language: tag.trim().toLowerCase().split(/[-_.]/)[0]!, q: Number.isFinite(q) ? q : 0, i }
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
  return (ranked.map((t) => t.language).find((l) => (LANGUAGES as readonly string[]).includes(l)) as Language | undefined) ?? DEFAULT_LANGUAGE
}
