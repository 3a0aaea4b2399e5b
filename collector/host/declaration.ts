/**
 * What a site's privacy policy says about Cairn, generated from the configuration that is actually in
 * force, in the visitors' language: the cookie declaration (the table sites publish) and the notice on
 * audience measurement. The wording is the catalogues' (`legal.*` in dashboard/i18n), written against the
 * CNIL's conditions for consent-exempt audience measurement, with the policy's cookie categories:
 * necessary, statistical, advertising (Cairn sets none of the last).
 */
import { LOGIN_COOKIE } from '../../dashboard/server/auth/credentials.ts'
import { LOGIN_DAYS } from '../../dashboard/server/auth/access.ts'
import type { Language } from '../../dashboard/i18n/languages.ts'
import { translator, type Translate } from '../../dashboard/i18n/translate.ts'
import type { Config } from './config.ts'
import { OPT_OUT_KEY } from '../../tracker/src/opt-out-key.ts'
import { COOKIE_NAME } from '../ingest/visitor.ts'

/** The longest the CNIL lets audience-measurement data be kept without consent. */
export const CNIL_MAX_RETENTION_MONTHS = 25

export type CookieCategory = 'necessary' | 'statistical' | 'advertising'

export interface DeclaredCookie {
  name: string
  category: CookieCategory
  purpose: string
  lifetime: string
  recipient: string
}

/** Every cookie the Cairn server can set, in `language`. */
export function declaredCookies(config: Config, language: Language): DeclaredCookie[] {
  const say = translator(language)
  const site = config.seedSites[0]?.site ?? say('legal.thisSite')
  return [
    {
      name: COOKIE_NAME,
      category: 'statistical',
      purpose: say('legal.cookie.visitor.purpose'),
      lifetime: say('legal.cookie.visitor.lifetime', { days: config.cookieDays }),
      recipient: say('legal.cookie.visitor.recipient', { site }),
    },
    {
      name: LOGIN_COOKIE,
      category: 'necessary',
      purpose: say('legal.cookie.login.purpose'),
      lifetime: say('legal.cookie.login.lifetime', { days: LOGIN_DAYS }),
      recipient: say('legal.cookie.login.recipient', { site }),
    },
  ]
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
/** `code` in a message, as HTML. */
const codeToHtml = (text: string) => escape(text).replace(/`([^`]+)`/g, '<code>$1</code>')

const COLUMNS = ['name', 'category', 'purpose', 'lifetime', 'recipient'] as const
const cells = (c: DeclaredCookie, say: Translate) => [c.name, say('legal.category', { category: c.category }), c.purpose, c.lifetime, c.recipient]

export function cookieDeclaration(config: Config, format: 'markdown' | 'html', language: Language): string {
  const say = translator(language)
  const cookies = declaredCookies(config, language)
  const headers = COLUMNS.map((c) => say(`legal.column.${c}`))
  const notes = [say('legal.cookie.noAdvertising'), say('legal.cookie.storage', { key: OPT_OUT_KEY })]
  if (format === 'markdown') {
    return [
      `| ${headers.join(' | ')} |`,
      `|${headers.map(() => '---').join('|')}|`,
      ...cookies.map((c) => `| ${cells(c, say).map((v, i) => (i === 0 ? `\`${v}\`` : v.replace(/\|/g, '\\|'))).join(' | ')} |`),
      '',
      ...notes.flatMap((n) => [n, '']),
    ].join('\n')
  }
  return [
    `<table class="cookie-declaration" lang="${language}">`,
    `  <thead><tr>${headers.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead>`,
    '  <tbody>',
    ...cookies.map((c) => `    <tr>${cells(c, say).map((v, i) => (i === 0 ? `<td><code>${escape(v)}</code></td>` : `<td>${escape(v)}</td>`)).join('')}</tr>`),
    '  </tbody>',
    '</table>',
    ...notes.map((n) => `<p lang="${language}">${codeToHtml(n)}</p>`),
    '',
  ].join('\n')
}

/** The notice's paragraphs, in order: who measures and why, what, without consent, with consent, how long, the visitor's rights. */
export function privacyNotice(config: Config, format: 'text' | 'html', language: Language): string {
  const say = translator(language)
  const paragraphs = [
    say('legal.notice.purpose'),
    say('legal.notice.data', { ipv4Prefix: String(config.ipv4Prefix), ipv6Prefix: config.ipv6Prefix }),
    say('legal.notice.cookieless', { exempt: config.retentionMonths <= CNIL_MAX_RETENTION_MONTHS }),
    say('legal.notice.consent', { cookie: COOKIE_NAME, days: config.cookieDays }),
    say('legal.notice.retention', { months: config.retentionMonths }),
    say('legal.notice.rights'),
  ]
  const title = say('legal.notice.title')
  return format === 'text'
    ? [title, ...paragraphs].join('\n\n') + '\n'
    : [`<section class="audience-measurement" lang="${language}">`, `<h2>${escape(title)}</h2>`, ...paragraphs.map((p) => `<p>${codeToHtml(p)}</p>`), '</section>', ''].join('\n')
}

/** For the admin, not the visitors: a retention longer than the CNIL's exemption allows, or undefined. */
export function retentionWarning(config: Config, language: Language): string | undefined {
  return config.retentionMonths > CNIL_MAX_RETENTION_MONTHS
    ? translator(language)('cli.retentionBeyondCnil', { months: config.retentionMonths, max: CNIL_MAX_RETENTION_MONTHS })
    : undefined
}
