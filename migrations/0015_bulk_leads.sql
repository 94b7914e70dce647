-- Many cards at once on the board (issue 12): move, reassign, tag or delete the marked leads in
-- one statement each, all or nothing. `items` is the client's list of marked leads with the
-- version each card showed: if any lead is gone, invisible (another organization) or changed by
-- a teammate since, nothing is written and the sentence says which. Each write records the same
-- activity as its single-lead twin, per lead, and returns the exact undo as one JSON value;
-- `closer.bulk_undo` puts every lead back or, if a teammate changed one since, none.
-- Moves into or out of won/lost stages are refused here: closing is one decision per lead
-- (reason, deals, tasks) and goes through closer.close_lead.
SET LOCAL ROLE closer_owner;

-- Internal (never granted; runs as the definer functions' owner): checks the list and locks the
-- leads in id order so two bulk writes over the same cards cannot deadlock.
CREATE FUNCTION closer.bulk_lock(org uuid, items jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = ''
AS $$
DECLARE
    wanted integer;
    locked_count integer;
    changed text;
BEGIN
    IF jsonb_typeof(items) IS DISTINCT FROM 'array' OR jsonb_array_length(items) = 0 THEN
        RAISE EXCEPTION 'No leads are marked' USING ERRCODE = 'CL422';
    END IF;
    IF jsonb_array_length(items) > 1000 THEN
        RAISE EXCEPTION 'At most 1000 leads can be changed at once; mark fewer' USING ERRCODE = 'CL422';
    END IF;
    SELECT count(DISTINCT i.id) INTO wanted FROM jsonb_to_recordset(items) AS i (id uuid, version integer);
    WITH locked AS (
        SELECT l.id FROM public.leads l
        WHERE l.organization_id = org AND l.id IN (SELECT i.id FROM jsonb_to_recordset(items) AS i (id uuid, version integer))
        ORDER BY l.id FOR UPDATE
    )
    SELECT count(*) INTO locked_count FROM locked;
    IF locked_count <> wanted THEN
        RAISE EXCEPTION '% of the marked leads were deleted or are not visible to you; nothing was changed',
            wanted - locked_count USING ERRCODE = 'CL422';
    END IF;
    SELECT l.name INTO changed
    FROM jsonb_to_recordset(items) AS i (id uuid, version integer)
    JOIN public.leads l ON l.organization_id = org AND l.id = i.id
    WHERE i.version IS DISTINCT FROM l.version
    ORDER BY l.name LIMIT 1;
    IF changed IS NOT NULL THEN
        RAISE EXCEPTION 'A teammate changed % since you marked it; nothing was changed (press r to reload)',
            changed USING ERRCODE = 'CL422';
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION closer.bulk_lock(uuid, jsonb) FROM PUBLIC;

-- Moves the marked leads to `to_stage` (an open stage of their pipeline). Undo: each lead's
-- stage before and the version the move left.
CREATE FUNCTION closer.bulk_move(org uuid, items jsonb, to_stage uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    target record;
    closed text;
    undo jsonb;
BEGIN
    PERFORM closer.require_member(org);
    SELECT s.id, s.name, s.pipeline_id, s.is_won OR s.is_lost AS closed INTO target
    FROM public.pipeline_stages s WHERE s.organization_id = org AND s.id = to_stage;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'That stage was deleted or is not visible to you' USING ERRCODE = 'CL404';
    END IF;
    IF target.closed THEN
        RAISE EXCEPTION 'Marked leads are not moved into %: closing asks for each lead''s reason, deals and tasks, so close them one at a time', target.name
            USING ERRCODE = 'CL422';
    END IF;
    PERFORM closer.bulk_lock(org, items);
    SELECT l.name INTO closed
    FROM public.leads l JOIN public.pipeline_stages s ON s.organization_id = l.organization_id AND s.id = l.stage_id
    WHERE l.organization_id = org AND l.id IN (SELECT i.id FROM jsonb_to_recordset(items) AS i (id uuid))
      AND (s.is_won OR s.is_lost OR s.pipeline_id <> target.pipeline_id)
    ORDER BY l.name LIMIT 1;
    IF closed IS NOT NULL THEN
        RAISE EXCEPTION '% is closed or in another pipeline; unmark it (reopening asks about its deals one lead at a time)', closed
            USING ERRCODE = 'CL422';
    END IF;
    WITH before AS (
        SELECT l.id, l.stage_id, l.lost_reason FROM public.leads l
        WHERE l.organization_id = org AND l.id IN (SELECT i.id FROM jsonb_to_recordset(items) AS i (id uuid))
          AND l.stage_id <> to_stage
    ), moved AS (
        UPDATE public.leads l SET stage_id = to_stage, lost_reason = NULL
        FROM before b WHERE l.organization_id = org AND l.id = b.id
        RETURNING l.id, l.version, b.stage_id AS from_stage
    ), logged AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT org, m.id, 'stage_change', jsonb_build_object(
            'from_stage_id', m.from_stage, 'to_stage_id', to_stage,
            'from', (SELECT s.name FROM public.pipeline_stages s WHERE s.organization_id = org AND s.id = m.from_stage),
            'to', target.name, 'lost_reason', NULL, 'bulk', true)
        FROM moved m
    )
    SELECT jsonb_build_object('kind', 'move', 'to_stage', to_stage, 'leads',
           coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'version', m.version, 'stage_id', m.from_stage)
                              ORDER BY m.id), '[]'))
    INTO undo FROM moved m;
    RETURN undo;
