-- `overdue` totals late in the day (issue 12: filter changes well under 100 ms at 1M leads).
--
-- 0049 keeps a lead's next step as `next:YYYY-MM-DD`, the earliest due date of its open tasks.
-- `overdue` sums the dated rows before today and counts, from the open tasks due today, the leads
-- whose first task is today and already past its time. Late in the day that count is most of
-- today's tasks: at 1M leads, 17:11 UTC, 7,291 tasks and 6,644 leads, 190-230 ms warm (1 s cold)
-- per filter change.
--
-- Now a lead whose first due day has a timed task keeps the hour of the earliest one:
-- `next:YYYY-MM-DDTHH` (`next:YYYY-MM-DD` when that day's tasks have no time). In the C collation
-- the hours of a day sort after the day and before the next day, so `overdue` sums the rows
-- before today and today's hours before the current one, and counts only the leads of the current
-- hour (src/data/filter_sql.rs): at most an hour's tasks.
--
-- The task triggers compare a task's due time too (a task moved to another hour of the same day
-- moves its lead's facet). Existing leads move to their hour rows once, as the migrating admin,
-- with writers held off, like 0049's first rows.
SET LOCAL ROLE closer_owner;

-- A task's place among its lead's next steps: its due date, then 'T' and the hour of its due time,
-- or '~' for none (NULL for an undated task), so in the C collation a day's timed tasks come before its untimed ones and the
-- least of them is the lead's facet. STABLE (to_char) and without SET, so it is inlined.
CREATE FUNCTION closer.task_step(due_date date, due_time time) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.to_char(CASE WHEN due_date > date '9999-12-31' THEN date '9999-12-31' ELSE due_date END,
                              'YYYY-MM-DD')
           || coalesce('T' || pg_catalog.to_char(due_time, 'HH24'), '~')
$$;

-- The facet of a lead with `open_tasks` open tasks whose least closer.task_step is `first_step`.
CREATE FUNCTION closer.next_facet(open_tasks bigint, first_step text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT 'next:' || CASE WHEN open_tasks = 0 THEN 'none'
                           WHEN first_step IS NULL THEN 'undated'
                           ELSE pg_catalog.rtrim(first_step, '~') END
$$;

CREATE OR REPLACE FUNCTION closer.lead_next_facet(org uuid, lead uuid) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT closer.next_facet(count(*), min(closer.task_step(t.due_date, t.due_time) COLLATE "C"))
            FROM public.lead_tasks t
            WHERE t.organization_id = org AND t.lead_id = lead AND t.status IN ('pending', 'overdue'));
END $$;

ALTER TYPE closer.task_state ADD ATTRIBUTE due_time time;

CREATE OR REPLACE FUNCTION closer.bump_task_leads(gone closer.task_state[], came closer.task_state[]) RETURNS void
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
                                               AND c.due_date IS NOT DISTINCT FROM g.due_date
                                               AND c.due_time IS NOT DISTINCT FROM g.due_time)
        UNION
        SELECT c.organization_id, c.lead_id FROM c
        WHERE NOT EXISTS (SELECT 1 FROM g WHERE g.id = c.id AND g.lead_id = c.lead_id AND g.open = c.open
                                               AND g.due_date IS NOT DISTINCT FROM c.due_date
                                               AND g.due_time IS NOT DISTINCT FROM c.due_time)
        ORDER BY 2, 1
    LOOP
        SELECT x.stage_id INTO at FROM public.leads x
        WHERE x.organization_id = l.organization_id AND x.id = l.lead_id FOR NO KEY UPDATE;
        -- A lead deleted by this transaction took its facets with it (0033's BEFORE DELETE).
        CONTINUE WHEN NOT FOUND;
        -- One read of the lead's open tasks for both: after is what is there now; before drops
        -- this statement's rows and puts back those it changed or deleted.
        SELECT closer.next_facet(count(*) FILTER (WHERE t.open_now),
                                 min(t.step COLLATE "C") FILTER (WHERE t.open_now)),
               closer.next_facet(count(*) FILTER (WHERE t.open_before),
                                 min(t.step COLLATE "C") FILTER (WHERE t.open_before))
        INTO after, before
        FROM (
            SELECT closer.task_step(x.due_date, x.due_time) AS step, true AS open_now,
                   NOT EXISTS (SELECT 1 FROM unnest(came) c WHERE c.id = x.id) AS open_before
            FROM public.lead_tasks x
            WHERE x.organization_id = l.organization_id AND x.lead_id = l.lead_id
              AND x.status IN ('pending', 'overdue')
            UNION ALL
            SELECT closer.task_step(g.due_date, g.due_time), false, true FROM unnest(gone) g
            WHERE g.organization_id = l.organization_id AND g.lead_id = l.lead_id AND g.open
        ) t;
        PERFORM closer.swap_lead_facet(l.organization_id, at.stage_id, l.lead_id, before, after);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION closer.lead_tasks_next_step_inserted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.bump_task_leads('{}', ARRAY(
        SELECT ROW(n.id, n.organization_id, n.lead_id, n.status IN ('pending', 'overdue'), n.due_date,
                   n.due_time)::closer.task_state
        FROM new_tasks n));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION closer.lead_tasks_next_step_updated() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.bump_task_leads(
        ARRAY(SELECT ROW(o.id, o.organization_id, o.lead_id, o.status IN ('pending', 'overdue'), o.due_date,
                         o.due_time)::closer.task_state
              FROM old_tasks o),
        ARRAY(SELECT ROW(n.id, n.organization_id, n.lead_id, n.status IN ('pending', 'overdue'), n.due_date,
                         n.due_time)::closer.task_state
              FROM new_tasks n));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION closer.lead_tasks_next_step_deleted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.bump_task_leads(ARRAY(
        SELECT ROW(o.id, o.organization_id, o.lead_id, o.status IN ('pending', 'overdue'), o.due_date,
                   o.due_time)::closer.task_state
        FROM old_tasks o), '{}');
    RETURN NULL;
END $$;

-- 0049's day-only facet: nothing calls it any more.
DROP FUNCTION closer.next_facet(bigint, date);

-- Existing leads whose first due day has a timed task move from the day's row to the hour's, as
-- the migrating admin (forced row security shows closer_owner no rows), writers held off.
RESET ROLE;
LOCK TABLE leads, lead_tasks, deals IN SHARE MODE;
INSERT INTO stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count, open_deal_amount,
                                 weighted_deal_amount, currency)
