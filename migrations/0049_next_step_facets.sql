-- `overdue` and `no-next-step` totals from the filter deltas (issue 12: at 1M leads they counted
-- every lead against every open task, 0.6 and 0.9 s per filter change; the goal is well under
-- 0.1 s).
--
--   1. A lead's next step is one more facet of 0033's deltas: `next:none` (no open task),
--      `next:undated` (open tasks, none with a due date) or `next:YYYY-MM-DD` (the earliest due
--      date of its open tasks). `no-next-step` is the `next:none` rows; `overdue` is the rows of
--      dates before today plus the few leads whose first date is today with a task already
--      past its time, counted from the open tasks due today (src/data/filter_sql.rs).
--   2. closer.lead_facets returns it after the score and the tags, so a move, a delete and a
--      deal carry it like the other facets; new leads (no task yet) count in `next:none`.
--   3. Tasks: one statement trigger per event (transition tables, so a statement that changes
--      two tasks of one lead counts the lead once). Per lead whose next step may have changed,
--      in lead id order, the lead row is locked (FOR NO KEY UPDATE: a move of it, or another
--      task statement on it, waits or is waited for), then its facet is read before and after
--      the statement; if it changed, the lead leaves the old facet and joins the new one.
--      Under READ COMMITTED every statement of the trigger sees what committed before the lock
--      was granted, so two writers of one lead's tasks, or a writer and a mover, serialize.
--   4. Lock order lead → task: a move into or out of won/lost locks the lead, then updates its
--      tasks (0013); the task functions (closer.lock_tasks, closer.task_write,
--      closer.complete_task) now lock the tasks' leads before the tasks, so the trigger's lead
--      lock is already held. Plain SQL writes to lead_tasks lock task then lead; against such a
--      move they can deadlock, which PostgreSQL breaks by failing one of the two (40P01, a
--      conflict to Closer).
--   5. Existing leads get their facet rows once, as the migrating admin, with writers held off.
SET LOCAL ROLE closer_owner;

-- The trigger reads a lead's tasks and locks the lead whoever writes (an admin's SQL
-- included), as 0033 lets it read tags: the sums must be exact. Locking a row needs an UPDATE
-- policy; this one lets closer_owner lock any lead and change none (WITH CHECK false: an
-- UPDATE still needs 0004's policy for the writer's own organizations). Every definer
-- function that locks leads reaches them through rows of the organization it checked.
CREATE POLICY owner_reads_lead_tasks ON lead_tasks FOR SELECT TO closer_owner USING (true);
CREATE POLICY owner_locks_leads ON leads FOR UPDATE TO closer_owner USING (true) WITH CHECK (false);

-- Dates past 9999 are clamped so every dated facet sorts by its text (`next:` + 10 characters).
-- No SET clause, so the seed's rebuild can inline it (1M leads: 2.8 s called, 0.6 s inlined); not a
-- definer, so it runs with the caller's rights and resolves names by the caller's search_path.
CREATE FUNCTION closer.next_facet(open_tasks bigint, first_due date) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT 'next:' || CASE WHEN open_tasks = 0 THEN 'none'
                           WHEN first_due IS NULL THEN 'undated'
                           ELSE pg_catalog.to_char(least(first_due, date '9999-12-31'), 'YYYY-MM-DD') END
$$;

CREATE FUNCTION closer.lead_next_facet(org uuid, lead uuid) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT closer.next_facet(count(*), min(t.due_date)) FROM public.lead_tasks t
            WHERE t.organization_id = org AND t.lead_id = lead AND t.status IN ('pending', 'overdue'));
END $$;

CREATE OR REPLACE FUNCTION closer.lead_facets(org uuid, lead uuid, score integer) RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN array_prepend('score:' || score, ARRAY(
        SELECT 'tag:' || g.tag FROM public.lead_tags g
        WHERE g.organization_id = org AND g.lead_id = lead ORDER BY g.tag))
        || closer.lead_next_facet(org, lead);
END $$;

CREATE OR REPLACE FUNCTION closer.leads_filter_summary_inserted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count)
    SELECT n.organization_id, n.stage_id, n.assigned_to, NULL, count(*)
    FROM new_leads n GROUP BY n.organization_id, n.stage_id, n.assigned_to
    UNION ALL
    SELECT n.organization_id, n.stage_id, NULL, 'score:' || n.score, count(*)
    FROM new_leads n GROUP BY n.organization_id, n.stage_id, n.score
    UNION ALL
    SELECT n.organization_id, n.stage_id, NULL, 'next:none', count(*)
    FROM new_leads n GROUP BY n.organization_id, n.stage_id;
    RETURN NULL;
END $$;

