-- Leases: which node runs a projection generation (host/src/spooler/leader.rs).
-- Replaces session advisory locks, which a frozen or partitioned leader kept
-- holding for as long as its connection looked alive. A lease expires on the
-- database's clock unless its owner renews it; the epoch counts up at every
-- change of owner, and every spooler transaction checks (and locks FOR KEY
-- SHARE) its own lease and epoch before it moves a position, so a node that
-- lost its lease cannot apply anything. Additive: nodes of an older version
-- still use the advisory locks; the position's compare-and-set keeps the two
-- from applying a batch twice during a rolling upgrade.
CREATE TABLE IF NOT EXISTS projection_leases (
    key        TEXT        PRIMARY KEY,
    -- host/pid/random of the process holding it.
    owner      TEXT        NOT NULL,
    epoch      BIGINT      NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
