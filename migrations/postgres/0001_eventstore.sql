-- The eventstore: the single source of record. Additive migrations only (a newer
-- node migrates forward while an older one still serves).

CREATE TABLE IF NOT EXISTS events (
    instance_id    TEXT        NOT NULL,
    aggregate_type TEXT        NOT NULL,
    aggregate_id   TEXT        NOT NULL,
    sequence       BIGINT      NOT NULL,
    -- Global position: the pushing transaction's id (pg_current_xact_id) and the
    -- event's index inside that push. Followers read only below the oldest
    -- still-open transaction (see docs/eventstore.md), so no event can appear
    -- behind a position a follower has already passed.
    tx_id          BIGINT      NOT NULL,
    tx_index       INTEGER     NOT NULL,
    event_type     TEXT        NOT NULL,
    revision       SMALLINT    NOT NULL,
    payload        JSONB       NOT NULL,
    creator        TEXT        NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT events_aggregate_sequence PRIMARY KEY (instance_id, aggregate_type, aggregate_id, sequence)
);

CREATE UNIQUE INDEX IF NOT EXISTS events_position ON events (tx_id, tx_index);

CREATE TABLE IF NOT EXISTS unique_constraints (
    instance_id  TEXT NOT NULL,
    unique_type  TEXT NOT NULL,
    unique_value TEXT NOT NULL,
    CONSTRAINT unique_constraints_pkey PRIMARY KEY (instance_id, unique_type, unique_value)
);

-- One push = one call = one round trip. Aggregates come as parallel arrays
-- (expected sequence -1 means "any"); events name their aggregate by 1-based
-- index; unique-constraint operations are 1 = claim, 2 = release, 3 = release
-- every constraint of the instance. Raises RP001 on a sequence conflict
-- (DETAIL "aggregate-index:actual-sequence") and RP002 when a claimed value is
-- taken (DETAIL "operation-index"); a stale push whose expected event exists
-- fails on the primary key events_aggregate_sequence instead.
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
           pg_current_xact_id()::text::bigint, (x.n - 1)::int,
           x.t, x.r, x.p, x.c, now()
      FROM unnest(ev_agg, ev_type, ev_revision, ev_payload, ev_creator) WITH ORDINALITY AS x(a, t, r, p, c, n)
    RETURNING ev.tx_id, ev.tx_index, ev.sequence, ev.created_at;
END
$$;
