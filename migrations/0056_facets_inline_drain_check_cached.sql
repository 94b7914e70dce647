-- Three helpers of every write stop parsing and planning themselves on each call (issue 16).
--
-- A SQL function that is not inlined runs through the SQL-function executor, which parses,
-- analyses and plans its body afresh for every statement that calls it. With `track_functions
-- = all` at 1M leads, one rep writing alone (`closer bench … load --reps 1`): a call of
-- closer.next_facet took 107 us, closer.touch_facet 42 us (two per move and per call log) and
-- closer.announce_waiting 184 us (one per write), about 0.3 ms of each write's ~5 ms.
--
-- * next_facet and touch_facet were meant to be inlined (0049, 0050), but an IMMUTABLE SQL
--   function is only inlined when its body is immutable too, and to_char is STABLE (it reads the
--   locale for some patterns; 'YYYY-MM-DD' is not one of them). Declared STABLE, they are
--   inlined wherever they are called; no index, constraint or column depends on them.
-- * announce_waiting keeps its body and checks but moves to PL/pgSQL, which keeps its plans for
--   the session (it cannot be inlined: a definer with a SET clause).
SET LOCAL ROLE closer_owner;

ALTER FUNCTION closer.next_facet(bigint, date) STABLE;
ALTER FUNCTION closer.touch_facet(timestamptz) STABLE;

CREATE OR REPLACE FUNCTION closer.announce_waiting(org uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN closer.my_notify_channel(org) IS NOT NULL
       AND EXISTS (SELECT 1 FROM closer_private.notify_outbox o WHERE o.organization_id = org);
END $$;

RESET ROLE;
