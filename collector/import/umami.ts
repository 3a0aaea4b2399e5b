/**
 * Umami's `website_event` table, as a CSV dump with its header (`\copy website_event TO 'file.csv' CSV
 * HEADER`, or the same of one website's rows), as Cairn events; and, when given too, its `session` table
 * dumped the same way, for each visitor's browser, OS, device and country (Umami keeps them there).
 *
 * - event_type 1 → pageview, 2 → a custom event of its `event_name`; others are left out. Umami's custom
 *   event data (`event_data`, another table) is not read.
 * - A visitor is Umami's `session_id` (one per visitor and website), a visit its `visit_id`, both hashed
 *   with a key the import draws and forgets; a dump without visit ids makes a visit of a visitor's day.
 * - The page is `url_path`; the source, referrer and UTM values come from the visit's first event (the
 *   `utm_*` columns, else `url_query`'s, else `referrer_domain`), named as the collector names them.
 * - Rows whose `hostname` is another site's are left out (a dump of every website: only this site's are
 *   read); a file with none of this site's rows is refused, and so is a dump of several websites without
 *   the `hostname` column (older versions of Umami: nothing tells which rows are this site's).
 * - Browsers and operating systems are named as the collector names them (`chrome` → Chrome, `Mac OS` →
 *   macOS, `Windows 10` → Windows 10); a `laptop` is a desktop.
 */
import { hostSql, referrerSourceSql, sourceSql } from './attribution.ts'
import type { Format, ReadPlan } from './format.ts'
import { withVisitAttributes } from './visits.ts'

const EVENT_STRUCTURE = [
  'website_id String', 'session_id String', 'visit_id String', 'created_at String', 'url_path String', 'url_query String',
  'utm_source String', 'utm_medium String', 'utm_campaign String', 'utm_content String', 'utm_term String',
  'referrer_path String', 'referrer_domain String', 'event_type UInt8', 'event_name String', 'hostname String',
].join(', ')

const SESSION_STRUCTURE = 'session_id String, browser String, os String, device String, country String'

const BROWSERS: [string, string][] = [
  ['chrome', 'Chrome'], ['crios', 'Chrome'], ['chromium-webview', 'Chrome WebView'], ['firefox', 'Firefox'], ['fxios', 'Firefox'],
  ['safari', 'Safari'], ['ios', 'Safari'], ['ios-webview', 'Safari'], ['edge', 'Edge'], ['edge-chromium', 'Edge'], ['edge-ios', 'Edge'],
  ['samsung', 'Samsung Internet'], ['opera', 'Opera'], ['opera-mini', 'Opera Mini'], ['yandexbrowser', 'Yandex'], ['facebook', 'Facebook'],
  ['instagram', 'Instagram'], ['android', 'Android Browser'], ['silk', 'Silk'], ['miui', 'MIUI Browser'], ['brave', 'Brave'], ['ie', 'IE'],
]
const OSES: [string, string][] = [['Mac OS', 'macOS'], ['Android OS', 'Android'], ['Chrome OS', 'Chrome OS'], ['iOS', 'iOS'], ['Linux', 'Linux']]
const list = (values: string[]) => `[${values.map((v) => `'${v}'`).join(', ')}]`

/** Umami's OS names: "Windows 10" is Windows, version 10; the others are renamed as the collector names them. */
const osName = `multiIf(startsWith(os, 'Windows'), 'Windows', transform(os, ${list(OSES.map(([u]) => u))}, ${list(OSES.map(([, c]) => c))}, os))`
const osVersion = `if(startsWith(os, 'Windows '), substring(os, 9), '')`

const belongs = (host: string) => `(${host} = '' OR ${host} IN {domains:Array(String)} OR arrayExists(d -> endsWith(${host}, concat('.', d)), {domains:Array(String)}))`

