-- A move's own cost (issue 16: a move <= 1.5x a bare UPDATE of the stage). Measured with
-- track_functions = all on a 100k organization, per move, the work a bare UPDATE does not do was:
-- * closer.move_lead is a SQL function with SET options, so PostgreSQL plans its UPDATE and
--   INSERT (with their RLS policies) again on every call: ~1.3 ms of its own time per move.
--   As PL/pgSQL the plans are prepared once per connection and reused.
-- * Every owner read of pipeline_stages evaluates closer.user_org_ids() and
--   closer.user_manager_org_ids() (two policies): the move's activity read the two stage names
--   in two lookups, and the closed-flag trigger (0013) read the old and new stage in two more.
--   One lookup each now reads both stages.
-- Behaviour is unchanged: same signatures, owners, grants and SET options, same rows written,
-- same errors. Only the UPDATE path (moves) is touched; no INSERT trigger is redefined.
SET LOCAL ROLE closer_owner;

CREATE OR REPLACE FUNCTION closer.move_lead(org uuid, lead uuid, to_stage uuid, lost_reason text, from_stage uuid)
    RETURNS TABLE (id uuid, stage_id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
#variable_conflict use_column
BEGIN
    PERFORM closer.require_member(org);
    RETURN QUERY
    WITH moved AS (
        UPDATE public.leads SET stage_id = to_stage, lost_reason = move_lead.lost_reason
        WHERE organization_id = org AND id = lead AND stage_id = from_stage
        RETURNING id, stage_id, version
    ), names AS (
        SELECT max(s.name) FILTER (WHERE s.id = from_stage) AS from_name,
               max(s.name) FILTER (WHERE s.id = to_stage) AS to_name
        FROM public.pipeline_stages s
        WHERE s.organization_id = org AND s.id IN (from_stage, to_stage)
    ), logged AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT org, moved.id, 'stage_change', jsonb_build_object(
            'from_stage_id', from_stage, 'to_stage_id', to_stage,
            'from', names.from_name,
            'to', names.to_name,
            'lost_reason', move_lead.lost_reason)
        FROM moved, names
    )
    SELECT moved.id, moved.stage_id, moved.version FROM moved;
END $$;

-- A lead moving between open and closed stages carries its tasks along (0013), both stages
-- read in one lookup.
CREATE OR REPLACE FUNCTION closer.lead_tasks_follow_lead() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
DECLARE
    closed boolean;
    was_closed boolean;
BEGIN
    SELECT bool_or(s.is_won OR s.is_lost) FILTER (WHERE s.id = NEW.stage_id),
           bool_or(s.is_won OR s.is_lost) FILTER (WHERE s.id = OLD.stage_id)
    INTO closed, was_closed
    FROM public.pipeline_stages s
    WHERE s.organization_id = NEW.organization_id AND s.id IN (NEW.stage_id, OLD.stage_id);
    closed := coalesce(closed, false);
    -- Between two open (or two closed) stages nothing changes: no task is read or written.
    IF closed = coalesce(was_closed, false) THEN
        RETURN NULL;
    END IF;
    UPDATE public.lead_tasks t SET lead_closed = closed
    WHERE t.organization_id = NEW.organization_id AND t.lead_id = NEW.id AND t.lead_closed <> closed;
    RETURN NULL;
END $$;

RESET ROLE;