END $$;

-- Gives the marked leads to `owner` (a member of the organization; the foreign key says so).
-- Undo: each lead's owner before and the version the change left.
CREATE FUNCTION closer.bulk_assign(org uuid, items jsonb, owner uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    undo jsonb;
BEGIN
    PERFORM closer.require_member(org);
    PERFORM closer.bulk_lock(org, items);
    WITH before AS (
        SELECT l.id, l.assigned_to FROM public.leads l
        WHERE l.organization_id = org AND l.id IN (SELECT i.id FROM jsonb_to_recordset(items) AS i (id uuid))
          AND l.assigned_to IS DISTINCT FROM owner
    ), changed AS (
        UPDATE public.leads l SET assigned_to = owner
        FROM before b WHERE l.organization_id = org AND l.id = b.id
        RETURNING l.id, l.version, b.assigned_to AS before_owner
    ), logged AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT org, c.id, 'lead_updated', jsonb_build_object('fields', jsonb_build_array('assigned_to'), 'bulk', true)
        FROM changed c
    )
    SELECT jsonb_build_object('kind', 'assign', 'owner', owner, 'leads',
           coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'version', c.version, 'assigned_to', c.before_owner)
                              ORDER BY c.id), '[]'))
    INTO undo FROM changed c;
    RETURN undo;
END $$;

