-- A dashboard user's preferences, apart from cairn.users so that a password change cannot reset them.
-- language: the dashboard's language ('' = the browser's); a necessary preference, kept with the account.
CREATE TABLE IF NOT EXISTS cairn.user_settings
(
    email    String,
    language LowCardinality(String),
    version  UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY email;
