-- Histories brought from other tools (GA4, Umami, Plausible, another Cairn): collector/import/.
--
-- An import is a job, one row per change of state (the newest `version` wins): `staging` while its files
-- are read into a table of its own (cairn.import_<id>, made and dropped by sql/imports.ts), `publishing`
-- while its rows are copied into cairn.events or cairn.imported_aggregates, `done`, `failed` (nothing of
-- it left), `deleted` (its rows gone). A server that stops in the middle rolls a `staging` or `publishing`
-- job back when it starts again: no import is ever half there.
CREATE TABLE IF NOT EXISTS cairn.imports
(
    site        LowCardinality(String),
    import_id   UInt32,
    kind        LowCardinality(String),
    state       LowCardinality(String),
    -- The files' names as given (no path), each once it is read.
    files       Array(String),
    -- Records read from the files, rows written (events, or daily aggregate rows), records left out
    -- (another site's, bookkeeping events of the source tool, days past the retention).
    records     UInt64,
    written     UInt64,
    skipped     UInt64,
    -- The site's local days the import covers.
    first_day   Nullable(Date),
    last_day    Nullable(Date),
    error       String,
    created_by  String,
    created_at  DateTime64(3, 'UTC'),
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, import_id);

-- The events of an event-level import (GA4, Umami, a Cairn export) carry its id, 0 for the collector's:
-- so that an import can be deleted as a whole. A constant column: a few bytes a part.
ALTER TABLE cairn.events ADD COLUMN IF NOT EXISTS import_id UInt32 DEFAULT 0;

ALTER TABLE cairn.events MODIFY COLUMN import_id UInt32 DEFAULT 0 CODEC(T64, ZSTD(1));

-- Plausible's daily aggregate tables (its CSV export), one row per (day, dimension, value), dimension
-- named as in sql/dimensions.ts ('' for the day's totals; `page`, `entry_page`, `exit_page`, `source`,
-- `utm_*`, `country`, `device`, `browser`, `browser_version`, `os`, `os_version`, `event`, `download`,
-- `outbound`). visitors are the day's distinct visitors of the row, so a range's are a sum of days', as
-- Plausible counts its imported ones; visit_duration is the sum of the visits' seconds. The dashboard adds
-- these to its figures for days without events of their own (dashboard/server/imported.ts).
CREATE TABLE IF NOT EXISTS cairn.imported_aggregates
(
    site            LowCardinality(String),
    import_id       UInt32,
    date            Date,
    dimension       LowCardinality(String),
    value           String,
    visitors        UInt64,
    visits          UInt64,
    pageviews       UInt64,
    events          UInt64,
    bounces         UInt64,
    visit_duration  UInt64
)
ENGINE = MergeTree
ORDER BY (site, dimension, date, value)
TTL date + toIntervalMonth(25);
