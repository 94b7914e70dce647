-- Live updates without the cluster-wide convoy (issue 16: 50 reps, >= 500 transactions/s).
--
-- PostgreSQL (up to 17) serialises every transaction that NOTIFYs on one cluster-wide lock, taken
-- just before commit and released after the commit record is flushed to disk. Under load every
-- write queued on that lock for its turn to fsync, one at a time: all four kinds of write had
-- the same latency (p50 ~400 ms at 113 tx/s), and turning synchronous_commit off (not an
-- option: it gives up durability) nearly doubled throughput.
--
-- So the busiest writes (move, log a call, add or complete a task) now commit first and
-- announce after: a closer.*_now procedure calls the same function as before and COMMITs
-- (durable, and free to share its WAL flush with other committers). Its notice goes into an
-- unlogged outbox (a transaction that flushes nothing), and whoever finds the organization's
-- drainer free sends everything waiting as ONE notification: under load many writes share one
-- NOTIFY, so the cluster-wide lock is taken a few times per second per organization instead of
-- once per write, and nobody waits for it (the drainer is taken with SKIP LOCKED).
-- Still one statement (CALL) and one round trip from the client; a write that rolled back
-- announces nothing. Every other writer (psql, the CLI, the other functions) still notifies at
-- its own commit, as before.
--
-- Nothing is stranded: the session that releases the drainer looks at the outbox once more
-- after its commit, so a notice queued while it finished is sent by it or by its writer.
--
-- What a member gains: notices go only to organizations the caller belongs to
-- (closer.my_notify_channel), so a member can make their own teammates re-read some leads
-- (which they can do anyway by touching a row), never another organization. A member who holds
-- a drain open in a transaction delays only their own organization's live updates.
SET LOCAL ROLE closer_owner;

-- Unlogged: notices are worth nothing after a crash (clients re-read when they reconnect).
CREATE UNLOGGED TABLE closer_private.notify_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid NOT NULL,
    payload jsonb NOT NULL
);
CREATE INDEX notify_outbox_org_idx ON closer_private.notify_outbox (organization_id, id);
-- One row per organization, locked (SKIP LOCKED) by the session sending its notices.
CREATE UNLOGGED TABLE closer_private.notify_drainers (organization_id uuid PRIMARY KEY);
REVOKE ALL ON closer_private.notify_outbox, closer_private.notify_drainers FROM PUBLIC;

CREATE OR REPLACE FUNCTION closer.notify_flush() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
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
    -- Written through a closer.*_now procedure: kept in the session (a rolled-back transaction
    -- takes it back with it) for closer.announce, which sends it once this has committed.
    IF current_setting('closer.announce_after_commit', true) = 'on' THEN
        PERFORM set_config('closer.announce_pending',
            (coalesce(nullif(current_setting('closer.announce_pending', true), ''), '[]')::jsonb
             || jsonb_build_array(jsonb_build_object('org', org, 'payload', payload)))::text, false);
        RETURN NULL;
    END IF;
    channel := closer.org_channel(org);
    IF channel IS NOT NULL THEN
        PERFORM pg_notify(channel, payload);
    END IF;
    RETURN NULL;
END $$;

-- Moves the notices this session kept (closer.notify_flush) into the outbox and forgets them;
-- returns the organizations they are for. Only organizations the caller belongs to.
CREATE FUNCTION closer.announce_queue() RETURNS uuid[]
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    pending text := coalesce(current_setting('closer.announce_pending', true), '');
    orgs uuid[] := '{}';
BEGIN
    IF pending = '' THEN
        RETURN orgs;
    END IF;
    PERFORM set_config('closer.announce_pending', '', false);
    BEGIN
        WITH items AS (
            SELECT (item ->> 'org')::uuid AS org, (item ->> 'payload')::jsonb AS payload
            FROM jsonb_array_elements(pending::jsonb) item
        ), mine AS (
            INSERT INTO closer_private.notify_outbox (organization_id, payload)
            SELECT i.org, i.payload FROM items i
            WHERE closer.my_notify_channel(i.org) IS NOT NULL AND jsonb_typeof(i.payload) = 'object'
            RETURNING organization_id
        )
        SELECT coalesce(array_agg(DISTINCT m.organization_id), '{}') INTO orgs FROM mine m;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'closer.announce_queue: a pending notice was malformed and dropped';
    END;
    RETURN orgs;
