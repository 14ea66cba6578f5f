-- Projection bookkeeping: which read-model generations exist, how far each has
-- applied the event stream, and which events failed. Additive only (a newer
-- node migrates forward while an older one still serves). The read-model
-- tables themselves (`rm_<projection>_<generation>_<table>`) are created at run
-- time from the projection plugins' declarations, in this same schema.

-- One row per generation of a projection: a set of physical tables built from
-- one plugin version's declaration. A new plugin version gets a new generation
-- that rebuilds from position 0 while the previous one keeps serving; the
-- switch retires the old one (its row stays, for history; its tables go).
CREATE TABLE IF NOT EXISTS projection_generations (
    projection     TEXT        NOT NULL,
    -- Counts up per projection, never reused (retired rows keep their number),
    -- so physical table names never collide with dropped ones.
    generation     BIGINT      NOT NULL,
    -- The plugin version that builds this generation.
    version        TEXT        NOT NULL,
    -- sha256 of the JSON of the declared tables: a plugin whose declaration
    -- changed without a version bump still gets fresh tables.
    schema_hash    TEXT        NOT NULL,
    -- 'building' (rebuilding, not read), 'serving' (what queries read),
    -- 'retired' (switched away from, tables dropped).
    status         TEXT        NOT NULL CHECK (status IN ('building', 'serving', 'retired')),
    -- The declaration as JSON (serde of Vec<Table>): queries and statements are
    -- checked against the generation's own columns, not the loaded plugin's.
    tables         JSONB       NOT NULL,
    -- The position of the last event applied (0.0 = none). Moved only by a
    -- compare-and-set in the same transaction as the read-model writes, so a
    -- second node applying the same generation fails instead of applying twice.
    position_tx    BIGINT      NOT NULL DEFAULT 0,
    position_index INTEGER     NOT NULL DEFAULT 0,
    events_applied BIGINT      NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    switched_at    TIMESTAMPTZ,
    PRIMARY KEY (projection, generation)
);

-- At most one generation of a projection serves at any time.
CREATE UNIQUE INDEX IF NOT EXISTS projection_generations_serving
    ON projection_generations (projection) WHERE status = 'serving';

-- Events a projection could not apply: counted per attempt, and marked skipped
-- once the spooler gave up on them (the position then moves past the event),
-- so operators can see what a read model is missing and why.
CREATE TABLE IF NOT EXISTS projection_failures (
    projection      TEXT        NOT NULL,
    generation      BIGINT      NOT NULL,
    position_tx     BIGINT      NOT NULL,
    position_index  INTEGER     NOT NULL,
    instance_id     TEXT        NOT NULL,
    aggregate_type  TEXT        NOT NULL,
    aggregate_id    TEXT        NOT NULL,
    sequence        BIGINT      NOT NULL,
    event_type      TEXT        NOT NULL,
    attempts        INTEGER     NOT NULL,
    -- The latest error.
    error           TEXT        NOT NULL,
    skipped         BOOLEAN     NOT NULL DEFAULT FALSE,
    first_failed_at TIMESTAMPTZ NOT NULL,
    last_failed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (projection, generation, position_tx, position_index)
);

-- The status API lists a projection's failures newest first.
CREATE INDEX IF NOT EXISTS projection_failures_recent
    ON projection_failures (projection, last_failed_at DESC);
