-- A lead moving into or out of won/lost flips the flag of its open tasks only (issue 16).
--
-- `lead_tasks.lead_closed` (0013) keeps the tasks of closed leads out of the inbox and the overdue
-- counts; only open tasks are ever read by it (the inbox's live and open-on-closed indexes, the
-- overdue count, the `overdue` filter all ask for pending or overdue tasks). Yet every closing or
-- reopening move rewrote all of the lead's tasks, completed ones included: each a new row version
-- in every index of `lead_tasks` (the flag is in partial-index predicates, so never a HOT update),
-- plus their row and statement triggers, a version bump and a notice. On the floor benchmark a
-- flipping move spent 3.3 ms in that statement (`pg_stat_statements`, one rep, 1M leads), and a
-- real team's leads gather completed tasks over their life.
--
-- Now the move flips open tasks only, and a task that becomes open again (reopened, or moved to
-- another lead while open) takes its lead's state when it does, like a new task (0013's
-- closer.task_lead_closed, BEFORE INSERT). A completed task's flag is left as it was: nothing
-- reads it, and it is set again the moment the task reopens.
SET LOCAL ROLE closer_owner;

CREATE OR REPLACE FUNCTION closer.lead_tasks_follow_lead() RETURNS trigger
    LANGUAGE plpgsql SET search_path = ''
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
    WHERE t.organization_id = NEW.organization_id AND t.lead_id = NEW.id
      AND t.status IN ('pending', 'overdue') AND t.lead_closed <> closed;
    RETURN NULL;
END $$;

CREATE TRIGGER lead_tasks_lead_closed_reopened BEFORE UPDATE OF status, lead_id ON lead_tasks
    FOR EACH ROW
    WHEN (NEW.status IN ('pending', 'overdue')
          AND (OLD.status NOT IN ('pending', 'overdue') OR OLD.lead_id IS DISTINCT FROM NEW.lead_id))
    EXECUTE FUNCTION closer.task_lead_closed();

RESET ROLE;
