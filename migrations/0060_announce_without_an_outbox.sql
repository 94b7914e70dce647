-- Live-update notices without the shared outbox (issue 16: a floor's CPU per write).
--
-- 0027/0036 queued every floor write's notice in an unlogged outbox, and whichever writer found
-- the organization's drainer row free sent everything waiting as one notification. With
-- `track_functions = all` at 1M leads (`closer bench … load --reps 1`), that machinery cost
-- about 1.4 ms of the ~4.7 ms of server time per write: the outbox insert, the drainer's lock,
-- the delete, the second look (every dead outbox row visited again until vacuum), the session's
-- list of organizations. Under 50 reps the outbox insert alone waited 3.4 ms (everyone appends
-- to the same index pages).
--
-- Now the commit-time flush keeps the write's one notice in the session (a setting, taken back
-- with a rolled-back transaction), and the closer.*_now procedure sends it right after the
-- write's commit, from the writer's own backend, in a transaction that writes nothing else. That
-- transaction flushes no WAL, so PostgreSQL's cluster-wide notify lock is held for microseconds
-- rather than for a disk flush, which was 0027's reason to leave the write's own commit. One
-- notification per write, as issue 16 asks; clients coalesce them (one refresh per 150 ms).
--
-- What a member gains: nothing new. A forged pending notice is sent only to an organization the
-- caller belongs to (closer.my_notify_channel), and a member can already NOTIFY their own
-- organization's channel (SECURITY.md, "Notifications are hints"). Nobody holds a drainer any
-- more, so a member can no longer delay their organization's live updates that way.
SET LOCAL ROLE closer_owner;

CREATE OR REPLACE FUNCTION closer.notify_flush() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    org uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.organization_id ELSE NEW.organization_id END;
    key text := replace(org::text, '-', '');
    leads text := coalesce(current_setting('closer.notify_leads_' || key, true), '');
    stages text := coalesce(current_setting('closer.notify_stages_' || key, true), '');
    uuid_pattern constant text := '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    lead_ids uuid[];
    stage_ids uuid[];
    channel text;
    payload text;
BEGIN
    IF leads = '' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('closer.notify_leads_' || key, '', true);
    PERFORM set_config('closer.notify_stages_' || key, '', true);
    IF leads <> '*' THEN
        lead_ids := coalesce((SELECT array_agg(DISTINCT m[1]::uuid) FROM regexp_matches(leads, uuid_pattern, 'g') m), '{}');
    END IF;
    IF stages <> '*' THEN
        stage_ids := coalesce((SELECT array_agg(DISTINCT m[1]::uuid) FROM regexp_matches(stages, uuid_pattern, 'g') m), '{}');
        IF cardinality(lead_ids) > 0 THEN
            SELECT coalesce(array_agg(DISTINCT s), '{}') INTO stage_ids
            FROM (SELECT unnest(stage_ids) AS s
                  UNION
                  SELECT l.stage_id FROM public.leads l WHERE l.organization_id = org AND l.id = ANY (lead_ids)) x;
        END IF;
        IF cardinality(stage_ids) > 20 THEN
            stage_ids := NULL;
        END IF;
    END IF;
    payload := jsonb_build_object('v', 1, 'leads', to_jsonb(lead_ids), 'stages', to_jsonb(stage_ids))::text;
    -- Written through a closer.*_now procedure: kept in the session, one line per organization
    -- ("<org> <payload>"), for closer.announce_pending right after this commits. A rolled-back
    -- transaction takes the line back with it.
    IF current_setting('closer.announce_after_commit', true) = 'on' THEN
        PERFORM set_config('closer.announce_pending',
            concat_ws(E'\n', nullif(current_setting('closer.announce_pending', true), ''), org::text || ' ' || payload),
            false);
        RETURN NULL;
    END IF;
    channel := closer.org_channel(org);
    IF channel IS NOT NULL THEN
        PERFORM pg_notify(channel, payload);
    END IF;
    RETURN NULL;
END $$;

-- Sends the notices this session kept and forgets them; returns how many it sent. Only to
-- organizations the caller belongs to; a malformed or oversized line (a forged setting) is
-- skipped, never an error, because the write it follows has already committed.
CREATE FUNCTION closer.announce_pending() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    pending text := coalesce(current_setting('closer.announce_pending', true), '');
    line text;
    channel text;
    sent integer := 0;
BEGIN
    IF pending = '' THEN
        RETURN 0;
    END IF;
    PERFORM set_config('closer.announce_pending', '', false);
    FOREACH line IN ARRAY string_to_array(pending, E'\n') LOOP
        CONTINUE WHEN line !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} .'
                   OR octet_length(line) > 7900;
        channel := closer.my_notify_channel(left(line, 36)::uuid);
        CONTINUE WHEN channel IS NULL;
        PERFORM pg_notify(channel, substr(line, 38));
        sent := sent + 1;
    END LOOP;
    RETURN sent;
END $$;
REVOKE EXECUTE ON FUNCTION closer.announce_pending() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.announce_pending() TO closer_member;

-- The tail of every closer.*_now procedure, after the write has committed: the CALL's own
-- transaction carries the notices and commits when the CALL returns.
CREATE OR REPLACE PROCEDURE closer.announce_now()
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM closer.announce_pending();
END $$;

DROP FUNCTION closer.announce_drain(uuid);
DROP FUNCTION closer.announce_waiting(uuid);
DROP FUNCTION closer.announce_queue();
DROP TABLE closer_private.notify_outbox;
DROP TABLE closer_private.notify_drainers;

RESET ROLE;
