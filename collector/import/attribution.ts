/**
 * The collector's names for where a visit came from and in which country, in SQL, so that imported
 * events are named as collected ones are: a source from `utm_source` or the referrer's host
 * (collector/ingest/sources.ts, whose tables these are), a country's ISO code from its English name
 * (GA4 writes names).
 */
import { HOSTS, UTM_NAMES } from '../ingest/sources.ts'

/** The tables the expressions read, as query parameters. */
export const ATTRIBUTION_PARAMS = {
  // sourceFromReferrer's test of each host, as a regular expression: all of them are matched in one pass
  // (Hyperscan), where a lambda over the list would copy it for every row (1 M events: 1.4 GiB).
  src_patterns: HOSTS.map(([host]) => (host.endsWith('.') ? `(^|\\.)${escape(host)}` : `(^|\\.)${escape(host)}$`)),
  src_names: HOSTS.map(([, name]) => name),
  utm_keys: Object.keys(UTM_NAMES),
  utm_names: Object.values(UTM_NAMES),
  ...countryNames(),
}

/**
 * A visit's source, as sourceFromUtm / sourceFromReferrer name it. `utm`: the utm_source; `host`: the
 * referrer's host, lower case, without `www.`; `pageHost`: the page's. `{site:String}` is the site.
 */
export function sourceSql(utm: string, host: string, pageHost: string): string {
  return `multiIf(
    ${utm} != '', if(has({utm_keys:Array(String)}, lower(${utm})), {utm_names:Array(String)}[indexOf({utm_keys:Array(String)}, lower(${utm}))], ${utm}),
    ${referrerSourceSql(host, pageHost)})`
}

/** The referrer's part of sourceSql: '' for none or the site itself, the first known host's name, else the host. */
export function referrerSourceSql(host: string, pageHost: string): string {
  const index = `arrayMin(multiMatchAllIndices(${host}, {src_patterns:Array(String)}))`
  return `${host} = '' OR ${host} = ${pageHost} OR ${host} = {site:String} OR endsWith(${host}, concat('.', {site:String})), '',
    ${index} > 0, {src_names:Array(String)}[${index}],
    ${host}`
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A host as the collector keeps it: lower case, without `www.`. */
export const hostSql = (host: string) => `replaceRegexpOne(lower(${host}), '^www\\\\.', '')`

/** ISO code of a country's English name (`{country_names}` → `{country_codes}`), '' when unknown. */
export const countrySql = (name: string) => `{country_codes:Array(String)}[indexOf({country_names:Array(String)}, ${name})]`

/** Every ISO 3166-1 region's English name (ICU's, as Node has it), and the other names GA4 uses. */
function countryNames(): { country_names: string[]; country_codes: string[] } {
  const names = new Intl.DisplayNames('en', { type: 'region' })
  const pairs: [string, string][] = []
  const A = 'A'.charCodeAt(0)
  for (let i = 0; i < 26; i++) {
    for (let j = 0; j < 26; j++) {
      const code = String.fromCharCode(A + i, A + j)
      const name = names.of(code)
      // A code ICU replaces by another (DD, East Germany's, is named as DE) is not one to write.
      const current = (() => { try { return new Intl.Locale(`und-${code}`).maximize().region === code || Intl.getCanonicalLocales(`und-${code}`)[0] === `und-${code}` } catch { return false } })()
      if (name && name !== code && current) pairs.push([name, code])
    }
  }
  const aliases: [string, string][] = [
    ['Turkey', 'TR'], ['Czech Republic', 'CZ'], ['Hong Kong', 'HK'], ['Macao', 'MO'], ['Macau', 'MO'], ['Myanmar (Burma)', 'MM'],
    ["Côte d'Ivoire", 'CI'], ['Ivory Coast', 'CI'], ['Congo - Kinshasa', 'CD'], ['Congo - Brazzaville', 'CG'], ['Palestine', 'PS'],
    ['Russian Federation', 'RU'], ['Korea', 'KR'], ['Vietnam', 'VN'], ['Swaziland', 'SZ'], ['Macedonia', 'MK'], ['Cape Verde', 'CV'],
  ]
  const all = [...pairs, ...aliases.filter(([name]) => !pairs.some(([n]) => n === name))]
  return { country_names: all.map(([name]) => name), country_codes: all.map(([, code]) => code) }
}
