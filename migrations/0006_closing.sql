-- Closing is one decision (issue 10): a move into a won/lost stage can close the lead's open
-- deals and complete its open tasks in the same statement, and undo restores exactly that; the
-- board's closed-stage headers sum deals by the day they closed; "overdue" is one function.
SET LOCAL ROLE closer_owner;

-- ---------------------------------------------------------------------------
-- 1. deals.closed_on follows the status: set (today in the organization's time zone) when a deal
--    becomes won or lost, cleared when it reopens, unless the writer gives the date itself.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.org_today(org uuid) RETURNS date
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT (now() AT TIME ZONE coalesce((SELECT o.time_zone FROM public.organizations o WHERE o.id = org), 'UTC'))::date
$$;
-- Internal (the owner reads every organization): members compute their own day from the
-- organizations row RLS shows them.
REVOKE EXECUTE ON FUNCTION closer.org_today(uuid) FROM PUBLIC;

CREATE FUNCTION closer.deals_track_closed_on() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF NEW.status = 'open' THEN
        NEW.closed_on := NULL;
    ELSIF NEW.closed_on IS NULL
          OR (TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status
              AND NEW.closed_on IS NOT DISTINCT FROM OLD.closed_on) THEN
        NEW.closed_on := closer.org_today(NEW.organization_id);
    END IF;
    RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION closer.deals_track_closed_on() FROM PUBLIC;
CREATE TRIGGER deals_track_closed_on BEFORE INSERT OR UPDATE OF status, closed_on ON deals
    FOR EACH ROW EXECUTE FUNCTION closer.deals_track_closed_on();

-- Closed-stage headers and insights read closed deals by day: one index range per period.
CREATE INDEX deals_closed_idx ON deals (organization_id, status, closed_on) INCLUDE (lead_id, amount)
    WHERE status <> 'open';

-- ---------------------------------------------------------------------------
-- 2. "Overdue", one rule for every reader: an open task whose due date (and time, if any) has
--    passed at `now` in `tz`. Plain SQL without SET so the planner inlines it into index scans.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.task_overdue(status public.task_status, due_date date, due_time time, tz text, now timestamptz)
    RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT status <> 'completed'::public.task_status
       AND (due_date < (now AT TIME ZONE tz)::date
            OR (due_date = (now AT TIME ZONE tz)::date AND due_time IS NOT NULL
                AND due_time < (now AT TIME ZONE tz)::time))
$$;
REVOKE EXECUTE ON FUNCTION closer.task_overdue(public.task_status, date, time, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.task_overdue(public.task_status, date, time, text, timestamptz) TO closer_member;

-- ---------------------------------------------------------------------------
-- 3. close_lead: the move plus what closing means, in one round trip.
--    deals: 'keep' | 'close' (open deals become won, probability 100, in a won stage; lost in a
--           lost stage) | 'reopen' (closed deals become open again; only into an open stage)
--    tasks: 'keep' | 'complete' (open tasks are completed at now())
--    Returns the lead's new stage/version and `undo`: everything `undo_close` needs to put the
--    rows back exactly (previous deal status/probability/closed_on, task status/completed_at,
--    reason), with the versions this write left so a teammate's later change is detected.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.close_lead(org uuid, lead uuid, from_stage uuid, to_stage uuid, lost_reason text,
                                  deals text, tasks text)
    RETURNS TABLE (id uuid, stage_id uuid, version integer, undo jsonb)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
#variable_conflict use_column
DECLARE
    target record;
    before record;
    moved record;
    reason text := nullif(btrim(lost_reason), '');
    deal_undo jsonb := '[]';
    task_undo jsonb := '[]';
BEGIN
    PERFORM closer.require_member(org);
    IF deals NOT IN ('keep', 'close', 'reopen') OR tasks NOT IN ('keep', 'complete') THEN
        RAISE EXCEPTION 'Unknown closing choice (deals: keep/close/reopen, tasks: keep/complete)'
            USING ERRCODE = 'CL422';
    END IF;
    SELECT s.id, s.name, s.is_won, s.is_lost, s.default_probability INTO target
    FROM public.pipeline_stages s WHERE s.organization_id = org AND s.id = to_stage;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'that stage does not exist or is not visible to you' USING ERRCODE = 'CL404';
    END IF;
    IF target.is_lost AND reason IS NULL THEN
        RAISE EXCEPTION 'A lead moved to % needs a reason', target.name USING ERRCODE = 'CL422';
    END IF;
    IF deals = 'close' AND NOT (target.is_won OR target.is_lost) THEN
        RAISE EXCEPTION 'Deals can only be closed by a move into a won or lost stage' USING ERRCODE = 'CL422';
    END IF;
    IF deals = 'reopen' AND (target.is_won OR target.is_lost) THEN
        RAISE EXCEPTION 'Deals can only be reopened by a move into an open stage' USING ERRCODE = 'CL422';
    END IF;

    SELECT l.stage_id, l.lost_reason INTO before
    FROM public.leads l WHERE l.organization_id = org AND l.id = lead AND l.stage_id = from_stage
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;  -- changed meanwhile or gone: the client re-reads to tell which
    END IF;

    -- The lead first: its summary trigger carries the open deals to the new column, then the
    -- deal updates below take the closed ones off it.
    UPDATE public.leads l SET stage_id = to_stage,
                              lost_reason = CASE WHEN target.is_lost THEN reason ELSE NULL END
    WHERE l.organization_id = org AND l.id = lead
    RETURNING l.id, l.stage_id, l.version INTO moved;

    IF deals = 'close' THEN
        WITH old AS (
            SELECT d.id, d.status, d.probability, d.closed_on FROM public.deals d
            WHERE d.organization_id = org AND d.lead_id = lead AND d.status = 'open'
            ORDER BY d.id FOR UPDATE
        ), changed AS (
            UPDATE public.deals d
            SET status = CASE WHEN target.is_won THEN 'won'::public.deal_status ELSE 'lost'::public.deal_status END,
                probability = CASE WHEN target.is_won THEN 100 ELSE d.probability END,
                closed_on = closer.org_today(org)
            FROM old WHERE d.organization_id = org AND d.id = old.id
            RETURNING d.id, d.version, old.status, old.probability, old.closed_on
        )
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'version', c.version, 'status', c.status,
                                                     'probability', c.probability, 'closed_on', c.closed_on)), '[]')
        INTO deal_undo FROM changed c;
    ELSIF deals = 'reopen' THEN
        WITH old AS (
            SELECT d.id, d.status, d.probability, d.closed_on FROM public.deals d
            WHERE d.organization_id = org AND d.lead_id = lead AND d.status <> 'open'
            ORDER BY d.id FOR UPDATE
        ), changed AS (
            UPDATE public.deals d
            SET status = 'open', probability = coalesce(target.default_probability, d.probability)
            FROM old WHERE d.organization_id = org AND d.id = old.id
            RETURNING d.id, d.version, old.status, old.probability, old.closed_on
        )
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'version', c.version, 'status', c.status,
                                                     'probability', c.probability, 'closed_on', c.closed_on)), '[]')
        INTO deal_undo FROM changed c;
    END IF;

    IF tasks = 'complete' THEN
        WITH old AS (
            SELECT t.id, t.status, t.completed_at FROM public.lead_tasks t
            WHERE t.organization_id = org AND t.lead_id = lead AND t.status <> 'completed'
            ORDER BY t.id FOR UPDATE
        ), changed AS (
            UPDATE public.lead_tasks t SET status = 'completed', completed_at = now()
            FROM old WHERE t.organization_id = org AND t.id = old.id
            RETURNING t.id, t.version, old.status, old.completed_at
        )
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'version', c.version, 'status', c.status,
                                                     'completed_at', c.completed_at)), '[]')
        INTO task_undo FROM changed c;
    END IF;

    -- Closing may have bumped nothing else on the lead: its version is final here.
    INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
    VALUES (org, lead, 'stage_change', jsonb_build_object(
        'from_stage_id', from_stage, 'to_stage_id', to_stage,
        'from', (SELECT s.name FROM public.pipeline_stages s WHERE s.organization_id = org AND s.id = from_stage),
        'to', target.name,
        'lost_reason', CASE WHEN target.is_lost THEN reason END,
        'deals', deals, 'deal_ids', (SELECT coalesce(jsonb_agg(e->'id'), '[]') FROM jsonb_array_elements(deal_undo) e),
        'tasks', tasks, 'task_ids', (SELECT coalesce(jsonb_agg(e->'id'), '[]') FROM jsonb_array_elements(task_undo) e)));

    RETURN QUERY SELECT moved.id, moved.stage_id, moved.version, jsonb_build_object(
        'lead', lead, 'from_stage', from_stage, 'to_stage', to_stage, 'lead_version', moved.version,
        'previous_reason', before.lost_reason, 'deals', deal_undo, 'tasks', task_undo);
