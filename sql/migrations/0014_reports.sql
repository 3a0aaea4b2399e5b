-- Scheduled email reports: who gets which site's report, weekly (Mondays) or monthly (the 1st), in the
-- site's time zone and the recipient's language. The unsubscribe link's token is kept as it is (every
-- report mails it again): it can do nothing but stop this one report.
CREATE TABLE IF NOT EXISTS cairn.report_subscriptions
(
    site             String,
    email            String,
    frequency        LowCardinality(String),
    language         LowCardinality(String),
    unsubscribe_token String,
    created_at       DateTime('UTC') DEFAULT now(),
    deleted          Bool DEFAULT false,
    version          UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, email, frequency);

-- What was sent, so that a report goes once even with several collectors or after a restart: a scheduler
-- claims a (subscription, period) with a row, the earliest claim wins, and the winner writes a row with
-- sent_at once the SMTP server took the mail.
CREATE TABLE IF NOT EXISTS cairn.reports_sent
(
    site         String,
    email        String,
    frequency    LowCardinality(String),
    period_start Date,
    claimed_by   String,
    claimed_at   DateTime64(3, 'UTC'),
    sent_at      Nullable(DateTime64(3, 'UTC'))
)
ENGINE = MergeTree
ORDER BY (site, email, frequency, period_start, claimed_at)
TTL toDateTime(claimed_at) + INTERVAL 400 DAY;
