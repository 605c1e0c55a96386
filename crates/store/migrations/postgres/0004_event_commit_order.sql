-- The event feed (`GET /v1/events/stream`) reads events in commit order, not record-number
-- order: two transactions can commit out of `seq` order, and a reader that passed the later
-- `seq` would never see the earlier one. Each row records the id of the transaction that
-- wrote it; the feed orders by (commit_xid, seq) and delivers only rows whose transaction is
-- below the snapshot's xmin, i.e. no transaction still running can add a row before them
-- (logic/event_feed.rs).
--
-- Rows written before this version read '0' (older than every transaction): the constant
-- default is stored once, not written into each row. Later inserts, of this build or of the
-- previous one during a rolling upgrade, get the writer's transaction id from the default.
ALTER TABLE objects ADD COLUMN commit_xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE objects ALTER COLUMN commit_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX objects_event_feed ON objects (merchant_id, livemode, commit_xid, seq)
    WHERE kind = 'event';
