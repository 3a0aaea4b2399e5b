/**
 * Google Analytics 4's BigQuery export (the daily `events_YYYYMMDD` tables, exported as newline-delimited
 * JSON or Parquet, gzipped or not; schema: support.google.com/analytics/answer/7029846) as Cairn events.
 *
 * - `page_view` → pageview, `file_download` → download (its `link_url` without query, as the collector
 *   keeps it: a query can hold a token), `click` with `outbound` → outbound (its `link_url`), `user_engagement` → engagement (`engagement_time_msec`); GA4's bookkeeping events
 *   (`session_start`, `first_visit`, `scroll`) are left out, and so are
 *   events without a `user_pseudo_id` (consent mode's cookieless pings). Every other event is a custom
 *   event of its name, its parameters (GA4's own left out) its properties.
 * - A visitor is `user_pseudo_id`, a visit (`ga_session_id`) within it, both hashed with a key the import
 *   draws and forgets: the ids cannot be linked back to GA4's, nor to another import's.
 * - The page is `page_location`'s path; the source, referrer and UTM values come from the visit's first
 *   event (`collected_traffic_source`, else the URL's `utm_*`, else `page_referrer`), named as the
 *   collector names them; never `traffic_source`, which is the user's first acquisition.
 * - Browser, OS, device and country as GA4 has them, the country's name made its ISO code, versions cut to
 *   what the collector keeps (major; major.minor).
 */
import { countrySql, hostSql, referrerSourceSql, sourceSql } from './attribution.ts'
import type { Format, ReadPlan } from './format.ts'
import { withVisitAttributes } from './visits.ts'

const STRUCTURE = [
  'event_timestamp Int64',
  'event_name String',
  'event_params Array(Tuple(key String, value Tuple(string_value Nullable(String), int_value Nullable(Int64), float_value Nullable(Float64), double_value Nullable(Float64))))',
  'user_pseudo_id Nullable(String)',
  'device Tuple(category Nullable(String), operating_system Nullable(String), operating_system_version Nullable(String), web_info Tuple(browser Nullable(String), browser_version Nullable(String), hostname Nullable(String)))',
  'geo Tuple(country Nullable(String))',
  'collected_traffic_source Tuple(manual_source Nullable(String), manual_medium Nullable(String), manual_campaign_name Nullable(String), manual_content Nullable(String), manual_term Nullable(String))',
].join(', ')

/** Parameters GA4 sets itself: not a custom event's properties. */
const OWN_PARAMS = [
  'ga_session_id', 'ga_session_number', 'page_location', 'page_referrer', 'page_title', 'engagement_time_msec', 'session_engaged',
  'engaged_session_event', 'entrances', 'ignore_referrer', 'batch_page_id', 'batch_ordering_id', 'debug_mode', 'term', 'medium', 'source', 'campaign',
  'firebase_conversion', 'synthetic_bundle',
]

/** A parameter's value as text, whichever of its fields holds it (`params`: them all as a map, made once a row). */
const param = (key: string) => `params['${key}']`
const PARAMS = `CAST((arrayMap(p -> p.key, event_params),
  arrayMap(p -> coalesce(p.value.string_value, toString(p.value.int_value), toString(p.value.double_value), toString(p.value.float_value), ''), event_params)), 'Map(String, String)')`
/** GA4 writes these for "nothing": '(not set)', '(direct)', '(none)'. */
const known = (text: string) => `if(ifNull(${text}, '') IN ('(not set)', '(direct)', '(none)', '(data deleted)'), '', ifNull(${text}, ''))`
const utm = (manual: string, query: string) => `if(${known(`collected_traffic_source.${manual}`)} != '', ${known(`collected_traffic_source.${manual}`)}, extractURLParameter(location, '${query}'))`

