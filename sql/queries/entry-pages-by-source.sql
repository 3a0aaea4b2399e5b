-- Where do visits from each source land, and how many leave at once? Visits started in the last 30 days.
-- Parameters: site.
SELECT referrer_source AS source, entry_page, count() AS visits, round(avg(is_bounce) * 100) AS bounce_rate
FROM cairn.sessions
WHERE site = {site:String} AND start >= now() - INTERVAL 30 DAY
GROUP BY source, entry_page
ORDER BY visits DESC, source, entry_page
LIMIT 20