-- A lead leaving facet `was` for `now_is` at `stage`: the two rows of 0033's
-- bump_lead_filters, and its open deals' per currency, in one statement with one read of
-- the deals (two bump_lead_filters calls read them twice and insert twice).
CREATE FUNCTION closer.swap_lead_facet(org uuid, stage uuid, lead uuid, was text, now_is text)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF stage IS NULL OR was IS NOT DISTINCT FROM now_is THEN
        RETURN;
    END IF;
    WITH keys AS (
        SELECT was AS facet, -1 AS sign UNION ALL SELECT now_is, 1
    )
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count,
                                            open_deal_amount, weighted_deal_amount, currency)
    SELECT org, stage, NULL::uuid, k.facet, k.sign, 0, 0, NULL::text FROM keys k
    UNION ALL
    SELECT org, stage, NULL, k.facet, 0, k.sign * d.amount, k.sign * d.weighted, d.currency
    FROM keys k CROSS JOIN closer.lead_open_deals_by_currency(org, lead) d
    WHERE d.amount <> 0 OR d.weighted <> 0;
    IF random() < 1.0 / 128 THEN
        PERFORM closer.compact_filter_summaries(org);
    END IF;
END $$;

-- What a task statement changed, as the rows were (`gone`) and are (`came`).
CREATE TYPE closer.task_state AS (id uuid, organization_id uuid, lead_id uuid, open boolean, due_date date);

