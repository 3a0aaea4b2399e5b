-- event_id existed only so that a replay of the spool could skip the rows ClickHouse already had, and a
-- random UUID does not compress: on 10 M demo events it took 16.1 of the 33.7 bytes an event takes on disk
-- with 0017's codecs (15.97 of 42 before them); without it, 17.6. ClickHouse now drops replays
-- itself: each insert carries a deduplication token (the hash of its body, collector/ingest/writer.ts),
-- and both tables remember the last 1000 (parts, not inserts, nor time: ≈ 16 min at one insert a second;
-- with the embedded engine only this collector writes, so a restart however late is covered). The rollup
-- keeps a log of its own, so a replay is counted in neither. Without a token ClickHouse hashes the block:
-- an identical one inserted again is dropped too (not by INSERT … SELECT, as the demo's, on 26.7).
-- (Dropping a column is a change of structure: on a cluster it goes to the Distributed table too. The
-- setting goes to the local tables, where ReplicatedMergeTree accepts and ignores it: its window is
-- replicated_deduplication_window: 10,000 parts by default, for an hour at most.)
ALTER TABLE cairn.events DROP COLUMN IF EXISTS event_id;

ALTER TABLE cairn.events MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE cairn.sessions_data MODIFY SETTING non_replicated_deduplication_window = 1000;
