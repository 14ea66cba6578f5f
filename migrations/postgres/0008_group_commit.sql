-- Group commit: many pushes of concurrent commands in one transaction.
--
-- rampart_push_from is the push of 0007 whose events take their index in
-- the transaction from first_index on, so that several pushes can share a
-- transaction (positions are (transaction id + base, index), unique).
-- rampart_push keeps its signature for nodes of older versions and now
-- calls it.
--
-- rampart_push_batch runs pushes one after another, each in a
-- subtransaction of its own (a plpgsql exception block): a push that fails
-- (sequence conflict, taken unique value, a deadlock, any error) is rolled
-- back alone and reported in its result rows; the others stand. Callers
-- keep a batch under 64 pushes: more subtransactions than that in one
-- transaction make every other session's snapshots slower (the per-backend
-- subtransaction cache overflows).
-- Additive: older nodes keep calling rampart_push.

CREATE OR REPLACE FUNCTION rampart_push_from(
    first_index INT,
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
           first_index + (x.n - 1)::int,
           x.t, x.r, x.p, x.c, now()
      FROM unnest(ev_agg, ev_type, ev_revision, ev_payload, ev_creator) WITH ORDINALITY AS x(a, t, r, p, c, n)
    RETURNING ev.tx_id, ev.tx_index, ev.sequence, ev.created_at;
END
$$;

CREATE OR REPLACE FUNCTION rampart_push(
    agg_instance TEXT[], agg_type TEXT[], agg_id TEXT[], agg_expected BIGINT[],
    ev_agg INT[], ev_type TEXT[], ev_revision SMALLINT[], ev_payload JSONB[], ev_creator TEXT[],
    uc_op SMALLINT[], uc_instance TEXT[], uc_type TEXT[], uc_value TEXT[]
) RETURNS TABLE (r_tx_id BIGINT, r_tx_index INT, r_sequence BIGINT, r_created_at TIMESTAMPTZ)
LANGUAGE sql AS $$
    SELECT * FROM rampart_push_from(0, agg_instance, agg_type, agg_id, agg_expected,
                                    ev_agg, ev_type, ev_revision, ev_payload, ev_creator,
                                    uc_op, uc_instance, uc_type, uc_value)
$$;

-- The pushes are laid end to end in the arrays: push p has push_aggs[p]
-- aggregates, push_events[p] events (whose ev_agg counts from 1 within the
-- push) and push_uniques[p] unique-value operations. Each stored event
-- yields a row (r_push = p, r_xid = the transaction id, to ask
-- pg_xact_status when the commit's answer is lost); each failed push one
-- row with its SQLSTATE, constraint and detail.
CREATE OR REPLACE FUNCTION rampart_push_batch(
    push_aggs INT[], push_events INT[], push_uniques INT[],
    agg_instance TEXT[], agg_type TEXT[], agg_id TEXT[], agg_expected BIGINT[],
    ev_agg INT[], ev_type TEXT[], ev_revision SMALLINT[], ev_payload JSONB[], ev_creator TEXT[],
    uc_op SMALLINT[], uc_instance TEXT[], uc_type TEXT[], uc_value TEXT[]
) RETURNS TABLE (r_push INT, r_xid BIGINT, r_tx_id BIGINT, r_tx_index INT, r_sequence BIGINT,
                 r_created_at TIMESTAMPTZ, r_error TEXT, r_constraint TEXT, r_detail TEXT)
LANGUAGE plpgsql AS $$
DECLARE
    a0 INT := 0;
    e0 INT := 0;
    u0 INT := 0;
    next_index INT := 0;
    got_tx BIGINT[];
    got_index INT[];
    got_seq BIGINT[];
    got_at TIMESTAMPTZ[];
    err_state TEXT;
    err_constraint TEXT;
    err_detail TEXT;
BEGIN
    FOR p IN 1 .. coalesce(array_length(push_aggs, 1), 0) LOOP
        BEGIN
            -- Collected first and returned after the block: rows handed to
            -- the result are not taken back when the block rolls back.
            SELECT array_agg(f.r_tx_id), array_agg(f.r_tx_index), array_agg(f.r_sequence),
                   array_agg(f.r_created_at)
              INTO got_tx, got_index, got_seq, got_at
              FROM rampart_push_from(next_index,
                       agg_instance[a0 + 1 : a0 + push_aggs[p]], agg_type[a0 + 1 : a0 + push_aggs[p]],
                       agg_id[a0 + 1 : a0 + push_aggs[p]], agg_expected[a0 + 1 : a0 + push_aggs[p]],
                       ev_agg[e0 + 1 : e0 + push_events[p]], ev_type[e0 + 1 : e0 + push_events[p]],
                       ev_revision[e0 + 1 : e0 + push_events[p]], ev_payload[e0 + 1 : e0 + push_events[p]],
                       ev_creator[e0 + 1 : e0 + push_events[p]],
                       uc_op[u0 + 1 : u0 + push_uniques[p]], uc_instance[u0 + 1 : u0 + push_uniques[p]],
                       uc_type[u0 + 1 : u0 + push_uniques[p]], uc_value[u0 + 1 : u0 + push_uniques[p]]) AS f;
            err_state := NULL;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE,
                                    err_constraint = CONSTRAINT_NAME,
                                    err_detail = PG_EXCEPTION_DETAIL;
        END;
        IF err_state IS NULL THEN
            RETURN QUERY
            SELECT p, pg_current_xact_id()::text::bigint, g.t, g.i, g.s, g.c,
                   NULL::text, NULL::text, NULL::text
              FROM unnest(got_tx, got_index, got_seq, got_at) AS g(t, i, s, c);
            next_index := next_index + coalesce(array_length(got_tx, 1), 0);
        ELSE
            RETURN QUERY SELECT p, NULL::bigint, NULL::bigint, NULL::int, NULL::bigint,
                                NULL::timestamptz, err_state, err_constraint, err_detail;
        END IF;
        a0 := a0 + push_aggs[p];
        e0 := e0 + push_events[p];
        u0 := u0 + push_uniques[p];
    END LOOP;
END
$$;
