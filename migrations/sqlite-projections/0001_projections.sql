-- Projection bookkeeping on SQLite. It lives in `projections.db`, a file of its
-- own beside the eventstore's `rampart.db`: each SQLite file has one writer at a
-- time, so spoolers writing read models never wait on (or delay) event pushes.
-- Same tables as migrations/postgres/0002_projections.sql (see the comments
-- there); timestamps are RFC 3339 TEXT in UTC, booleans 0/1, JSON as TEXT.
-- Additive migrations only.

CREATE TABLE IF NOT EXISTS projection_generations (
    projection     TEXT    NOT NULL,
    generation     INTEGER NOT NULL,
    version        TEXT    NOT NULL,
    schema_hash    TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('building', 'serving', 'retired')),
    tables         TEXT    NOT NULL,
    -- The position of the last event applied, moved only by a compare-and-set
    -- in the transaction that writes the read-model rows.
    position_tx    INTEGER NOT NULL DEFAULT 0,
    position_index INTEGER NOT NULL DEFAULT 0,
    events_applied INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    switched_at    TEXT,
    PRIMARY KEY (projection, generation)
);

-- At most one generation of a projection serves at any time.
CREATE UNIQUE INDEX IF NOT EXISTS projection_generations_serving
    ON projection_generations (projection) WHERE status = 'serving';

CREATE TABLE IF NOT EXISTS projection_failures (
    projection      TEXT    NOT NULL,
    generation      INTEGER NOT NULL,
    position_tx     INTEGER NOT NULL,
    position_index  INTEGER NOT NULL,
    instance_id     TEXT    NOT NULL,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    event_type      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    error           TEXT    NOT NULL,
    skipped         INTEGER NOT NULL DEFAULT 0,
    first_failed_at TEXT    NOT NULL,
    last_failed_at  TEXT    NOT NULL,
    PRIMARY KEY (projection, generation, position_tx, position_index)
);

CREATE INDEX IF NOT EXISTS projection_failures_recent
    ON projection_failures (projection, last_failed_at DESC);
