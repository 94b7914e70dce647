-- Live updates without the cluster-wide convoy (issue 16: 50 reps, >= 500 transactions/s).
--
-- PostgreSQL (up to 17) serialises every transaction that NOTIFYs on one cluster-wide lock, taken
-- just before commit and released after the commit record is flushed to disk. Under load every
-- write queued on that lock for its turn to fsync, one at a time: all four kinds of write had
-- the same latency (p50 ~400 ms at 113 tx/s), and turning synchronous_commit off (not an
-- option: it gives up durability) nearly doubled throughput.
--
-- So the busiest writes (move, log a call, add or complete a task) now commit first and
-- announce after: a closer.*_now procedure calls the same function as before, COMMITs (durable,
-- and free to share its WAL flush with other committers), then sends the notification in a
-- second transaction that writes nothing, so holds the notify lock for microseconds. Still one
-- statement (CALL) and one round trip from the client, one notification per write, and the
-- notification never goes out for a write that rolled back. Every other writer (psql, the CLI,
-- the other functions) still notifies at its own commit, as before.
--
-- What a member gains: closer.announce sends pending notices only to channels of organizations
-- the caller belongs to (closer.my_notify_channel), so a member can make their own teammates
-- re-read some leads (which they can do anyway by touching a row), never another organization.
SET LOCAL ROLE closer_owner;

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

-- Sends the notices a closer.*_now procedure kept, then forgets them. Never fails: the write it
-- announces has committed already, and a missed notice only delays a teammate's refresh
-- (clients also re-read on reconnect), while an error would tell the rep a saved write failed.
CREATE FUNCTION closer.announce() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    pending text := coalesce(current_setting('closer.announce_pending', true), '');
    item jsonb;
    channel text;
BEGIN
    IF pending = '' THEN
        RETURN;
    END IF;
    PERFORM set_config('closer.announce_pending', '', false);
    BEGIN
        FOR item IN SELECT jsonb_array_elements(pending::jsonb) LOOP
            channel := closer.my_notify_channel((item ->> 'org')::uuid);
            IF channel IS NOT NULL AND jsonb_typeof(item -> 'payload') = 'string' THEN
                PERFORM pg_notify(channel, item ->> 'payload');
            END IF;
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'closer.announce: a pending notice was malformed and dropped';
    END;
END $$;
REVOKE EXECUTE ON FUNCTION closer.announce() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.announce() TO closer_member;

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
    PERFORM closer.announce();
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
    PERFORM closer.announce();
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
    PERFORM closer.announce();
END $$;

CREATE PROCEDURE closer.complete_task_now(org uuid, task uuid, expected_version integer,
                                          INOUT version integer DEFAULT NULL)
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('closer.announce_after_commit', 'on', true);
    SELECT t.version INTO version FROM closer.complete_task(org, task, expected_version) t;
    COMMIT;
    PERFORM closer.announce();
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
