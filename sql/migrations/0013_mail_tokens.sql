-- Single-use links mailed to people: an invitation (set your password) or a password reset. Only the
-- SHA-256 of the token is kept; a use or a newer link for the same purpose writes a newer version.
-- Rows are gone a day after they expire.
CREATE TABLE IF NOT EXISTS cairn.mail_tokens
(
    token_hash String,
    purpose    LowCardinality(String),
    email      String,
    expires_at DateTime('UTC'),
    used       Bool DEFAULT false,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY token_hash
TTL expires_at + INTERVAL 1 DAY;
