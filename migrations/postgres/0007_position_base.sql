-- Positions stay increasing when the database moves to another cluster.
--
-- A position's first part was the pushing transaction's id. A dump restored
-- into another cluster (or a logical-replication upgrade) continues from that
-- cluster's, lower, transaction ids: new events would sort before old ones
-- and followers would never read them. Positions are now the transaction id
-- plus a base, kept in one row: 0 until the database moves; then the first
-- connection of a node to the new cluster (and `rampart setup`) raises it
-- so that every new position is above every stored one
-- (rampart_rebase_positions, called by host/src/eventstore/postgres/rebase.rs
-- for every new connection, which then holds the base as the session setting
-- rampart.position_base; a session without it reads the table).
-- Additive: with base 0, older nodes compute the same positions.

CREATE TABLE IF NOT EXISTS event_position_base (
    only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
    base     BIGINT  NOT NULL
);
INSERT INTO event_position_base (only_row, base) VALUES (true, 0) ON CONFLICT DO NOTHING;

-- Raises the base when the stored positions are ahead of this cluster's
-- next transaction id (the database was moved); returns the new base, or
-- NULL when nothing had to change. Idempotent and safe to race: of two
-- nodes rebasing at once, the second finds the base changed and stops.
CREATE OR REPLACE FUNCTION rampart_rebase_positions() RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    old_base BIGINT;
    top      BIGINT;
    next_xid BIGINT;
BEGIN
    SELECT b.base INTO old_base FROM event_position_base AS b;
    SELECT e.tx_id INTO top FROM events AS e ORDER BY e.tx_id DESC LIMIT 1;
    next_xid := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
    IF top IS NULL OR top < next_xid + old_base THEN
        RETURN NULL;
    END IF;
    UPDATE event_position_base SET base = top - next_xid + 1 WHERE base = old_base;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN top - next_xid + 1;
END
$$;

-- The push of 0001, placing events at the transaction id plus the base.
CREATE OR REPLACE FUNCTION rampart_push(
    agg_instance TEXT[], agg_type TEXT[], agg_id TEXT[], agg_expected BIGINT[],
    ev_agg INT[], ev_type TEXT[], ev_revision SMALLINT[], ev_payload JSONB[], ev_creator TEXT[],
    uc_op SMALLINT[], uc_instance TEXT[], uc_type TEXT[], uc_value TEXT[]
) RETURNS TABLE (r_tx_id BIGINT, r_tx_index INT, r_sequence BIGINT, r_created_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
DECLARE
    current_seq BIGINT[] := '{}';
    s BIGINT;
BEGIN
    FOR i IN 1 .. coalesce(array_length(agg_id, 1), 0) LOOP
        IF agg_expected[i] = 0 THEN
            -- A new aggregate: if it exists, the primary key rejects its sequence 1.
            s := 0;
        ELSIF agg_expected[i] > 0 AND EXISTS (
                SELECT 1 FROM events e
                 WHERE e.instance_id = agg_instance[i] AND e.aggregate_type = agg_type[i]
                   AND e.aggregate_id = agg_id[i] AND e.sequence = agg_expected[i]) THEN
            -- The expected event exists (no gap); the primary key rejects a stale push.
            s := agg_expected[i];
        ELSE
            -- ORDER BY … LIMIT 1, not max(): one backward index probe.
            SELECT e.sequence INTO s FROM events e
             WHERE e.instance_id = agg_instance[i] AND e.aggregate_type = agg_type[i] AND e.aggregate_id = agg_id[i]
             ORDER BY e.sequence DESC LIMIT 1;
            s := coalesce(s, 0);
            IF agg_expected[i] >= 0 AND s <> agg_expected[i] THEN
                RAISE EXCEPTION USING ERRCODE = 'RP001', MESSAGE = 'rampart: sequence conflict', DETAIL = i || ':' || s;
            END IF;
        END IF;
        current_seq := current_seq || s;
    END LOOP;

    FOR i IN 1 .. coalesce(array_length(uc_op, 1), 0) LOOP
        IF uc_op[i] = 1 THEN
            INSERT INTO unique_constraints (instance_id, unique_type, unique_value)
                 VALUES (uc_instance[i], uc_type[i], uc_value[i]) ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN
                RAISE EXCEPTION USING ERRCODE = 'RP002', MESSAGE = 'rampart: unique value taken', DETAIL = i::text;
            END IF;
        ELSIF uc_op[i] = 2 THEN
            DELETE FROM unique_constraints
             WHERE instance_id = uc_instance[i] AND unique_type = uc_type[i] AND unique_value = uc_value[i];
        ELSE
            DELETE FROM unique_constraints WHERE instance_id = uc_instance[i];
        END IF;
    END LOOP;

    RETURN QUERY
    INSERT INTO events AS ev (instance_id, aggregate_type, aggregate_id, sequence, tx_id, tx_index,
                              event_type, revision, payload, creator, created_at)
    SELECT agg_instance[x.a], agg_type[x.a], agg_id[x.a],
           current_seq[x.a] + row_number() OVER (PARTITION BY x.a ORDER BY x.n),
           pg_current_xact_id()::text::bigint
             + coalesce(nullif(current_setting('rampart.position_base', true), '')::bigint,
                        (SELECT b.base FROM event_position_base AS b)),
           (x.n - 1)::int,
           x.t, x.r, x.p, x.c, now()
      FROM unnest(ev_agg, ev_type, ev_revision, ev_payload, ev_creator) WITH ORDINALITY AS x(a, t, r, p, c, n)
    RETURNING ev.tx_id, ev.tx_index, ev.sequence, ev.created_at;
END
$$;

-- The settled horizon of 0004, in positions (plus the base).
CREATE OR REPLACE FUNCTION rampart_settled_horizon() RETURNS BIGINT
LANGUAGE sql STABLE AS $$
    WITH activity AS MATERIALIZED (
        SELECT a.backend_xid::text::bigint AS xid,
               coalesce(a.datid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
                        AND a.application_name = 'rampart-push', false) AS push
          FROM pg_stat_get_activity(NULL) AS a
         WHERE a.backend_xid IS NOT NULL
        UNION ALL
        SELECT p.transaction::text::bigint, false
          FROM pg_prepared_xacts AS p
         WHERE p.database <> current_database()
    )
    SELECT (SELECT b.base FROM event_position_base AS b) + least(
        pg_snapshot_xmax(snap.s)::text::bigint,
        (SELECT min(x::text::bigint)
           FROM pg_snapshot_xip(snap.s) AS x
          -- The status is asked in the aggregate's result, so after the
          -- activity was read (PostgreSQL reads every backend's entry at the
          -- first access of the transaction).
          WHERE NOT coalesce((SELECT bool_and(NOT a.push) AND pg_xact_status(x) = 'in progress'
                                FROM activity AS a
                               WHERE a.xid = (x::text::bigint & 4294967295)), false)))
      FROM (SELECT pg_current_snapshot() AS s) AS snap
$$;
