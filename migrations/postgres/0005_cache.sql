-- The Postgres cache connector (seed 004, "PostgreSQL cache"): cached objects
-- in unlogged tables. Unlogged tables skip the WAL, so they are fast and are
-- emptied after a database crash, which a cache can afford. Created by
-- `rampart setup` (and every start) whether or not a cache uses them.
CREATE SCHEMA IF NOT EXISTS cache;

-- One row per cached object of each cache (`instance`, `organization`, ...).
CREATE UNLOGGED TABLE IF NOT EXISTS cache.objects (
    cache   TEXT        NOT NULL,
    -- The object's identity (its key under its first index).
    id      TEXT        NOT NULL,
    payload JSONB       NOT NULL,
    -- When it was set (MaxAge counts from here) and last read (LastUsage).
    set_at  TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (cache, id)
);

-- Every key an object is found by, under each index. Invalidating an object
-- deletes its row, and with it all its keys.
CREATE UNLOGGED TABLE IF NOT EXISTS cache.keys (
    cache      TEXT NOT NULL,
    index_name TEXT NOT NULL,
    key        TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    PRIMARY KEY (cache, index_name, key),
    FOREIGN KEY (cache, object_id) REFERENCES cache.objects (cache, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS keys_by_object ON cache.keys (cache, object_id);