-- Adds `tag` (in the organization's spelling, like closer.add_tag) to the marked leads that do
-- not have it. Undo: the tag rows added.
CREATE FUNCTION closer.bulk_tag(org uuid, items jsonb, new_tag text, new_color text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    spelled text;
    undo jsonb;
BEGIN
    PERFORM closer.require_member(org);
    IF nullif(btrim(new_tag), '') IS NULL THEN
        RAISE EXCEPTION 'Type a tag to add' USING ERRCODE = 'CL422';
    END IF;
    PERFORM closer.bulk_lock(org, items);
    spelled := coalesce((SELECT g.tag FROM public.lead_tags g
                         WHERE g.organization_id = org AND lower(g.tag) = lower(btrim(new_tag))
                         ORDER BY g.created_at, g.id LIMIT 1), btrim(new_tag));
    WITH tagged AS (
        INSERT INTO public.lead_tags AS g (organization_id, lead_id, tag, color)
        SELECT org, l.id, spelled, new_color FROM public.leads l
        WHERE l.organization_id = org AND l.id IN (SELECT i.id FROM jsonb_to_recordset(items) AS i (id uuid))
        ON CONFLICT (organization_id, lead_id, lower(tag)) DO NOTHING
        RETURNING g.id, g.lead_id, g.tag, g.color
    ), logged AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT org, t.lead_id, 'tag_added', jsonb_build_object('tag', t.tag, 'color', t.color, 'from_color', NULL, 'bulk', true)
        FROM tagged t
    )
    SELECT jsonb_build_object('kind', 'tag', 'tag', spelled, 'leads',
           coalesce(jsonb_agg(jsonb_build_object('id', t.lead_id, 'tag_id', t.id) ORDER BY t.lead_id), '[]'))
    INTO undo FROM tagged t;
    RETURN undo;
END $$;

-- Managers and admins only, like closer.delete_lead; returns how many were deleted. Not undone:
-- the confirmation says so.
CREATE FUNCTION closer.bulk_delete(org uuid, items jsonb) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    done integer;
BEGIN
    PERFORM closer.require_manager(org);
    PERFORM closer.bulk_lock(org, items);
    DELETE FROM public.leads l
    WHERE l.organization_id = org AND l.id IN (SELECT i.id FROM jsonb_to_recordset(items) AS i (id uuid));
    GET DIAGNOSTICS done = ROW_COUNT;
    RETURN done;
END $$;

-- Puts back what bulk_move / bulk_assign / bulk_tag returned. The undo comes from the client:
-- every lead must be in the organization and still carry what the write left (version, stage,
-- tag row), else nothing is undone. A forged undo can do no more than move_lead, update_lead
-- and remove_tag already allow on the same rows (it never moves into a won/lost stage).
CREATE FUNCTION closer.bulk_undo(org uuid, undo jsonb) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    kind text := undo->>'kind';
    items jsonb := undo->'leads';
    wanted integer;
    done integer;
    changed text;
BEGIN
    PERFORM closer.require_member(org);
    IF kind NOT IN ('move', 'assign', 'tag') OR jsonb_typeof(items) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'This undo is not one Closer wrote' USING ERRCODE = 'CL422';
    END IF;
    IF jsonb_array_length(items) = 0 THEN
        RETURN 0;
    END IF;
    IF kind = 'tag' THEN
        SELECT count(DISTINCT i.tag_id) INTO wanted FROM jsonb_to_recordset(items) AS i (id uuid, tag_id uuid);
        WITH locked AS (
            SELECT g.id FROM public.lead_tags g
            JOIN jsonb_to_recordset(items) AS i (id uuid, tag_id uuid) ON i.tag_id = g.id AND i.id = g.lead_id
            WHERE g.organization_id = org ORDER BY g.id FOR UPDATE OF g
        )
        SELECT count(*) INTO done FROM locked;
        IF done <> wanted THEN
            RAISE EXCEPTION 'Cannot undo: a teammate removed the tag from % of these leads since; nothing was undone',
                wanted - done USING ERRCODE = 'CL422';
        END IF;
        WITH removed AS (
            DELETE FROM public.lead_tags g USING jsonb_to_recordset(items) AS i (id uuid, tag_id uuid)
            WHERE g.organization_id = org AND g.id = i.tag_id AND g.lead_id = i.id
            RETURNING g.lead_id, g.tag, g.color
        ), logged AS (
            INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
            SELECT org, r.lead_id, 'tag_removed', jsonb_build_object('tag', r.tag, 'color', r.color, 'bulk', true)
            FROM removed r
        )
        SELECT count(*) INTO done FROM removed;
        RETURN done;
    END IF;

    -- Moves and owner changes: the version the write left, checked under lock.
    SELECT count(DISTINCT i.id) INTO wanted FROM jsonb_to_recordset(items) AS i (id uuid);
    WITH locked AS (
        SELECT l.id FROM public.leads l
        WHERE l.organization_id = org AND l.id IN (SELECT i.id FROM jsonb_to_recordset(items) AS i (id uuid))
        ORDER BY l.id FOR UPDATE
    )
    SELECT count(*) INTO done FROM locked;
    IF done <> wanted THEN
        RAISE EXCEPTION 'Cannot undo: % of these leads were deleted since; nothing was undone', wanted - done
            USING ERRCODE = 'CL422';
    END IF;
    SELECT l.name INTO changed
    FROM jsonb_to_recordset(items) AS i (id uuid, version integer)
    JOIN public.leads l ON l.organization_id = org AND l.id = i.id
    WHERE i.version IS DISTINCT FROM l.version
    ORDER BY l.name LIMIT 1;
    IF changed IS NOT NULL THEN
        RAISE EXCEPTION 'Cannot undo: a teammate changed % since; nothing was undone (press r to see it)', changed
            USING ERRCODE = 'CL422';
    END IF;

    IF kind = 'move' THEN
        IF EXISTS (
            SELECT 1 FROM jsonb_to_recordset(items) AS i (id uuid, stage_id uuid)
            LEFT JOIN public.pipeline_stages s ON s.organization_id = org AND s.id = i.stage_id
            WHERE s.id IS NULL OR s.is_won OR s.is_lost
        ) THEN
            RAISE EXCEPTION 'Cannot undo: a stage these leads came from was deleted or closed since; nothing was undone'
                USING ERRCODE = 'CL422';
        END IF;
        WITH back AS (
            SELECT DISTINCT ON (i.id) i.id, i.stage_id FROM jsonb_to_recordset(items) AS i (id uuid, stage_id uuid)
        ), moved AS (
            UPDATE public.leads l SET stage_id = b.stage_id, lost_reason = NULL
            FROM back b, public.leads was
            WHERE l.organization_id = org AND l.id = b.id AND was.organization_id = org AND was.id = b.id
            RETURNING l.id, was.stage_id AS from_stage, b.stage_id AS to_stage
        ), logged AS (
            INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
            SELECT org, m.id, 'stage_change', jsonb_build_object(
                'from_stage_id', m.from_stage, 'to_stage_id', m.to_stage,
                'from', (SELECT s.name FROM public.pipeline_stages s WHERE s.organization_id = org AND s.id = m.from_stage),
                'to', (SELECT s.name FROM public.pipeline_stages s WHERE s.organization_id = org AND s.id = m.to_stage),
                'lost_reason', NULL, 'bulk', true, 'undo', true)
            FROM moved m
        )
        SELECT count(*) INTO done FROM moved;
    ELSE
        WITH back AS (
            SELECT DISTINCT ON (i.id) i.id, i.assigned_to FROM jsonb_to_recordset(items) AS i (id uuid, assigned_to uuid)
        ), changed_rows AS (
            UPDATE public.leads l SET assigned_to = b.assigned_to
            FROM back b WHERE l.organization_id = org AND l.id = b.id
            RETURNING l.id
        ), logged AS (
            INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
            SELECT org, c.id, 'lead_updated', jsonb_build_object('fields', jsonb_build_array('assigned_to'), 'bulk', true, 'undo', true)
            FROM changed_rows c
        )
        SELECT count(*) INTO done FROM changed_rows;
    END IF;
    RETURN done;
END $$;

REVOKE EXECUTE ON FUNCTION
    closer.bulk_move(uuid, jsonb, uuid),
    closer.bulk_assign(uuid, jsonb, uuid),
    closer.bulk_tag(uuid, jsonb, text, text),
    closer.bulk_delete(uuid, jsonb),
    closer.bulk_undo(uuid, jsonb)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    closer.bulk_move(uuid, jsonb, uuid),
    closer.bulk_assign(uuid, jsonb, uuid),
    closer.bulk_tag(uuid, jsonb, text, text),
    closer.bulk_delete(uuid, jsonb),
    closer.bulk_undo(uuid, jsonb)
TO closer_member;

RESET ROLE;
