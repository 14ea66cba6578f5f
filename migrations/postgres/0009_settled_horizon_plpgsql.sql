-- The settled horizon of 0007, the same query, in plpgsql: a LANGUAGE sql
-- function that cannot be inlined is planned again at every call (0.72 ms
-- per call here, most of it planning), while plpgsql keeps the plan for the
-- session (0.13 ms). Followers compute it at every wake-up. Same result, so
-- nodes of older versions are served the same horizon.
CREATE OR REPLACE FUNCTION rampart_settled_horizon() RETURNS BIGINT
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
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
    );
END
$$;