const INSERT = (source: string, staging: string) => `
  INSERT INTO ${staging} (site, timestamp, name, visitor_id, session_id, session_start, consent, interactive, hostname, pathname, referrer, referrer_source,
                          utm_source, utm_medium, utm_campaign, utm_content, utm_term, link_url, browser, browser_version, os, os_version, device,
                          country_code, ip_truncated, props, engagement_ms, scroll_depth, import_id)
  SELECT {site:String}, time, kind, visitor, visit, time, false, true, host, page, referrer_kept, referrer_source, utm_source, utm_medium, utm_campaign,
         utm_content, utm_term, multiIf(kind = 'download', cutQueryStringAndFragment(${param('link_url')}), kind = 'outbound', ${param('link_url')}, ''), browser, browser_version, os, os_version, device_kind, country,
         toIPv6('::'), properties, engagement, 0, {id:UInt32}
  FROM (
    SELECT *,
      ${PARAMS} AS params,
      toDateTime64(fromUnixTimestamp64Micro(event_timestamp), 3, 'UTC') AS time,
      multiIf(ifNull(user_pseudo_id, '') = '', '',
              event_name = 'page_view', 'pageview',
              event_name = 'file_download', 'download',
              event_name = 'click' AND ${param('outbound')} IN ('true', '1'), 'outbound',
              event_name = 'user_engagement', 'engagement',
              event_name IN ('session_start', 'first_visit', 'scroll'), '',
              event_name) AS kind,
      sipHash64({key:String}, ifNull(user_pseudo_id, '')) AS visitor,
      sipHash64({key:String}, ifNull(user_pseudo_id, ''), ${param('ga_session_id')}) AS visit,
      ${param('page_location')} AS location,
      ${hostSql(`if(ifNull(device.web_info.hostname, '') != '', device.web_info.hostname, domain(location))`)} AS host,
      if(path(location) = '', '/', decodeURLComponent(path(location))) AS page,
      ${param('page_referrer')} AS referrer_url,
      ${hostSql('domain(referrer_url)')} AS referrer_host,
      ${utm('manual_source', 'utm_source')} AS utm_source,
      ${utm('manual_medium', 'utm_medium')} AS utm_medium,
      ${utm('manual_campaign_name', 'utm_campaign')} AS utm_campaign,
      ${utm('manual_content', 'utm_content')} AS utm_content,
      ${utm('manual_term', 'utm_term')} AS utm_term,
      multiIf(${referrerSourceSql('referrer_host', 'host')}) AS from_referrer,
      ${sourceSql('utm_source', 'referrer_host', 'host')} AS referrer_source,
      -- As the collector keeps a referrer: host and path, and only one that is a source.
      if(from_referrer != '', concat(domain(referrer_url), if(path(referrer_url) IN ('', '/'), '', path(referrer_url))), '') AS referrer_kept,
      ${known('device.web_info.browser')} AS browser,
      splitByChar('.', ${known('device.web_info.browser_version')})[1] AS browser_version,
      if(${known('device.operating_system')} = 'Macintosh', 'macOS', ${known('device.operating_system')}) AS os,
      replaceRegexpOne(extract(${known('device.operating_system_version')}, '(\\\\d+(?:\\\\.\\\\d+)?)'), '\\\\.0$', '') AS os_version,
      lower(${known('device.category')}) AS device_kind,
      ${countrySql(known('geo.country'))} AS country,
      if(kind NOT IN ('', 'pageview', 'download', 'outbound', 'engagement'),
         mapFilter((k, v) -> k NOT IN (${OWN_PARAMS.map((k) => `'${k}'`).join(', ')}), params), map()) AS properties,
      if(kind = 'engagement', toUInt32(least(greatest(toInt64OrZero(${param('engagement_time_msec')}), 0), 4294967295)), 0) AS engagement
    FROM ${source})`

export const ga4: Format = {
  kind: 'ga4',
  plan(file, type, head, inZip): ReadPlan | string | null {
    if (type === 'parquet') return { format: 'Parquet', structure: STRUCTURE, insert: INSERT }
    if (head.trimStart().startsWith('{')) return { format: 'JSONEachRow', structure: STRUCTURE, insert: INSERT }
    return inZip && !/\.(json|ndjson|jsonl)$/.test(file.name) ? null : 'api.import.file.notGa4'
  },
  publish: withVisitAttributes,
}