WITH steps AS (
    SELECT t.organization_id, t.lead_id, min(closer.task_step(t.due_date, t.due_time) COLLATE "C") AS first_step
    FROM lead_tasks t
    WHERE t.status IN ('pending', 'overdue')
    GROUP BY t.organization_id, t.lead_id
), moved AS (
    SELECT l.organization_id, l.id, l.stage_id, 'next:' || left(s.first_step, 10) AS was,
           'next:' || s.first_step AS now_is
    FROM steps s JOIN leads l ON l.organization_id = s.organization_id AND l.id = s.lead_id
    WHERE s.first_step ~ 'T[0-9]{2}$'
), open_deals AS (
    SELECT d.organization_id, d.lead_id, d.currency, sum(d.amount) AS amount,
           sum(d.amount * d.probability / 100.0) AS weighted
    FROM deals d WHERE d.status = 'open' GROUP BY d.organization_id, d.lead_id, d.currency
), sides AS (
    SELECT m.organization_id, m.id, m.stage_id, m.was AS facet, -1 AS sign FROM moved m
    UNION ALL
    SELECT m.organization_id, m.id, m.stage_id, m.now_is, 1 FROM moved m
)
SELECT s.organization_id, s.stage_id, NULL::uuid, s.facet, sum(s.sign), 0, 0, NULL::text
FROM sides s GROUP BY s.organization_id, s.stage_id, s.facet
UNION ALL
SELECT s.organization_id, s.stage_id, NULL, s.facet, 0, sum(s.sign * o.amount), sum(s.sign * o.weighted), o.currency
FROM sides s JOIN open_deals o ON o.organization_id = s.organization_id AND o.lead_id = s.id
GROUP BY s.organization_id, s.stage_id, s.facet, o.currency;
