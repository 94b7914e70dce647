-- Tasks of won/lost leads leave the inbox and the overdue counts by default (issue 10). Deciding
-- that per task through its lead and stage made every inbox group hash all closed leads of the
-- organization before its first row (inbox 57 → 284 ms at 100k leads, growing with the closed
-- leads); a flag on the task, kept by the database, keeps each group one bounded index range.
SET LOCAL ROLE closer_owner;

ALTER TABLE lead_tasks ADD COLUMN lead_closed boolean NOT NULL DEFAULT false;

-- Backfill without the row triggers: a flag the database derives is no edit (no version bump,
-- no author stamp, no notification).
ALTER TABLE lead_tasks DISABLE TRIGGER USER;
UPDATE lead_tasks t SET lead_closed = true
FROM leads l JOIN pipeline_stages s ON s.organization_id = l.organization_id AND s.id = l.stage_id
WHERE l.organization_id = t.organization_id AND l.id = t.lead_id AND (s.is_won OR s.is_lost);
ALTER TABLE lead_tasks ENABLE TRIGGER USER;

-- The functions run as the writer (SECURITY INVOKER): members write only through the closer.*
-- functions, whose owner reads and writes under RLS as the member; an admin or the seed bypass
-- RLS. (As definer under forced RLS they would see no lead for an admin session.)

-- A new task takes its lead's state, whatever the writer claims.
CREATE FUNCTION closer.task_lead_closed() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    NEW.lead_closed := coalesce((
        SELECT s.is_won OR s.is_lost FROM public.leads l
        JOIN public.pipeline_stages s ON s.organization_id = l.organization_id AND s.id = l.stage_id
        WHERE l.organization_id = NEW.organization_id AND l.id = NEW.lead_id), false);
    RETURN NEW;
END $$;
CREATE TRIGGER lead_tasks_lead_closed BEFORE INSERT ON lead_tasks
    FOR EACH ROW EXECUTE FUNCTION closer.task_lead_closed();

-- A lead moving between open and closed stages carries its tasks along.
CREATE FUNCTION closer.lead_tasks_follow_lead() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
DECLARE
    closed boolean;
    was_closed boolean;
BEGIN
    SELECT s.is_won OR s.is_lost INTO closed FROM public.pipeline_stages s
    WHERE s.organization_id = NEW.organization_id AND s.id = NEW.stage_id;
    SELECT s.is_won OR s.is_lost INTO was_closed FROM public.pipeline_stages s
    WHERE s.organization_id = OLD.organization_id AND s.id = OLD.stage_id;
    closed := coalesce(closed, false);
    -- Between two open (or two closed) stages nothing changes: no task is read or written.
    IF closed = coalesce(was_closed, false) THEN
        RETURN NULL;
    END IF;
    UPDATE public.lead_tasks t SET lead_closed = closed
    WHERE t.organization_id = NEW.organization_id AND t.lead_id = NEW.id AND t.lead_closed <> closed;
    RETURN NULL;
END $$;
CREATE TRIGGER leads_tasks_follow_stage AFTER UPDATE OF stage_id ON leads
    FOR EACH ROW WHEN (OLD.stage_id IS DISTINCT FROM NEW.stage_id)
    EXECUTE FUNCTION closer.lead_tasks_follow_lead();

-- A manager turning a stage into (or out of) won/lost carries its leads' tasks along.
CREATE FUNCTION closer.lead_tasks_follow_stage() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    UPDATE public.lead_tasks t SET lead_closed = (NEW.is_won OR NEW.is_lost)
    FROM public.leads l
    WHERE l.organization_id = NEW.organization_id AND l.stage_id = NEW.id
      AND t.organization_id = l.organization_id AND t.lead_id = l.id
      AND t.lead_closed <> (NEW.is_won OR NEW.is_lost);
    RETURN NULL;
END $$;
CREATE TRIGGER pipeline_stages_tasks_follow AFTER UPDATE OF is_won, is_lost ON pipeline_stages
    FOR EACH ROW WHEN ((OLD.is_won OR OLD.is_lost) IS DISTINCT FROM (NEW.is_won OR NEW.is_lost))
    EXECUTE FUNCTION closer.lead_tasks_follow_stage();

REVOKE EXECUTE ON FUNCTION closer.task_lead_closed(), closer.lead_tasks_follow_lead(),
    closer.lead_tasks_follow_stage() FROM PUBLIC;

-- The inbox's open groups without closed leads' tasks: the same ranges as 0003's indexes.
DO $$
DECLARE
    p text;
BEGIN
    FOREACH p IN ARRAY ARRAY['high', 'medium', 'low'] LOOP
        EXECUTE format('CREATE INDEX lead_tasks_live_%1$s_mine_idx ON lead_tasks
                            (organization_id, assigned_to, due_date, due_time, title, id)
                        WHERE status <> %2$L AND priority = %1$L AND NOT lead_closed', p, 'completed');
        EXECUTE format('CREATE INDEX lead_tasks_live_%1$s_team_idx ON lead_tasks
                            (organization_id, due_date, due_time, title, id)
                        WHERE status <> %2$L AND priority = %1$L AND NOT lead_closed', p, 'completed');
    END LOOP;
END $$;

RESET ROLE;
