-- The three busiest writes after a move (log a call, add a task, complete a task) as PL/pgSQL
-- (issue 16). As SQL functions with SET options PostgreSQL cannot inline them and plans their
-- statements (with every RLS policy) again on every call: a profile of `closer bench load` at 1M
-- leads spent a fifth of the server's CPU in the planner and 43 % under fmgr_sql. PL/pgSQL keeps
-- each statement's plan for the session, as 0014 did for closer.move_lead. Same signatures,
-- owners, grants, SET options, rows written and errors; `#variable_conflict use_column` keeps
-- the SQL functions' rule that a column wins over a parameter of the same name.
SET LOCAL ROLE closer_owner;

CREATE OR REPLACE FUNCTION closer.log_interaction(org uuid, lead uuid, kind public.interaction_type,
                                       direction public.interaction_direction, subject text, content text,
                                       duration integer, outcome text)
    RETURNS TABLE (id uuid, version integer, total_calls integer, last_contacted_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
#variable_conflict use_column
BEGIN
    PERFORM closer.require_member($1);
    RETURN QUERY
    WITH lead AS (
        SELECT l.id, l.version, l.total_calls, l.last_contacted_at FROM public.leads l
        WHERE l.organization_id = $1 AND l.id = $2
    ), touched AS (
        UPDATE public.leads l
        SET total_calls = l.total_calls + CASE WHEN $3 = 'call'::public.interaction_type THEN 1 ELSE 0 END,
            last_contacted_at = now()
        WHERE l.organization_id = $1 AND l.id = (SELECT id FROM lead)
          AND ($3 = 'call'::public.interaction_type
               OR ($4 = 'outbound'::public.interaction_direction AND $3 <> 'note'::public.interaction_type))
        RETURNING l.version, l.total_calls, l.last_contacted_at
    ), logged AS (
        INSERT INTO public.lead_interactions (organization_id, lead_id, type, direction, subject, content, duration, outcome)
        SELECT $1, lead.id, $3, $4, $5, $6, $7, $8 FROM lead
        RETURNING id, type, direction
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, $2, 'interaction_logged',
               jsonb_build_object('interaction_id', logged.id, 'kind', logged.type, 'direction', logged.direction)
        FROM logged
    )
    SELECT logged.id, coalesce(t.version, lead.version),
           coalesce(t.total_calls, lead.total_calls),
           coalesce(t.last_contacted_at, lead.last_contacted_at)
    FROM logged CROSS JOIN lead LEFT JOIN touched t ON true;
END $$;

CREATE OR REPLACE FUNCTION closer.add_task(org uuid, lead uuid, title text, description text, due_date date,
                                due_time time, priority public.task_priority, assigned_to uuid,
                                tz text, now timestamptz)
    RETURNS TABLE (id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
#variable_conflict use_column
BEGIN
    PERFORM closer.require_member($1);
    RETURN QUERY
    WITH lead AS (
        SELECT l.id FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2
    ), task AS (
        INSERT INTO public.lead_tasks (organization_id, lead_id, title, description, due_date, due_time,
                                       priority, status, assigned_to)
        SELECT $1, lead.id, $3, $4, $5, $6, $7,
               CASE WHEN closer.is_overdue($5, $6, $9, $10) THEN 'overdue'::public.task_status
                    ELSE 'pending'::public.task_status END,
               $8
        FROM lead
        RETURNING id, lead_id, title, due_date, due_time, priority, assigned_to
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, task.lead_id, 'task_added',
               jsonb_build_object('task_id', task.id, 'title', task.title, 'due_date', task.due_date,
                                  'due_time', task.due_time, 'priority', task.priority,
                                  'assigned_to', task.assigned_to)
        FROM task
    )
    SELECT id FROM task;
END $$;

CREATE OR REPLACE FUNCTION closer.complete_task(org uuid, task uuid, expected_version integer)
    RETURNS TABLE (version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
#variable_conflict use_column
BEGIN
    PERFORM closer.require_member($1);
    RETURN QUERY
    WITH done AS (
        UPDATE public.lead_tasks SET status = 'completed', completed_at = coalesce(completed_at, now())
        WHERE organization_id = $1 AND id = $2 AND version = $3
        RETURNING id, lead_id, title, version
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, done.lead_id, 'task_completed', jsonb_build_object('task_id', done.id, 'title', done.title)
        FROM done
    )
    SELECT version FROM done;
END $$;

RESET ROLE;