END $$;

-- ---------------------------------------------------------------------------
-- 4. undo_close: puts back what close_lead returned. The undo comes from the client, so every id
--    is checked against the organization AND the lead, and every row must still carry the version
--    close_lead left: if a teammate changed any of them since, nothing happens and the sentence
--    says what changed. A forged undo can do no more than update_deal/reopen_tasks already allow
--    on the same rows.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.undo_close(org uuid, undo jsonb)
    RETURNS TABLE (id uuid, stage_id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
#variable_conflict use_column
DECLARE
    lead uuid;
    from_stage uuid;
    to_stage uuid;
    wanted integer;
    done integer;
    moved record;
BEGIN
    PERFORM closer.require_member(org);
    BEGIN
        lead := (undo->>'lead')::uuid;
        from_stage := (undo->>'from_stage')::uuid;
        to_stage := (undo->>'to_stage')::uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        lead := NULL;
    END;
    IF lead IS NULL OR from_stage IS NULL OR to_stage IS NULL
       OR jsonb_typeof(undo->'deals') IS DISTINCT FROM 'array' OR jsonb_typeof(undo->'tasks') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'This undo is not one Closer wrote' USING ERRCODE = 'CL422';
    END IF;

    PERFORM 1 FROM public.leads l
    WHERE l.organization_id = org AND l.id = lead AND l.stage_id = to_stage
      AND l.version = (undo->>'lead_version')::integer
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Cannot undo: a teammate changed or moved this lead since; nothing was undone'
            USING ERRCODE = 'CL422';
    END IF;

    -- Deals: same organization, same lead, untouched since (version), each id once.
    wanted := jsonb_array_length(undo->'deals');
    WITH back AS (
        SELECT DISTINCT ON (b.id) b.* FROM jsonb_to_recordset(undo->'deals')
            AS b (id uuid, version integer, status public.deal_status, probability integer, closed_on date)
    ), locked AS (
        SELECT d.id FROM public.deals d JOIN back b ON b.id = d.id AND b.version = d.version
        WHERE d.organization_id = org AND d.lead_id = lead
        ORDER BY d.id FOR UPDATE OF d
    )
    SELECT count(*) INTO done FROM locked;
    IF done <> wanted THEN
        RAISE EXCEPTION 'Cannot undo: a teammate changed one of this lead''s deals since; nothing was undone'
            USING ERRCODE = 'CL422';
    END IF;
    wanted := jsonb_array_length(undo->'tasks');
    WITH back AS (
        SELECT DISTINCT ON (b.id) b.* FROM jsonb_to_recordset(undo->'tasks') AS b (id uuid, version integer)
    ), locked AS (
        SELECT t.id FROM public.lead_tasks t JOIN back b ON b.id = t.id AND b.version = t.version
        WHERE t.organization_id = org AND t.lead_id = lead
        ORDER BY t.id FOR UPDATE OF t
    )
    SELECT count(*) INTO done FROM locked;
    IF done <> wanted THEN
        RAISE EXCEPTION 'Cannot undo: a teammate changed one of this lead''s tasks since; nothing was undone'
            USING ERRCODE = 'CL422';
    END IF;

    UPDATE public.leads l SET stage_id = from_stage, lost_reason = undo->>'previous_reason'
    WHERE l.organization_id = org AND l.id = lead
    RETURNING l.id, l.stage_id, l.version INTO moved;

    UPDATE public.deals d SET status = b.status, probability = b.probability, closed_on = b.closed_on
    FROM jsonb_to_recordset(undo->'deals')
        AS b (id uuid, version integer, status public.deal_status, probability integer, closed_on date)
    WHERE d.organization_id = org AND d.lead_id = lead AND d.id = b.id;

    UPDATE public.lead_tasks t SET status = b.status, completed_at = b.completed_at
    FROM jsonb_to_recordset(undo->'tasks') AS b (id uuid, version integer, status public.task_status, completed_at timestamptz)
    WHERE t.organization_id = org AND t.lead_id = lead AND t.id = b.id;

    INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
    VALUES (org, lead, 'stage_change', jsonb_build_object(
        'from_stage_id', to_stage, 'to_stage_id', from_stage,
        'from', (SELECT s.name FROM public.pipeline_stages s WHERE s.organization_id = org AND s.id = to_stage),
        'to', (SELECT s.name FROM public.pipeline_stages s WHERE s.organization_id = org AND s.id = from_stage),
        'lost_reason', undo->>'previous_reason', 'undo', true,
        'deal_ids', (SELECT coalesce(jsonb_agg(e->'id'), '[]') FROM jsonb_array_elements(undo->'deals') e),
        'task_ids', (SELECT coalesce(jsonb_agg(e->'id'), '[]') FROM jsonb_array_elements(undo->'tasks') e)));

    RETURN QUERY SELECT moved.id, moved.stage_id, moved.version;
END $$;

-- ---------------------------------------------------------------------------
-- 5. A lead starts in a lost stage only with a reason (whoever inserts it: API, SQL, seed).
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.leads_lost_need_a_reason() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    stage record;
BEGIN
    SELECT s.name, s.is_lost INTO stage FROM public.pipeline_stages s
    WHERE s.organization_id = NEW.organization_id AND s.id = NEW.stage_id;
    IF stage.is_lost AND nullif(btrim(NEW.lost_reason), '') IS NULL THEN
        RAISE EXCEPTION 'A lead created in % needs a reason: create it in an open stage, then move it', stage.name
            USING ERRCODE = 'CL422';
    END IF;
    RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION closer.leads_lost_need_a_reason() FROM PUBLIC;
CREATE TRIGGER leads_lost_need_a_reason BEFORE INSERT ON leads
    FOR EACH ROW EXECUTE FUNCTION closer.leads_lost_need_a_reason();

REVOKE EXECUTE ON FUNCTION
    closer.close_lead(uuid, uuid, uuid, uuid, text, text, text),
    closer.undo_close(uuid, jsonb)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    closer.close_lead(uuid, uuid, uuid, uuid, text, text, text),
    closer.undo_close(uuid, jsonb)
TO closer_member;

RESET ROLE;
