-- Spoolers read the events of a few aggregate types in position order; see
-- migrations/postgres/0003_events_by_type.sql.
CREATE INDEX IF NOT EXISTS events_type_position ON events (aggregate_type, tx_id, tx_index);
