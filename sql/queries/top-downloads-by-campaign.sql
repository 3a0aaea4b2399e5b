-- Which files do visitors from each campaign download? Last 30 days, campaigns only.
-- Parameters: site.
SELECT utm_campaign AS campaign, file_url, count() AS downloads, uniqExact(visitor_id) AS downloaders
FROM cairn.downloads
WHERE site = {site:String} AND timestamp >= now() - INTERVAL 30 DAY AND utm_campaign != ''
GROUP BY campaign, file_url
ORDER BY downloads DESC, campaign, file_url
LIMIT 20
