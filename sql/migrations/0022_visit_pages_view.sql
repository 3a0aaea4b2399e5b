-- Step 3 of 0020: the old states go, the view rolls events up with the new ones, and cairn.sessions
-- reads them.
ALTER TABLE cairn.sessions_data DROP COLUMN IF EXISTS entry_state, DROP COLUMN IF EXISTS exit_state, DROP COLUMN IF EXISTS last_event_at;

-- As 0002's, but the pages keyed by the milliseconds since the visit's start, and its last event too.
CREATE MATERIALIZED VIEW IF NOT EXISTS cairn.sessions_mv TO cairn.sessions_data AS
SELECT
    site,
    session_start AS start,
    session_id,
    any(visitor_id) AS visitor_id,
    max(toUInt32(least(greatest(0, dateDiff('millisecond', session_start, timestamp)), 4294967295))) AS duration_ms,
    countIf(name = 'pageview') AS pageview_count,
    countIf(name != 'engagement') AS event_count,
    countIf(name NOT IN ('pageview', 'engagement') AND interactive) AS interactive_count,
    argMinStateIf(CAST(pathname, 'String'), toUInt32(least(greatest(0, dateDiff('millisecond', session_start, timestamp)), 4294967295)), name = 'pageview') AS entry_page_state,
    argMaxStateIf(CAST(pathname, 'String'), toUInt32(least(greatest(0, dateDiff('millisecond', session_start, timestamp)), 4294967295)), name = 'pageview') AS exit_page_state,
    any(referrer_source) AS referrer_source,
    any(utm_source) AS utm_source,
    any(utm_medium) AS utm_medium,
    any(utm_campaign) AS utm_campaign,
    any(utm_content) AS utm_content,
    any(utm_term) AS utm_term,
    any(browser) AS browser,
    any(os) AS os,
    any(device) AS device,
    any(country_code) AS country_code,
    max(consent) AS consent
FROM cairn.events
GROUP BY site, start, session_id;

DROP VIEW IF EXISTS cairn.sessions;

-- As 0002's, reading the new columns.
CREATE VIEW IF NOT EXISTS cairn.sessions AS
SELECT
    site,
    session_id,
    any(visitor_id) AS visitor_id,
    start,
    addMilliseconds(start, max(duration_ms)) AS `end`,
    toUInt32(dateDiff('second', start, `end`)) AS duration,
    sum(pageview_count) AS pageviews,
    sum(event_count) AS events,
    argMinMerge(entry_page_state) AS entry_page,
    argMaxMerge(exit_page_state) AS exit_page,
    toBool(sum(pageview_count) <= 1 AND sum(interactive_count) = 0) AS is_bounce,
    any(referrer_source) AS referrer_source,
    any(utm_source) AS utm_source,
    any(utm_medium) AS utm_medium,
    any(utm_campaign) AS utm_campaign,
    any(utm_content) AS utm_content,
    any(utm_term) AS utm_term,
    any(browser) AS browser,
    any(os) AS os,
    any(device) AS device,
    any(country_code) AS country_code,
    max(consent) AS consent
FROM cairn.sessions_data
GROUP BY site, start, session_id;
