-- Goals a site counts conversions of. A goal is a query, not a counter: defining one applies to past
-- events too. kind says which fields apply: event (event_name, optionally prop_key = prop_value), page
-- (pattern on the path), download and outbound (pattern on the link's URL, '' for any), scroll (pattern on
-- the path, threshold = percent read), engagement (pattern on the path, threshold = seconds engaged in a visit).
CREATE TABLE IF NOT EXISTS cairn.goals
(
    site        String,
    id          String,
    name        String,
    kind        LowCardinality(String),
    event_name  String,
    prop_key    String,
    prop_value  String,
    pattern     String,
    threshold   UInt32,
    created_at  DateTime('UTC') DEFAULT now(),
    deleted     Bool DEFAULT false,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, id);
