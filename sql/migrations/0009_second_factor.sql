-- Dashboard users' optional second factor: a TOTP authenticator (RFC 6238: SHA-1, 6 digits, 30 s) and
-- single-use recovery codes. One row a user, rewritten by version and read with FINAL.
-- secret: the base32 TOTP secret of the factor in force. Codes cannot be checked without it, so it is
-- stored as it is: it is as sensitive as a password hash, and like those it lives only in the data
-- directory, which is the owner's alone (0700). Emptied when the factor is disabled.
-- confirmed: the user proved, with a code, that their app holds `secret`; until then it protects nothing.
-- pending_secret: a replacement being enrolled while a confirmed factor stays in force ('' when none).
-- recovery_hashes: SHA-256 of each unused recovery code, never the code. The codes are 60 random bits,
-- not chosen by a person, so no dictionary helps and a fast hash needs no salt or stretching; a used
-- code's hash is removed.
-- last_step: the last TOTP time step accepted (unix seconds / 30), so no code is accepted twice, nor one older than it.
CREATE TABLE IF NOT EXISTS cairn.second_factors
(
    email           String,
    secret          String,
    confirmed       Bool DEFAULT false,
    pending_secret  String DEFAULT '',
    recovery_hashes Array(String),
    last_step       UInt64 DEFAULT 0,
    deleted         Bool DEFAULT false,
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY email;
