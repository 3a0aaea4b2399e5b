/**
 * What a site's privacy policy says about Cairn, generated from the configuration that is actually in
 * force: the cookie declaration (the table sites publish) and a plain-language notice.
 */
import { LOGIN_COOKIE } from '../../dashboard/server/auth/credentials.ts'
import { LOGIN_DAYS } from '../../dashboard/server/auth/access.ts'
import type { Config } from './config.ts'
import { OPT_OUT_KEY } from '../../tracker/src/opt-out-key.ts'
import { COOKIE_NAME } from '../ingest/visitor.ts'

export interface DeclaredCookie {
  name: string
  recipient: string
  category: 'Statistics (needs consent)' | 'Strictly necessary'
  expiration: string
  description: string
}

/** Every cookie the Cairn server can set. */
export function declaredCookies(config: Config): DeclaredCookie[] {
  const site = config.sites[0] ?? 'this site'
  return [
    {
      name: COOKIE_NAME,
      recipient: `${site} (first party, its own Cairn server); not shared with anyone`,
      category: 'Statistics (needs consent)',
      expiration: `${config.cookieDays} days from when it is first set; never extended`,
      description:
        'Set only after you consent to statistics, to recognise your browser on later visits. Holds a random identifier and its creation date, nothing else. Without consent, or with Global Privacy Control or Do Not Track, no cookie is set and visits are counted anonymously.',
    },
    {
      name: LOGIN_COOKIE,
      recipient: `${site} (first party)`,
      category: 'Strictly necessary',
      expiration: `${LOGIN_DAYS} days, or until logging out`,
      description: 'Keeps staff logged in to the analytics dashboard. Never set for visitors of the site.',
    },
  ]
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const COLUMNS = ['Name', 'Recipient', 'Category', 'Expiration', 'Description'] as const
const cells = (c: DeclaredCookie) => [c.name, c.recipient, c.category, c.expiration, c.description]
const STORAGE_NOTE = `The script stores one item in your browser's local storage, \`${OPT_OUT_KEY}\`, only if you opt out of being counted, so that the choice is kept; it holds no identifier.`

export function cookieDeclaration(config: Config, format: 'markdown' | 'html'): string {
  const cookies = declaredCookies(config)
  if (format === 'markdown') {
    return [
      `| ${COLUMNS.join(' | ')} |`,
      `|${COLUMNS.map(() => '---').join('|')}|`,
      ...cookies.map((c) => `| ${cells(c).map((v, i) => (i === 0 ? `\`${v}\`` : v.replace(/\|/g, '\\|'))).join(' | ')} |`),
      '',
      STORAGE_NOTE,
      '',
    ].join('\n')
  }
  return [
    '<table class="cookie-declaration">',
    `  <thead><tr>${COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr></thead>`,
    '  <tbody>',
    ...cookies.map((c) => `    <tr>${cells(c).map((v, i) => (i === 0 ? `<td><code>${escape(v)}</code></td>` : `<td>${escape(v)}</td>`)).join('')}</tr>`),
    '  </tbody>',
    '</table>',
    `<p>${escape(STORAGE_NOTE).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`,
    '',
  ].join('\n')
}

export function privacyNotice(config: Config, format: 'text' | 'html'): string {
  const v4 = config.ipv4Prefix === 24 ? 'its last of four parts' : 'its last two of four parts'
  const paragraphs = [
    `This site measures its audience with Cairn, which runs on the site's own server: nothing is sent to a third party. For each page you view it records the page, the referring site, your browser, operating system and device type, and your country. Your IP address is shortened on arrival (${v4} for IPv4, all but the first ${config.ipv6Prefix} bits for IPv6) before anything else sees it; the full address is never stored.`,
    `If you consent to statistics, a cookie (${COOKIE_NAME}) recognises your browser on later visits for ${config.cookieDays} days from when it is first set; it is never extended. Without consent — or if your browser sends Global Privacy Control or Do Not Track — no cookie is set and visits are counted with an anonymous daily identifier computed from a random key that is deleted after 48 hours, so visits on different days cannot be linked.`,
    `The data is kept for ${config.retentionMonths} months, then deleted. You can see everything stored about your consented visits, take it with you, or have it erased from this page at any time; you can also stop being counted in this browser. For anything else, contact the site's data protection officer.`,
  ]
  return format === 'text' ? paragraphs.join('\n\n') + '\n' : paragraphs.map((p) => `<p>${escape(p)}</p>`).join('\n') + '\n'
}
