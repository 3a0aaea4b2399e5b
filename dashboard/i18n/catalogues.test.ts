/**
 * The catalogues: every language has every key of English and no other, each message compiles, uses the
 * same arguments as English's, and every key the code names exists. French follows French typography
 * (a no-break space before `:`, `;`, `?`, `!` and inside « »), as a French reader expects.
 */
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { parse, type Token } from '@messageformat/parser'
import { describe, expect, it } from 'vitest'
import { BROWSER_KEYS, LANGUAGES, negotiate } from './languages.ts'
import { CATALOGUES, MessageFormat, anyOf, terminalLanguage, translator } from './translate.ts'
import { DIMENSIONS, PANELS } from '../../sql/dimensions.ts'

const ROOT = new URL('../../', import.meta.url).pathname
const english = CATALOGUES.en

/** The names of a message's arguments (and of its selects' and plurals'), sorted. */
function argumentsOf(message: string): string[] {
  const names = new Set<string>()
  const visit = (tokens: Token[]) => {
    for (const token of tokens) {
      if (token.type === 'argument' || token.type === 'function') names.add(token.arg)
      if (token.type === 'select' || token.type === 'plural' || token.type === 'selectordinal') {
        names.add(token.arg)
        for (const c of token.cases) visit(c.tokens)
      }
    }
  }
  visit(parse(message))
  return [...names].sort()
}

describe('the catalogues', () => {
  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s has exactly the keys of English', (language) => {
    const keys = Object.keys(CATALOGUES[language])
    expect(Object.keys(english).filter((k) => !keys.includes(k)), 'missing').toEqual([])
    expect(keys.filter((k) => !(k in english)), 'not in English').toEqual([])
  })

  it.each(LANGUAGES)('%s: every message compiles and takes the arguments English takes', (language) => {
    const compiler = new MessageFormat(language)
    for (const [key, message] of Object.entries(CATALOGUES[language])) {
      expect(() => compiler.compile(message), key).not.toThrow()
      expect(argumentsOf(message), key).toEqual(argumentsOf(english[key]!))
      expect(message.trim(), key).not.toBe('')
    }
  })

  it('follows French typography: no-break spaces before two-part punctuation and inside guillemets', () => {
    for (const [key, message] of Object.entries(CATALOGUES.fr)) {
      expect(message, key).not.toMatch(/ [:;?!»]|« /)
      // Typographic apostrophes: an ASCII one is a quoting character in ICU messages.
      expect(message, key).not.toMatch(/[a-zé]'[a-zéèêàâîôû]/i)
    }
  })

  it('has every key the code names', () => {
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', 'dashboard', 'collector'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.ts') && !f.includes('/dist/'))
    const named = new Set<string>()
    for (const file of files) {
      for (const [, key] of readFileSync(ROOT + file, 'utf8').matchAll(/['"`]((?:ui|api|cli|legal|period|metric|value|dimension)\.[\w.]+)['"`]/g)) named.add(key!)
    }
    expect(named.size).toBeGreaterThan(100)
    expect([...named].filter((k) => !(k in english))).toEqual([])
    // Keys built from data: each dimension's label (and its tab when it has a panel), each panel.
    for (const d of DIMENSIONS) {
      expect(english, d.name).toHaveProperty([`dimension.${d.name}.label`])
      if ('panel' in d.breakdown) expect(english, d.name).toHaveProperty([`dimension.${d.name}.tab`])
    }
    for (const panel of PANELS) expect(english).toHaveProperty([`ui.panel.${panel}`])
  })

  it('keeps the browser’s catalogue to the dashboard’s keys', () => {
    expect(Object.keys(english).filter((k) => BROWSER_KEYS.test(k)).every((k) => !k.startsWith('legal.') && !k.startsWith('cli.'))).toBe(true)
    expect(Object.keys(english).some((k) => k.startsWith('legal.') && BROWSER_KEYS.test(k))).toBe(false)
  })
})

describe('choosing a language', () => {
  it.each([
    ['fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7', 'fr'],
    ['de-DE,de;q=0.9,fr;q=0.5', 'fr'],
    ['en-GB,fr;q=0.9', 'en'],
    ['fr;q=0, en', 'en'],
    ['*', 'en'],
    ['', 'en'],
    [undefined, 'en'],
    [['fr-CA', 'en'], 'fr'],
    ['fr_FR.UTF-8', 'fr'],
    ['C.UTF-8', 'en'],
  ] as const)('%o → %s', (wanted, language) => {
    expect(negotiate(wanted)).toBe(language)
  })

  it('takes the terminal’s from LC_ALL, then LC_MESSAGES, then LANG', () => {
    expect(terminalLanguage({ LANG: 'fr_FR.UTF-8' })).toBe('fr')
    expect(terminalLanguage({ LANG: 'fr_FR.UTF-8', LC_ALL: 'C' })).toBe('en')
    expect(terminalLanguage({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'fr_BE.UTF-8' })).toBe('fr')
    expect(terminalLanguage({})).toBe('en')
  })
})

describe('formatting by Intl', () => {
  it('writes numbers, plurals and lists the language’s way', () => {
    const fr = translator('fr')
    const en = translator('en')
    // fr-FR groups thousands with a narrow no-break space.
    expect(fr('cli.demo.wrote', { count: 1234, site: 'a.example' })).toBe('1\u202f234 événements de démonstration écrits pour a.example')
    expect(en('cli.demo.wrote', { count: 1234, site: 'a.example' })).toBe('wrote 1,234 demo events for a.example')
    expect(fr('legal.cookie.visitor.lifetime', { days: 1 })).toMatch(/^1 jour à/)
    expect(fr('legal.cookie.visitor.lifetime', { days: 90 })).toMatch(/^90 jours à/)
    expect(fr('api.field.oneOf', { choices: anyOf(['json', 'csv', 'tsv']) })).toBe('doit valoir json, csv ou tsv')
    expect(en('api.field.oneOf', { choices: anyOf(['json', 'csv', 'tsv']) })).toBe('must be json, csv, or tsv')
  })
})
