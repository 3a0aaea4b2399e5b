-- Visitors who came back: only consented visitors can be recognised across days (cookieless ids change
-- daily). Per month: consented visitors, and those seen on two days or more.
-- Parameters: site.
SELECT month, count() AS consented_visitors, countIf(days >= 2) AS returning, round(countIf(days >= 2) / count() * 100, 1) AS returning_share
FROM
(
    SELECT toStartOfMonth(timestamp) AS month, visitor_id, uniqExact(toDate(timestamp)) AS days
    FROM cairn.events
    WHERE site = {site:String} AND consent AND name != 'engagement'
    GROUP BY month, visitor_id
)
GROUP BY month
ORDER BY month
