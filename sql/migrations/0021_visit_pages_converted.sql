-- Step 2 of 0020: each visit's pages and last event, converted in place. After 0020 a visit is one row: its entry
-- page is its first (key 0), its exit page keyed by its last event, so that the rows the new view writes
-- for a visit still open at the upgrade come after it. A row without a pageview keeps empty states, as
-- the view wrote them. (Apart from 0022, so that a step interrupted and run again finds what it needs.)
-- First, that 0020 did merge every visit into one row (on a cluster, through the Distributed table).
SELECT throwIf(count() > 0, 'a visit still has several rows after migration 0020: run OPTIMIZE TABLE cairn.sessions_data FINAL, then start Cairn again')
FROM (SELECT 1 FROM cairn.sessions_data GROUP BY site, toDate(start), session_id HAVING count() > 1);

-- Offsets are clamped to UInt32's 49 days, and an event stamped before its visit's start counts as at it.
ALTER TABLE cairn.sessions_data UPDATE
    entry_page_state = initializeAggregation('argMinStateIf', finalizeAggregation(entry_state), toUInt32(0), pageview_count > 0),
    exit_page_state = initializeAggregation('argMaxStateIf', finalizeAggregation(exit_state),
        toUInt32(least(greatest(0, dateDiff('millisecond', start, last_event_at)), 4294967295)), pageview_count > 0),
    duration_ms = toUInt32(least(greatest(0, dateDiff('millisecond', start, last_event_at)), 4294967295))
WHERE 1
SETTINGS mutations_sync = 2;