const insertEvents = (source: string, staging: string) => `
  INSERT INTO ${staging} (site, timestamp, name, visitor_id, session_id, session_start, consent, interactive, hostname, pathname, referrer, referrer_source,
                          utm_source, utm_medium, utm_campaign, utm_content, utm_term, ip_truncated, props, import_id)
  SELECT {site:String}, time, kind, visitor, visit, time, false, true, host, if(url_path = '', '/', url_path), referrer_kept, referrer_source,
         utm_source_, utm_medium_, utm_campaign_, utm_content_, utm_term_, toIPv6('::'), map('umami_website', website_id), {id:UInt32}
  FROM (
    SELECT *,
      parseDateTime64BestEffortOrZero(created_at, 3, 'UTC') AS time,
      ${hostSql('hostname')} AS host,
      multiIf(NOT ${belongs('host')}, '', event_type = 1, 'pageview', event_type = 2 AND event_name != '', event_name, '') AS kind,
      sipHash64({key:String}, session_id) AS visitor,
      if(visit_id != '', sipHash64({key:String}, visit_id), sipHash64({key:String}, session_id, toDate(time))) AS visit,
      concat('?', url_query) AS query,
      if(utm_source != '', utm_source, extractURLParameter(query, 'utm_source')) AS utm_source_,
      if(utm_medium != '', utm_medium, extractURLParameter(query, 'utm_medium')) AS utm_medium_,
      if(utm_campaign != '', utm_campaign, extractURLParameter(query, 'utm_campaign')) AS utm_campaign_,
      if(utm_content != '', utm_content, extractURLParameter(query, 'utm_content')) AS utm_content_,
      if(utm_term != '', utm_term, extractURLParameter(query, 'utm_term')) AS utm_term_,
      ${hostSql('referrer_domain')} AS referrer_host,
      multiIf(${referrerSourceSql('referrer_host', "if(host = '', {site:String}, host)")}) AS from_referrer,
      ${sourceSql('utm_source_', 'referrer_host', "if(host = '', {site:String}, host)")} AS referrer_source,
      if(from_referrer != '', concat(referrer_domain, if(referrer_path IN ('', '/'), '', referrer_path)), '') AS referrer_kept
    FROM ${source})`

const insertSessions = (source: string, staging: string) => `
  INSERT INTO ${staging}_sessions
  SELECT sipHash64({key:String}, session_id), transform(lower(browser), ${list(BROWSERS.map(([u]) => u))}, ${list(BROWSERS.map(([, c]) => c))}, browser),
         ${osName}, ${osVersion}, if(lower(device) = 'laptop', 'desktop', lower(device)), upper(country)
  FROM ${source}`

export const umami: Format = {
  kind: 'umami',
  plan(_file, type, head): ReadPlan | string | null {
    if (type !== 'text') return 'api.import.file.notUmami'
    const columns = head.split(',').map((c) => c.trim().replace(/^"|"$/g, ''))
    if (columns.includes('event_type') && columns.includes('session_id')) return { format: 'CSVWithNames', structure: EVENT_STRUCTURE, insert: insertEvents }
    if (columns.includes('browser') && columns.includes('session_id')) {
      return { format: 'CSVWithNames', structure: SESSION_STRUCTURE, insert: insertSessions, counted: (staging) => `${staging}_sessions` }
    }
    return 'api.import.file.notUmami'
  },
  // Without a hostname column, a dump of several websites cannot be told apart: refused (the staged rows
  // keep their website until published).
  check: {
    sql: (staging) => `SELECT uniqExactIf(props['umami_website'], name != '' AND hostname = '') > 1 AS bad FROM ${staging}`,
    problem: 'api.import.file.umamiWebsites',
  },
  sideTables: (staging) => [{
    name: `${staging}_sessions`,
    create: `CREATE TABLE IF NOT EXISTS ${staging}_sessions (visitor_id UInt64, browser String, os String, os_version String, device String, country String) ENGINE = MergeTree ORDER BY visitor_id`,
  }],
  // The visits' first events give their attribution; the sessions' dump each visitor's device.
  publish: (from, staging) => `
    SELECT e.* REPLACE (
      map() AS props,
      if(s.visitor_id != 0, s.browser, e.browser) AS browser, if(s.visitor_id != 0, s.os, e.os) AS os,
      if(s.visitor_id != 0, s.os_version, e.os_version) AS os_version, if(s.visitor_id != 0, s.device, e.device) AS device,
      if(s.visitor_id != 0, s.country, e.country_code) AS country_code)
    FROM (${withVisitAttributes(from)}) AS e
    LEFT JOIN (SELECT visitor_id, any(browser) AS browser, any(os) AS os, any(os_version) AS os_version, any(device) AS device, any(country) AS country
               FROM ${staging}_sessions GROUP BY visitor_id) AS s ON e.visitor_id = s.visitor_id`,
}
