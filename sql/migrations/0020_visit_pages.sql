-- A visit's entry and exit pages were argMin / argMax states keyed by the event's time: 8 bytes of
-- milliseconds that compress like random ones, as cairn.sessions_data is ordered by visit id. Keyed by the
-- milliseconds since the visit's start instead, the entry's key is nearly always 0 and the exit's is the
-- duration so far. The visit's last event, likewise, becomes its milliseconds since the start (duration_ms
-- for last_event_at). Measured on 10 M demo events, bytes per visit on disk: entry 6.43 → 1.83, exit
-- 7.17 → 4.47, last event 3.50 → 2.39; per event, all tables, 1.5 B less. What is read is the same.
--
-- Step 1 of 3. The materialized view stops (a visit's rows written during the upgrade would carry only
-- the old states), the new columns are added, and every partition is merged whole, so that each visit is
-- one row when 0021 converts it. (On a cluster, stop the collectors while it upgrades: their events
-- are not rolled up into visits while the view is gone.)
-- rewrite: sessions_data
DROP VIEW IF EXISTS cairn.sessions_mv;

-- A change of structure (on a cluster, the Distributed table's columns follow), then the codecs.
ALTER TABLE cairn.sessions_data
    ADD COLUMN IF NOT EXISTS entry_page_state AggregateFunction(argMin, String, UInt32),
    ADD COLUMN IF NOT EXISTS exit_page_state AggregateFunction(argMax, String, UInt32),
    ADD COLUMN IF NOT EXISTS duration_ms SimpleAggregateFunction(max, UInt32);

ALTER TABLE cairn.sessions_data
    MODIFY COLUMN entry_page_state AggregateFunction(argMin, String, UInt32) CODEC(ZSTD(1)),
    MODIFY COLUMN exit_page_state AggregateFunction(argMax, String, UInt32) CODEC(ZSTD(1)),
    MODIFY COLUMN duration_ms SimpleAggregateFunction(max, UInt32) CODEC(T64, ZSTD(1));
