-- Step 2 of 0020: each visit's pages and last event, converted in place. After 0020 a visit is one row: its entry
-- page is its first (key 0), its exit page keyed by its last event, so that the rows the new view writes
-- for a visit still open at the upgrade come after it. A row without a pageview keeps empty states, as
-- the view wrote them. (Apart from 0022, so that a step interrupted and run again finds what it needs.)
ALTER TABLE cairn.sessions_data UPDATE
    entry_page_state = initializeAggregation('argMinStateIf', finalizeAggregation(entry_state), toUInt32(0), pageview_count > 0),
    exit_page_state = initializeAggregation('argMaxStateIf', finalizeAggregation(exit_state),
        toUInt32(greatest(0, dateDiff('millisecond', start, last_event_at))), pageview_count > 0),
    duration_ms = toUInt32(greatest(0, dateDiff('millisecond', start, last_event_at)))
WHERE 1;
