-- Views for analysts' common work (documented in sql/README.md). Plain views: they read cairn.events and
-- cairn.sessions as they are, so they never disagree with them.

-- One row per page viewed.
CREATE VIEW IF NOT EXISTS cairn.pageviews AS
SELECT site, timestamp, visitor_id, session_id, consent, hostname, pathname, referrer, referrer_source,
       utm_source, utm_medium, utm_campaign, utm_content, utm_term, browser, os, device, country_code
FROM cairn.events
WHERE name = 'pageview';

-- One row per file downloaded: the file, the page it was linked from, and the visit's source.
CREATE VIEW IF NOT EXISTS cairn.downloads AS
SELECT site, timestamp, visitor_id, session_id, consent, link_url AS file_url, pathname AS page, referrer_source,
       utm_source, utm_medium, utm_campaign, device, country_code
FROM cairn.events
WHERE name = 'download';

-- One row per click on a link to another site.
CREATE VIEW IF NOT EXISTS cairn.outbound_clicks AS
SELECT site, timestamp, visitor_id, session_id, consent, link_url, pathname AS page, referrer_source, utm_campaign
FROM cairn.events
WHERE name = 'outbound';

-- Per site and UTC day: the dashboard's headline numbers (visits by their start, as the dashboard counts them).
CREATE VIEW IF NOT EXISTS cairn.daily_stats AS
SELECT e.site AS site, e.day AS day, e.visitors AS visitors, e.pageviews AS pageviews, e.downloads AS downloads,
       s.visits AS visits, s.bounce_rate AS bounce_rate, s.visit_duration AS visit_duration
FROM
(
    SELECT site, toDate(timestamp) AS day, uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews,
           countIf(name = 'download') AS downloads
    FROM cairn.events WHERE name != 'engagement' GROUP BY site, day
) AS e
LEFT JOIN
(
    SELECT site, toDate(start) AS day, count() AS visits, round(avg(is_bounce) * 100) AS bounce_rate, round(avg(duration)) AS visit_duration
    FROM cairn.sessions GROUP BY site, day
) AS s ON e.site = s.site AND e.day = s.day;
