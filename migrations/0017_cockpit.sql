-- Issue 10 and 13, the schema changes that build on 0016 (one file for the cockpit helper):
--   1. "open task" = pending or overdue everywhere the database decides it (cancelled is not open);
--      close_lead gains tasks = 'cancel' (undo_close restores status and completed_at as given).
--   2. deals carry their lead's pipeline and owner (two new triggers) so insights read no lead.
SET LOCAL ROLE closer_owner;

-- ---------------------------------------------------------------------------
-- 1. Cancelled tasks.
-- ---------------------------------------------------------------------------
-- Overdue: only an open task (was "not completed", which a cancelled task is too).
CREATE OR REPLACE FUNCTION closer.task_overdue(status public.task_status, due_date date, due_time time, tz text, now timestamptz)
    RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT status IN ('pending'::public.task_status, 'overdue'::public.task_status)
       AND (due_date < (now AT TIME ZONE tz)::date
            OR (due_date = (now AT TIME ZONE tz)::date AND due_time IS NOT NULL
                AND due_time < (now AT TIME ZONE tz)::time))
$$;

-- close_lead as in 0006, with tasks: 'keep' | 'complete' | 'cancel' (open tasks become cancelled,
-- completed_at stays null). The undo lists each task's status before, so undo_close puts a
-- cancelled task back exactly as it was.
CREATE OR REPLACE FUNCTION closer.close_lead(org uuid, lead uuid, from_stage uuid, to_stage uuid, lost_reason text,
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
    IF deals NOT IN ('keep', 'close', 'reopen') OR tasks NOT IN ('keep', 'complete', 'cancel') THEN
        RAISE EXCEPTION 'Unknown closing choice (deals: keep/close/reopen, tasks: keep/complete/cancel)'
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

    IF tasks IN ('complete', 'cancel') THEN
        WITH old AS (
            SELECT t.id, t.status, t.completed_at FROM public.lead_tasks t
            WHERE t.organization_id = org AND t.lead_id = lead AND t.status IN ('pending', 'overdue')
            ORDER BY t.id FOR UPDATE
        ), changed AS (
            UPDATE public.lead_tasks t
            SET status = CASE WHEN tasks = 'complete' THEN 'completed'::public.task_status
                              ELSE 'cancelled'::public.task_status END,
                completed_at = CASE WHEN tasks = 'complete' THEN now() END
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

-- Snoozing and rescheduling keep a closed (completed or cancelled) task closed; only open tasks
-- take their status from the new date. Bodies as in 0004 otherwise.
CREATE OR REPLACE FUNCTION closer.snooze_tasks(org uuid, ids uuid[], tz text, now timestamptz, mode text,
                                    until date, days integer, label text)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
BEGIN
    IF days NOT BETWEEN 0 AND 3650 THEN
        RAISE EXCEPTION 'A task can be snoozed by at most 3650 days' USING ERRCODE = '22023';
    END IF;
    PERFORM closer.lock_tasks(org, ids);
    PERFORM closer.task_write('task_snoozed',
        'SELECT b.id,
                CASE $6
                    WHEN ''next_monday'' THEN ($4 AT TIME ZONE $3)::date + (8 - extract(isodow FROM ($4 AT TIME ZONE $3)::date)::int)
                    WHEN ''until'' THEN $7::date
                    ELSE greatest(($4 AT TIME ZONE $3)::date, coalesce(b.due_date, ($4 AT TIME ZONE $3)::date)) + $8::int
                END AS due_date,
                b.due_time
         FROM before b WHERE b.status IN (''pending'', ''overdue'')',
        'due_date = t.due_date, due_time = t.due_time,
         status = CASE WHEN task.status IN (''pending'', ''overdue'') THEN closer.open_status(t.due_date, t.due_time, $3, $4)
                       ELSE task.status END',
        'jsonb_build_object(''task_id'', c.id, ''title'', c.title, ''snooze'', $9,
                           ''from_date'', b.due_date, ''from_time'', b.due_time,
                           ''due_date'', c.due_date, ''due_time'', c.due_time)',
        'true', org, ids, tz, now, NULL, mode, until::text, days::text, label);
END $$;

CREATE OR REPLACE FUNCTION closer.reschedule_task(org uuid, task uuid, expected_version integer, due_date date,
                                       due_time time, tz text, now timestamptz)
    RETURNS TABLE (id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
BEGIN
    PERFORM closer.require_member(org);
    RETURN QUERY SELECT w.id, w.version FROM closer.task_write('task_rescheduled',
        'SELECT b.id, $6::date AS due_date, $7::time AS due_time FROM before b',
        'due_date = t.due_date, due_time = t.due_time,
         status = CASE WHEN task.status IN (''pending'', ''overdue'') THEN closer.open_status(t.due_date, t.due_time, $3, $4)
                       ELSE task.status END',
        'jsonb_build_object(''task_id'', c.id, ''title'', c.title,
                           ''from_date'', b.due_date, ''from_time'', b.due_time,
                           ''due_date'', c.due_date, ''due_time'', c.due_time)',
        'c.due_date IS DISTINCT FROM b.due_date OR c.due_time IS DISTINCT FROM b.due_time',
        org, ARRAY[task], tz, now, expected_version, due_date::text, due_time::text, NULL, NULL) w;
END $$;

-- ---------------------------------------------------------------------------
-- 2. Insights read deals by pipeline and owner without joining their leads (issue 13). Each deal
--    carries its lead's pipeline (through the lead's stage) and owner (`assigned_to`), kept by
--    two new triggers (the existing ones are unchanged): a deal takes them from its lead on
--    insert and when its lead changes; a lead passes them on when its owner or its pipeline
--    changes (a move inside one pipeline writes no deal). The forecast, won/lost, sources and
--    leaderboard panels are then one index range per status over the period's deals of the
--    pipeline: the cost follows the period's deals, not the organization's leads.
-- ---------------------------------------------------------------------------
ALTER TABLE deals ADD COLUMN pipeline_id uuid, ADD COLUMN owner_id uuid;

