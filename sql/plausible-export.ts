/**
 * A site's history in Plausible CE's CSV export format, so that leaving for Plausible is as easy as coming
 * from it: the daily aggregate tables its "Import from CSV" reads (`imported_visitors`, `imported_sources`,
 * …), one CSV file each named `imported_<table>_<first>_<last>.csv` (YYYYMMDD, the site's days), with its
 * columns in its order. Cairn's definitions fill them (docs/stats-api.md): visitors are exact distinct
 * visitor ids, a visit's duration is in seconds, a bounce is Cairn's.
 *
 * What Cairn does not keep is left empty, as Plausible leaves it when unknown: regions and cities, a
 * page's scroll depth outside engagement events. A visit is dated by its start (Plausible's sessions by
 * their last event): the day the dashboard counts it in. Devices are written as Plausible names its (`Desktop`,
 * `Mobile`, `Tablet`; others capitalised too); downloads and outbound clicks under Plausible's event names.
 */

/** One table: its file's name, and its SELECT (a CSV row per day and group) for days [from, to). */
export interface PlausibleTable {
  name: string
  /** Bound parameters: site, tz, from and to (local dates, to excluded). */
  sql: string
}

/** The days of `timestamp_column` in the site's zone, and the range bound. */
const day = (column: string) => `toDate(${column}, {tz:String})`
const inRange = (column: string) => `site = {site:String} AND ${day(column)} >= {from:Date} AND ${day(column)} < {to:Date}`

/** Visits with what Plausible groups them by, from cairn.sessions and the attributes their events carry. */
const VISITS = `(
  SELECT ${day('start')} AS date, visitor_id, session_id, duration, pageviews, toUInt8(is_bounce) AS bounce,
         entry_page, exit_page, referrer_source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
         browser, os, concat(upper(substring(device, 1, 1)), substring(device, 2)) AS device, country_code,
         attributes.referrer AS referrer, attributes.browser_version AS browser_version, attributes.os_version AS os_version
  FROM cairn.sessions
  LEFT JOIN (
    SELECT session_id, any(referrer) AS referrer, any(browser_version) AS browser_version, any(os_version) AS os_version
    -- A visit's first event is in the range too: bounding the events' time keeps this to the range's parts.
    FROM cairn.events WHERE ${inRange('timestamp')} AND toDate(session_start, {tz:String}) >= {from:Date} AND toDate(session_start, {tz:String}) < {to:Date}
    GROUP BY session_id) AS attributes USING session_id
  WHERE ${inRange('start')})`

const VISIT_METRICS = 'uniqExact(visitor_id) AS visitors, count() AS visits, sum(duration) AS visit_duration, sum(bounce) AS bounces, sum(pageviews) AS pageviews'