CREATE FUNCTION closer.bump_task_leads(gone closer.task_state[], came closer.task_state[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    l record;
    at record;
    before text;
    after text;
BEGIN
    FOR l IN
        WITH g AS (SELECT * FROM unnest(gone)), c AS (SELECT * FROM unnest(came))
        SELECT g.organization_id, g.lead_id FROM g
        WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.id = g.id AND c.lead_id = g.lead_id AND c.open = g.open
                                               AND c.due_date IS NOT DISTINCT FROM g.due_date)
        UNION
        SELECT c.organization_id, c.lead_id FROM c
        WHERE NOT EXISTS (SELECT 1 FROM g WHERE g.id = c.id AND g.lead_id = c.lead_id AND g.open = c.open
                                               AND g.due_date IS NOT DISTINCT FROM c.due_date)
        ORDER BY 2, 1
    LOOP
        SELECT x.stage_id INTO at FROM public.leads x
        WHERE x.organization_id = l.organization_id AND x.id = l.lead_id FOR NO KEY UPDATE;
        -- A lead deleted by this transaction took its facets with it (0033's BEFORE DELETE).
        CONTINUE WHEN NOT FOUND;
        -- One read of the lead's open tasks for both: after is what is there now; before drops
        -- this statement's rows and puts back those it changed or deleted.
        SELECT closer.next_facet(count(*) FILTER (WHERE t.open_now), min(t.due_date) FILTER (WHERE t.open_now)),
               closer.next_facet(count(*) FILTER (WHERE t.open_before), min(t.due_date) FILTER (WHERE t.open_before))
        INTO after, before
        FROM (
            SELECT x.due_date, true AS open_now,
                   NOT EXISTS (SELECT 1 FROM unnest(came) c WHERE c.id = x.id) AS open_before
            FROM public.lead_tasks x
            WHERE x.organization_id = l.organization_id AND x.lead_id = l.lead_id
              AND x.status IN ('pending', 'overdue')
            UNION ALL
            SELECT g.due_date, false, true FROM unnest(gone) g
            WHERE g.organization_id = l.organization_id AND g.lead_id = l.lead_id AND g.open
        ) t;
        PERFORM closer.swap_lead_facet(l.organization_id, at.stage_id, l.lead_id, before, after);
    END LOOP;
END $$;

CREATE FUNCTION closer.lead_tasks_next_step_inserted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.bump_task_leads('{}', ARRAY(
        SELECT ROW(n.id, n.organization_id, n.lead_id, n.status IN ('pending', 'overdue'), n.due_date)::closer.task_state
        FROM new_tasks n));
    RETURN NULL;
END $$;

CREATE FUNCTION closer.lead_tasks_next_step_updated() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.bump_task_leads(
        ARRAY(SELECT ROW(o.id, o.organization_id, o.lead_id, o.status IN ('pending', 'overdue'), o.due_date)::closer.task_state
              FROM old_tasks o),
        ARRAY(SELECT ROW(n.id, n.organization_id, n.lead_id, n.status IN ('pending', 'overdue'), n.due_date)::closer.task_state
              FROM new_tasks n));
    RETURN NULL;
END $$;

CREATE FUNCTION closer.lead_tasks_next_step_deleted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.bump_task_leads(ARRAY(
        SELECT ROW(o.id, o.organization_id, o.lead_id, o.status IN ('pending', 'overdue'), o.due_date)::closer.task_state
        FROM old_tasks o), '{}');
    RETURN NULL;
END $$;

CREATE TRIGGER lead_tasks_next_step_inserted AFTER INSERT ON lead_tasks
    REFERENCING NEW TABLE AS new_tasks FOR EACH STATEMENT EXECUTE FUNCTION closer.lead_tasks_next_step_inserted();
CREATE TRIGGER lead_tasks_next_step_updated AFTER UPDATE ON lead_tasks
    REFERENCING OLD TABLE AS old_tasks NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION closer.lead_tasks_next_step_updated();
CREATE TRIGGER lead_tasks_next_step_deleted AFTER DELETE ON lead_tasks
    REFERENCING OLD TABLE AS old_tasks FOR EACH STATEMENT EXECUTE FUNCTION closer.lead_tasks_next_step_deleted();

-- Lead before task (4. above): the leads of the tasks, in id order, then the tasks as before.
CREATE FUNCTION closer.lock_task_leads(org uuid, ids uuid[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM 1 FROM public.leads l
    WHERE l.organization_id = org
      AND l.id IN (SELECT t.lead_id FROM public.lead_tasks t WHERE t.organization_id = org AND t.id = ANY (ids))
    ORDER BY l.id FOR NO KEY UPDATE;
END $$;

CREATE OR REPLACE FUNCTION closer.lock_tasks(org uuid, ids uuid[])
    RETURNS TABLE (id uuid, status public.task_status)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    wanted integer := cardinality(ARRAY(SELECT DISTINCT unnest(ids)));
    got integer;
BEGIN
    PERFORM closer.require_member(org);
    PERFORM closer.lock_task_leads(org, ids);
    RETURN QUERY SELECT t.id, t.status FROM public.lead_tasks t
                 WHERE t.organization_id = org AND t.id = ANY (ids) ORDER BY t.id FOR UPDATE;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got <> wanted THEN
        RAISE EXCEPTION 'a task is gone or not visible to you' USING ERRCODE = 'CL404';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION closer.task_write(kind text, target text, assignments text, content text, log_when text,
                                  org uuid, ids uuid[], tz text, now timestamptz, expected integer,
                                  a6 text, a7 text, a8 text, a9 text)
    RETURNS TABLE (id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.lock_task_leads(org, ids);
    RETURN QUERY EXECUTE format(
        'WITH before AS (
             SELECT id, lead_id, title, description, due_date, due_time, priority, status,
                    assigned_to, completed_at, version
             FROM public.lead_tasks WHERE organization_id = $1 AND id = ANY ($2)
         ), t AS (%2$s),
         changed AS (
             UPDATE public.lead_tasks task SET %3$s
             FROM t
             WHERE task.organization_id = $1 AND task.id = t.id
               AND ($5::int IS NULL OR task.version = $5::int)
             RETURNING task.id, task.lead_id, task.title, task.description, task.due_date,
                       task.due_time, task.priority, task.status, task.assigned_to,
                       task.completed_at, task.version
         ), logged AS (
             INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
             SELECT $1, c.lead_id, %1$L, %4$s
             FROM changed c JOIN before b ON b.id = c.id
             WHERE %5$s
         )
         SELECT id, version FROM changed ORDER BY id',
        kind, target, assignments, content, log_when)
    USING org, ids, tz, now, expected, a6, a7, a8, a9;
END $$;

CREATE OR REPLACE FUNCTION closer.complete_task(org uuid, task uuid, expected_version integer)
    RETURNS TABLE (version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
#variable_conflict use_column
BEGIN
    PERFORM closer.require_member($1);
    PERFORM closer.lock_task_leads($1, ARRAY[$2]);
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

REVOKE EXECUTE ON FUNCTION closer.lead_next_facet(uuid, uuid),
    closer.swap_lead_facet(uuid, uuid, uuid, text, text),
    closer.bump_task_leads(closer.task_state[], closer.task_state[]),
    closer.lead_tasks_next_step_inserted(),
    closer.lead_tasks_next_step_updated(),
    closer.lead_tasks_next_step_deleted(),
    closer.lock_task_leads(uuid, uuid[]) FROM PUBLIC;

-- 5. The existing leads' facets, as the migrating admin (forced row security shows closer_owner
-- no rows), with the writers of leads, tasks and deals held off meanwhile.
RESET ROLE;
LOCK TABLE leads, lead_tasks, deals IN SHARE MODE;
INSERT INTO stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count, open_deal_amount,
                                 weighted_deal_amount, currency)
WITH next AS (
    SELECT l.organization_id, l.id, l.stage_id, closer.next_facet(count(t.id), min(t.due_date)) AS facet
    FROM leads l
    LEFT JOIN lead_tasks t ON t.organization_id = l.organization_id AND t.lead_id = l.id
                          AND t.status IN ('pending', 'overdue')
    GROUP BY l.organization_id, l.id, l.stage_id
), open_deals AS (
    SELECT d.organization_id, d.lead_id, d.currency, sum(d.amount) AS amount,
           sum(d.amount * d.probability / 100.0) AS weighted
    FROM deals d WHERE d.status = 'open' GROUP BY d.organization_id, d.lead_id, d.currency
)
SELECT n.organization_id, n.stage_id, NULL::uuid, n.facet, count(*), 0, 0, NULL::text
FROM next n GROUP BY n.organization_id, n.stage_id, n.facet
UNION ALL
SELECT n.organization_id, n.stage_id, NULL, n.facet, 0, sum(o.amount), sum(o.weighted), o.currency
FROM next n JOIN open_deals o ON o.organization_id = n.organization_id AND o.lead_id = n.id
GROUP BY n.organization_id, n.stage_id, n.facet, o.currency;
