-- Who may read the dashboard and the stats API. Small tables, rewritten by version and read with FINAL.
-- Secrets are never stored: passwords as scrypt hashes, tokens and keys as SHA-256 hashes.
CREATE TABLE IF NOT EXISTS cairn.users
(
    email         String,
    password_hash String,
    created_at    DateTime('UTC') DEFAULT now(),
    deleted       Bool DEFAULT false,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY email;

-- A role on one site, or on every site with site = '*'.
CREATE TABLE IF NOT EXISTS cairn.memberships
(
    email   String,
    site    String,
    role    Enum8('viewer' = 1, 'admin' = 2),
    deleted Bool DEFAULT false,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (email, site);

CREATE TABLE IF NOT EXISTS cairn.login_sessions
(
    token_hash String,
    email      String,
    expires_at DateTime('UTC'),
    revoked    Bool DEFAULT false,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY token_hash
TTL expires_at + INTERVAL 1 DAY;

-- Stats API keys act for their owner, with the owner's roles.
CREATE TABLE IF NOT EXISTS cairn.api_keys
(
    key_hash   String,
    prefix     String,
    email      String,
    name       String,
    created_at DateTime('UTC') DEFAULT now(),
    revoked    Bool DEFAULT false,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY key_hash;

-- Read-only links to one site's dashboard, as Plausible's shared links.
CREATE TABLE IF NOT EXISTS cairn.shared_links
(
    token_hash String,
    prefix     String,
    site       String,
    created_by String,
    created_at DateTime('UTC') DEFAULT now(),
    revoked    Bool DEFAULT false,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY token_hash;
