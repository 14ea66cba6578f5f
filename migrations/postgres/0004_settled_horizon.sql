-- The settled horizon considers only transactions that can still write events
-- to this store (docs/eventstore.md, "Global order without lost events").
-- Additive: older nodes keep reading below pg_snapshot_xmin (more cautious,
-- still correct) and their pushes are marked by the triggers below too.

-- Wait for every transaction that already wrote events or unique values: from
-- the commit of this migration on, every such write fires the triggers below
-- before it writes. unique_constraints first: rampart_push writes it before
-- events, so a push holding one lock and waiting for the other cannot deadlock
-- with this migration.
LOCK TABLE unique_constraints, events IN SHARE ROW EXCLUSIVE MODE;

-- Marks the transaction as a push before its first write gives it a
-- transaction id: application_name 'rampart-push', set for the transaction
-- only (pg_stat_activity shows it at once; it reverts at the end of the
-- transaction, after the transaction id is released). The horizon treats a
-- transaction that is running under this mark in this database as a push.
-- A transaction that already holds an id unmarked (it wrote something else
-- first) could have been passed by a follower already: refused (RP003).
CREATE OR REPLACE FUNCTION rampart_mark_push() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('application_name') IS DISTINCT FROM 'rampart-push' THEN
        IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'RP003',
                MESSAGE = 'rampart: events and unique values must be the first write of their transaction',
                HINT = 'push in a transaction of its own (docs/eventstore.md)';
        END IF;
        PERFORM set_config('application_name', 'rampart-push', true);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS rampart_mark_push ON unique_constraints;
CREATE TRIGGER rampart_mark_push
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON unique_constraints
    FOR EACH STATEMENT EXECUTE FUNCTION rampart_mark_push();

DROP TRIGGER IF EXISTS rampart_mark_push ON events;
CREATE TRIGGER rampart_mark_push
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION rampart_mark_push();

-- The settled horizon of the calling statement's snapshot S: every event with
-- tx_id below it is visible in S, and no event below it can commit later.
--
-- H = min(xmax(S), every X in xip(S) not known to be foreign). X is foreign
-- when pg_stat_activity, read after S was taken, shows X (its low 32 bits:
-- backend_xid is an xid, tx ids are xid8) only on backends that are in
-- another database or not marked as a push, or when X is a prepared
-- transaction of another database; and pg_xact_status, asked after that
-- read, still says X is in progress. Everything else holds the horizon back:
-- a marked push; a transaction that ended after S was taken (it may be a push
-- whose events S cannot see; held for this read only); a transaction whose
-- backend cannot be seen. Why nothing is lost: a push is marked before it
-- gets its id and unmarked only after it ended, so a push that S saw running
-- and that still runs at the status check was running and marked when the
-- activity was read (docs/eventstore.md, "The race, argued").
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
    SELECT least(
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
