-- no-transaction
-- Spoolers read the events of a few aggregate types in position order
-- (`WHERE aggregate_type IN (…) AND (tx_id, tx_index) > … ORDER BY tx_id, tx_index`).
-- Without this index a spooler of a rare type walks the whole position index
-- on every wake-up. Additive: older nodes ignore it; built CONCURRENTLY so
-- pushes of running nodes are not blocked while it builds.
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_type_position ON events (aggregate_type, tx_id, tx_index);
