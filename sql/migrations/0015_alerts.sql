-- Traffic alerts (docs/admin-api.md, "Alerts"): a site's admins are told when its traffic does something
-- unusual, by mail (each recipient in the alert's language) and by a webhook. kind says what is watched:
-- visitors_above (current visitors, those of the last 5 minutes, at or above threshold) or change (this
-- hour's visitors so far against the same part of the same hour on the previous 4 weeks, a rise or fall,
-- by direction, of at least threshold percent). direction is '' for visitors_above. webhook '' is none.
-- Versioned like the other settings tables: a change or a deletion is a newer version.
CREATE TABLE IF NOT EXISTS cairn.alerts
(
    site        String,
    id          String,
    name        String,
    kind        LowCardinality(String),
    threshold   UInt32,
    direction   LowCardinality(String),
    recipients  Array(String),
    webhook     String,
    language    LowCardinality(String),
    created_at  DateTime('UTC') DEFAULT now(),
    deleted     Bool DEFAULT false,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, id);

-- An alert goes off at most once an hour, even with several collectors checking it: each writes a claim
-- for (alert, hour), waits a moment, reads the claims back, and only the earliest (fired_at, then
-- fired_by) sends. hour is the start of the site's local hour, as an instant in UTC. Kept 90 days, for
-- "last fired" in the settings.
CREATE TABLE IF NOT EXISTS cairn.alerts_fired
(
    site      String,
    alert_id  String,
    hour      DateTime('UTC'),
    fired_by  String,
    fired_at  DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (site, alert_id, hour)
TTL hour + INTERVAL 90 DAY;
