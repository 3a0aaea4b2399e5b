/**
 * Messages for the server and the CLI, from the same catalogues as the dashboard: ICU MessageFormat
 * (plurals, selects, numbers by Intl) compiled by messageformat (@messageformat/core), the library that
 * compiles the dashboard's catalogues too (dashboard/build.ts).
 */
import { readFileSync } from 'node:fs'
import messageformat, { type MessageFunction } from '@messageformat/core'
import { DEFAULT_LANGUAGE, LANGUAGES, negotiate, type Language } from './languages.ts'

/** A list of words, joined by the language's "and" or "or" (Intl.ListFormat): `anyOf(['json', 'csv'])` → "json or csv". */
export class List {
  constructor(
    readonly items: readonly string[],
    readonly type: 'conjunction' | 'disjunction',
  ) {}
}
export const anyOf = (items: readonly string[]) => new List(items, 'disjunction')
export const allOf = (items: readonly string[]) => new List(items, 'conjunction')

export type Values = Record<string, string | number | boolean | Date | List | null | undefined>
export type Translate = (key: string, values?: Values) => string

/** Every language's catalogue, read once. */
export const CATALOGUES: Record<Language, Record<string, string>> = Object.fromEntries(
  LANGUAGES.map((l) => [l, JSON.parse(readFileSync(new URL(`./${l}.json`, import.meta.url), 'utf8')) as Record<string, string>]),
) as Record<Language, Record<string, string>>

/** The package is CommonJS (`module.exports` is the class) but typed as an ES module's default export. */
export const MessageFormat = messageformat as unknown as typeof messageformat.default

const compilers = new Map<Language, InstanceType<typeof MessageFormat<'string'>>>()
const compiled = new Map<string, MessageFunction<'string'>>()

/** Formats `key` in `language`; a key a language lacks falls back to English, and an unknown key is an error. */
export function translator(language: Language): Translate {
  return (key, values) => {
    const id = `${language}\0${key}`
    let format = compiled.get(id)
    if (!format) {
      const message = CATALOGUES[language][key] ?? CATALOGUES[DEFAULT_LANGUAGE][key]
      if (message === undefined) throw new Error(`no message "${key}" in the catalogues`)
      let compiler = compilers.get(language)
      if (!compiler) compilers.set(language, (compiler = new MessageFormat<'string'>(language, { requireAllArguments: true })))
      format = compiler.compile(message)
      compiled.set(id, format)
    }
    const plain = values && Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v instanceof List ? new Intl.ListFormat(language, { type: v.type }).format(v.items) : v]))
    return format(plain ?? {})
  }
}

/** English, for what is not read by a person in a chosen language: logs, exceptions' own messages. */
export const english = translator(DEFAULT_LANGUAGE)

/** The CLI's language: the POSIX locale (LC_ALL, then LC_MESSAGES, then LANG), as other commands do. */
export const terminalLanguage = (env: NodeJS.ProcessEnv = process.env): Language =>
  negotiate(env.LC_ALL || env.LC_MESSAGES || env.LANG || DEFAULT_LANGUAGE)