/** Plausible's tables, in its export's order of columns. */
export const PLAUSIBLE_TABLES: PlausibleTable[] = [
  {
    name: 'imported_visitors',
    // A day may have pageviews and no visit started, or the reverse: its date is whichever side has it.
    sql: `SELECT greatest(v.date, e.date) AS date, v.visitors AS visitors, e.pageviews AS pageviews, v.bounces AS bounces, v.visits AS visits, v.visit_duration AS visit_duration FROM (
            SELECT date, uniqExact(visitor_id) AS visitors, sum(bounce) AS bounces, count() AS visits, sum(duration) AS visit_duration FROM ${VISITS} GROUP BY date) AS v
          FULL JOIN (SELECT ${day('timestamp')} AS date, countIf(name = 'pageview') AS pageviews FROM cairn.events WHERE ${inRange('timestamp')} GROUP BY date) AS e ON v.date = e.date
          ORDER BY date`,
  },
  {
    name: 'imported_sources',
    sql: `SELECT date, referrer_source AS source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
                 sum(pageviews) AS pageviews, uniqExact(visitor_id) AS visitors, count() AS visits, sum(duration) AS visit_duration, sum(bounce) AS bounces
          FROM ${VISITS} GROUP BY date, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term ORDER BY date, visits DESC, source`,
  },
  {
    name: 'imported_pages',
    // A page's scroll depth in a visit is the deepest its engagement reports reached, counted once a visit.
    sql: `SELECT date, hostname, page, visits, visitors, pageviews, total_scroll_depth, total_scroll_depth_visits, total_time_on_page, total_time_on_page_visits FROM (
            SELECT ${day('timestamp')} AS date, any(hostname) AS hostname, pathname AS page, uniqExact(session_id) AS visits, uniqExact(visitor_id) AS visitors, count() AS pageviews
            FROM cairn.events WHERE ${inRange('timestamp')} AND name = 'pageview' GROUP BY date, page) AS p
          LEFT JOIN (
            SELECT date, page, sum(depth) AS total_scroll_depth, count() AS total_scroll_depth_visits, toUInt64(round(sum(ms) / 1000)) AS total_time_on_page, count() AS total_time_on_page_visits
            FROM (SELECT ${day('timestamp')} AS date, pathname AS page, session_id, max(scroll_depth) AS depth, sum(engagement_ms) AS ms
                  FROM cairn.events WHERE ${inRange('timestamp')} AND name = 'engagement' AND scroll_depth <= 100 GROUP BY date, page, session_id)
            GROUP BY date, page) AS s USING (date, page)
          ORDER BY date, pageviews DESC, page`,
  },
  {
    name: 'imported_entry_pages',
    sql: `SELECT date, entry_page, uniqExact(visitor_id) AS visitors, count() AS entrances, sum(duration) AS visit_duration, sum(bounce) AS bounces, sum(pageviews) AS pageviews
          FROM ${VISITS} GROUP BY date, entry_page ORDER BY date, entrances DESC, entry_page`,
  },
  {
    name: 'imported_exit_pages',
    sql: `SELECT date, exit_page, uniqExact(visitor_id) AS visitors, sum(duration) AS visit_duration, count() AS exits, sum(bounce) AS bounces, sum(pageviews) AS pageviews
          FROM ${VISITS} GROUP BY date, exit_page ORDER BY date, exits DESC, exit_page`,
  },
  {
    name: 'imported_custom_events',
    // The 404 extension's event carries its page as `path`, as Plausible's "404" goal does.
    sql: `SELECT date, event AS name, url AS link_url, page AS path, uniqExact(visitor_id) AS visitors, count() AS events FROM (
            SELECT ${day('timestamp')} AS date, multiIf(name = 'download', 'File Download', name = 'outbound', 'Outbound Link: Click', name) AS event,
                   if(name IN ('download', 'outbound'), toString(link_url), '') AS url, if(name = '404', props['path'], '') AS page, visitor_id
            FROM cairn.events WHERE ${inRange('timestamp')} AND name NOT IN ('pageview', 'engagement'))
          GROUP BY date, event, url, page ORDER BY date, events DESC, name, link_url, path`,
  },
  {
    name: 'imported_locations',
    sql: `SELECT date, country_code AS country, '' AS region, 0 AS city, ${VISIT_METRICS}
          FROM ${VISITS} WHERE country_code NOT IN ('', 'ZZ') GROUP BY date, country ORDER BY date, visits DESC, country`,
  },
  {
    name: 'imported_devices',
    sql: `SELECT date, device, ${VISIT_METRICS} FROM ${VISITS} GROUP BY date, device ORDER BY date, visits DESC, device`,
  },
  {
    name: 'imported_browsers',
    sql: `SELECT date, browser, browser_version, ${VISIT_METRICS} FROM ${VISITS} GROUP BY date, browser, browser_version ORDER BY date, visits DESC, browser, browser_version`,
  },
  {
    name: 'imported_operating_systems',
    sql: `SELECT date, os AS operating_system, os_version AS operating_system_version, ${VISIT_METRICS}
          FROM ${VISITS} GROUP BY date, operating_system, operating_system_version ORDER BY date, visits DESC, operating_system, operating_system_version`,
  },
]

/** A file's name for the site's days [first, last] (YYYY-MM-DD). */
export const plausibleFileName = (table: string, first: string, last: string) => `${table}_${first.replaceAll('-', '')}_${last.replaceAll('-', '')}.csv`