-- The backfill runs without the row triggers (derived columns are no edit: no version bump, no
-- notification) and as the migrating admin: closer_owner writes only for members under RLS, so
-- as closer_owner this UPDATE would match no row.
ALTER TABLE deals DISABLE TRIGGER USER;
RESET ROLE;
UPDATE deals d SET pipeline_id = s.pipeline_id, owner_id = l.assigned_to
FROM leads l
JOIN pipeline_stages s ON s.organization_id = l.organization_id AND s.id = l.stage_id
WHERE l.organization_id = d.organization_id AND l.id = d.lead_id;
SET LOCAL ROLE closer_owner;
ALTER TABLE deals ENABLE TRIGGER USER;

-- Runs as the writer, like 0013's (members write through closer.* under RLS; the seed and an
-- admin bypass it). Whatever the writer puts in the two columns, the lead decides.
CREATE FUNCTION closer.deal_takes_lead_scope() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    SELECT s.pipeline_id, l.assigned_to INTO NEW.pipeline_id, NEW.owner_id
    FROM public.leads l
    JOIN public.pipeline_stages s ON s.organization_id = l.organization_id AND s.id = l.stage_id
    WHERE l.organization_id = NEW.organization_id AND l.id = NEW.lead_id;
    RETURN NEW;
END $$;
CREATE TRIGGER deals_take_lead_scope BEFORE INSERT OR UPDATE OF lead_id, pipeline_id, owner_id ON deals
    FOR EACH ROW EXECUTE FUNCTION closer.deal_takes_lead_scope();

CREATE FUNCTION closer.deals_follow_lead_scope() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    -- A move between stages of one pipeline (the board's every move) changes no deal.
    IF OLD.assigned_to IS NOT DISTINCT FROM NEW.assigned_to
       AND (SELECT s.pipeline_id FROM public.pipeline_stages s
            WHERE s.organization_id = NEW.organization_id AND s.id = NEW.stage_id)
           IS NOT DISTINCT FROM
           (SELECT s.pipeline_id FROM public.pipeline_stages s
            WHERE s.organization_id = OLD.organization_id AND s.id = OLD.stage_id) THEN
        RETURN NULL;
    END IF;
    -- deals_take_lead_scope fills both columns from the lead as it is now.
    UPDATE public.deals d SET owner_id = NEW.assigned_to
    WHERE d.organization_id = NEW.organization_id AND d.lead_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER leads_deals_follow_scope AFTER UPDATE OF stage_id, assigned_to ON leads
    FOR EACH ROW WHEN (OLD.stage_id IS DISTINCT FROM NEW.stage_id OR OLD.assigned_to IS DISTINCT FROM NEW.assigned_to)
    EXECUTE FUNCTION closer.deals_follow_lead_scope();

REVOKE EXECUTE ON FUNCTION closer.deal_takes_lead_scope(), closer.deals_follow_lead_scope() FROM PUBLIC;

-- The insights' ranges (0009's by organization and day only joined every lead of the pipeline).
DROP INDEX deals_won_on_idx, deals_lost_on_idx, deals_open_close_idx;
CREATE INDEX deals_won_scope_idx ON deals (organization_id, pipeline_id, closed_on)
    INCLUDE (owner_id, amount, lead_id) WHERE status = 'won';
CREATE INDEX deals_lost_scope_idx ON deals (organization_id, pipeline_id, closed_on)
    INCLUDE (owner_id, amount) WHERE status = 'lost';
CREATE INDEX deals_open_scope_idx ON deals (organization_id, pipeline_id, expected_close_date)
    INCLUDE (owner_id, amount, probability) WHERE status = 'open';

RESET ROLE;
