-- The eventstore on SQLite: one writer (the process holding the data directory's
-- lock) so commit order is position order. Additive migrations only.

CREATE TABLE IF NOT EXISTS events (
    -- Global position: a per-push counter kept by the single writer, and the
    -- event's index inside that push.
    tx_id          INTEGER NOT NULL,
    tx_index       INTEGER NOT NULL,
    instance_id    TEXT    NOT NULL,
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    sequence       INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    revision       INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    creator        TEXT    NOT NULL,
    -- Microseconds since the Unix epoch (UTC).
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (tx_id, tx_index)
);

CREATE UNIQUE INDEX IF NOT EXISTS events_aggregate_sequence
    ON events (instance_id, aggregate_type, aggregate_id, sequence);

CREATE TABLE IF NOT EXISTS unique_constraints (
    instance_id  TEXT NOT NULL,
    unique_type  TEXT NOT NULL,
    unique_value TEXT NOT NULL,
    PRIMARY KEY (instance_id, unique_type, unique_value)
) WITHOUT ROWID;