END $$;

-- Sends everything waiting for `org` as one notification, if no other session is doing so:
-- 'sent', 'empty' (this session holds the drainer and found nothing) or 'busy' (another does).
CREATE FUNCTION closer.announce_drain(org uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    channel text := closer.my_notify_channel(org);
    leads jsonb := '[]';
    stages jsonb := '[]';
    item jsonb;
    sent integer := 0;
BEGIN
    IF channel IS NULL THEN
        RETURN 'empty';
    END IF;
    PERFORM 1 FROM closer_private.notify_drainers d WHERE d.organization_id = org FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        INSERT INTO closer_private.notify_drainers (organization_id) VALUES (org) ON CONFLICT DO NOTHING;
        PERFORM 1 FROM closer_private.notify_drainers d WHERE d.organization_id = org FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN 'busy';
        END IF;
    END IF;
    -- Lists merge; past 20 ids (what listeners accept) or any "everything", it is everything.
    FOR item IN DELETE FROM closer_private.notify_outbox o WHERE o.organization_id = org RETURNING o.payload LOOP
        sent := sent + 1;
        leads := CASE WHEN leads = 'null' OR jsonb_typeof(item -> 'leads') IS DISTINCT FROM 'array' THEN 'null'
                      ELSE (SELECT coalesce(jsonb_agg(DISTINCT x), '[]') FROM (
                                SELECT jsonb_array_elements(leads) x UNION SELECT jsonb_array_elements(item -> 'leads')) u) END;
        stages := CASE WHEN stages = 'null' OR jsonb_typeof(item -> 'stages') IS DISTINCT FROM 'array' THEN 'null'
                       ELSE (SELECT coalesce(jsonb_agg(DISTINCT x), '[]') FROM (
                                 SELECT jsonb_array_elements(stages) x UNION SELECT jsonb_array_elements(item -> 'stages')) u) END;
        IF jsonb_typeof(leads) = 'array' AND jsonb_array_length(leads) > 20 THEN
            leads := 'null';
        END IF;
        IF jsonb_typeof(stages) = 'array' AND jsonb_array_length(stages) > 20 THEN
            stages := 'null';
        END IF;
    END LOOP;
    IF sent = 0 THEN
        RETURN 'empty';
    END IF;
    PERFORM pg_notify(channel, jsonb_build_object('v', 1, 'leads', leads, 'stages', stages)::text);
    RETURN 'sent';
END $$;

-- Whether notices wait for `org` (looked at after releasing the drainer).
CREATE FUNCTION closer.announce_waiting(org uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT closer.my_notify_channel(org) IS NOT NULL
       AND EXISTS (SELECT 1 FROM closer_private.notify_outbox o WHERE o.organization_id = org)
$$;
REVOKE EXECUTE ON FUNCTION closer.announce_queue(), closer.announce_drain(uuid), closer.announce_waiting(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.announce_queue(), closer.announce_drain(uuid), closer.announce_waiting(uuid) TO closer_member;

-- The tail of every closer.*_now procedure, after the write has committed.
CREATE PROCEDURE closer.announce_now()
    LANGUAGE plpgsql
AS $$
DECLARE
    orgs uuid[] := closer.announce_queue();
    org uuid;
    outcome text;
    rounds integer;
BEGIN
    COMMIT;
    FOREACH org IN ARRAY orgs LOOP
        rounds := 0;
        LOOP
            outcome := closer.announce_drain(org);
            COMMIT;
            rounds := rounds + 1;
            EXIT WHEN outcome = 'busy';
            -- Under a steady stream this session could drain forever while its own rep waits:
            -- after four notifications the next writer of the organization takes over (the one
            -- window left: the floor falling silent in that very millisecond; see SECURITY.md).
            EXIT WHEN outcome = 'sent' AND rounds >= 4;
            CONTINUE WHEN outcome = 'sent';
            -- Released with nothing found: a notice queued meanwhile may have been skipped by
            -- its writer (drainer busy) and missed by this drain; look once more.
            EXIT WHEN NOT closer.announce_waiting(org);
        END LOOP;
    END LOOP;
END $$;
REVOKE EXECUTE ON PROCEDURE closer.announce_now() FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE closer.announce_now() TO closer_member;

-- The procedures: SECURITY INVOKER and without SET options, because PostgreSQL allows COMMIT
-- only there; they add no privilege (each calls a function the member may call anyway).
-- Names are schema-qualified, so the caller's search_path cannot redirect them.
CREATE PROCEDURE closer.move_lead_now(org uuid, lead uuid, to_stage uuid, lost_reason text, from_stage uuid,
                                      INOUT id uuid DEFAULT NULL, INOUT stage_id uuid DEFAULT NULL,
                                      INOUT version integer DEFAULT NULL)
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('closer.announce_after_commit', 'on', true);
    SELECT m.id, m.stage_id, m.version INTO id, stage_id, version
    FROM closer.move_lead(org, lead, to_stage, lost_reason, from_stage) m;
    COMMIT;
    CALL closer.announce_now();
END $$;

CREATE PROCEDURE closer.log_interaction_now(org uuid, lead uuid, kind public.interaction_type,
                                            direction public.interaction_direction, subject text, content text,
                                            duration integer, outcome text,
                                            INOUT id uuid DEFAULT NULL, INOUT version integer DEFAULT NULL,
                                            INOUT total_calls integer DEFAULT NULL,
                                            INOUT last_contacted_at timestamptz DEFAULT NULL)
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('closer.announce_after_commit', 'on', true);
    SELECT i.id, i.version, i.total_calls, i.last_contacted_at INTO id, version, total_calls, last_contacted_at
    FROM closer.log_interaction(org, lead, kind, direction, subject, content, duration, outcome) i;
    COMMIT;
    CALL closer.announce_now();
END $$;

CREATE PROCEDURE closer.add_task_now(org uuid, lead uuid, title text, description text, due_date date,
                                     due_time time, priority public.task_priority, assigned_to uuid,
                                     tz text, now timestamptz, INOUT id uuid DEFAULT NULL)
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('closer.announce_after_commit', 'on', true);
    SELECT t.id INTO id
    FROM closer.add_task(org, lead, title, description, due_date, due_time, priority, assigned_to, tz, now) t;
    COMMIT;
    CALL closer.announce_now();
END $$;

CREATE PROCEDURE closer.complete_task_now(org uuid, task uuid, expected_version integer,
                                          INOUT version integer DEFAULT NULL)
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('closer.announce_after_commit', 'on', true);
    SELECT t.version INTO version FROM closer.complete_task(org, task, expected_version) t;
    COMMIT;
    CALL closer.announce_now();
END $$;

REVOKE EXECUTE ON PROCEDURE closer.move_lead_now(uuid, uuid, uuid, text, uuid, uuid, uuid, integer),
    closer.log_interaction_now(uuid, uuid, public.interaction_type, public.interaction_direction, text, text,
                               integer, text, uuid, integer, integer, timestamptz),
    closer.add_task_now(uuid, uuid, text, text, date, time, public.task_priority, uuid, text, timestamptz, uuid),
    closer.complete_task_now(uuid, uuid, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE closer.move_lead_now(uuid, uuid, uuid, text, uuid, uuid, uuid, integer),
    closer.log_interaction_now(uuid, uuid, public.interaction_type, public.interaction_direction, text, text,
                               integer, text, uuid, integer, integer, timestamptz),
    closer.add_task_now(uuid, uuid, text, text, date, time, public.task_priority, uuid, text, timestamptz, uuid),
    closer.complete_task_now(uuid, uuid, integer, integer) TO closer_member;

RESET ROLE;
