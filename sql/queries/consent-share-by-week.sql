-- How many visits came with statistical consent (a cookie) and how many were counted cookieless, week by week.
-- Parameters: site.
SELECT toMonday(start) AS week, count() AS visits, countIf(consent) AS with_consent,
       round(countIf(consent) / count() * 100, 1) AS consent_share
FROM cairn.sessions
WHERE site = {site:String}
GROUP BY week
ORDER BY week
