-- Insights: the deal, call and task panels folded (issue 13). Forecast, won/lost, sources, other
-- currencies and the leaderboard read every deal, call and completed task of the period (100k-220k
-- index entries per quarter at 1M leads). They now read monthly rollups plus the deltas logged
-- since the last fold:
--   * deal_months: per pipeline, month, status, owner, currency and (won only) source label, the
--     deals, amount, weighted amount (open) and days from lead creation to close (won). The month
--     is the expected close month of an open deal and the close month of a won or lost one;
--   * call_months: calls per author and month of `occurred_at` (UTC);
--   * task_months: completed tasks per assignee and month of `completed_at` (UTC), and how many of
--     them were completed on or before their due day.
-- Writers only INSERT signed deltas (a trigger per table: the old facts out, the new ones in), so
-- no row is shared by concurrent writers; a fold (a reader in the background, the seed, this
-- migration) moves deltas into the rollups in one statement. Periods are whole UTC months,
-- quarters or years, so "in the period" is "month in [from, to)". A reader sums rollups and
-- deltas in one statement (one snapshot): exact whenever a fold commits.
SET LOCAL ROLE closer_owner;

CREATE TABLE closer_insights.deal_months (
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    pipeline_id uuid NOT NULL,
    month date NOT NULL,
    status public.deal_status NOT NULL,
    owner_id uuid,
    currency text NOT NULL,
    source text,
    deals bigint NOT NULL,
    amount numeric NOT NULL,
    weighted numeric NOT NULL,
    days bigint NOT NULL,
    days_n bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (organization_id, pipeline_id, month, status, owner_id, currency, source)
);
CREATE TABLE closer_insights.deal_deltas (LIKE closer_insights.deal_months);
CREATE INDEX deal_deltas_org_idx ON closer_insights.deal_deltas (organization_id, pipeline_id, month);

CREATE TABLE closer_insights.call_months (
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    month date NOT NULL,
    author uuid,
    calls bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (organization_id, month, author)
);
CREATE TABLE closer_insights.call_deltas (LIKE closer_insights.call_months);
CREATE INDEX call_deltas_org_idx ON closer_insights.call_deltas (organization_id, month);

CREATE TABLE closer_insights.task_months (
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    month date NOT NULL,
    assignee uuid,
    done bigint NOT NULL,
    on_time bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (organization_id, month, assignee)
);
CREATE TABLE closer_insights.task_deltas (LIKE closer_insights.task_months);
CREATE INDEX task_deltas_org_idx ON closer_insights.task_deltas (organization_id, month);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['deal_months', 'deal_deltas', 'call_months', 'call_deltas', 'task_months', 'task_deltas'] LOOP
        EXECUTE format('REVOKE ALL ON closer_insights.%I FROM PUBLIC', t);
        EXECUTE format('ALTER TABLE closer_insights.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE closer_insights.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_only ON closer_insights.%I FOR ALL TO closer_owner USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
-- Deltas go with their organization (LIKE copies no foreign key).
ALTER TABLE closer_insights.deal_deltas ADD FOREIGN KEY (organization_id) REFERENCES public.organizations (id) ON DELETE CASCADE;
ALTER TABLE closer_insights.call_deltas ADD FOREIGN KEY (organization_id) REFERENCES public.organizations (id) ON DELETE CASCADE;
ALTER TABLE closer_insights.task_deltas ADD FOREIGN KEY (organization_id) REFERENCES public.organizations (id) ON DELETE CASCADE;

-- ---------------------------------------------------------------------------
-- 1. The facts of one row, exactly as the plain panel queries read them (no row: in no panel).
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer_insights.deal_fact(d public.deals, sign integer)
    RETURNS SETOF closer_insights.deal_months
    LANGUAGE sql IMMUTABLE  -- no SET: the rebuild inlines it (every name is qualified)
AS $$
    SELECT d.organization_id, d.pipeline_id,
           date_trunc('month', CASE WHEN d.status = 'open' THEN d.expected_close_date ELSE d.closed_on END)::date,
           d.status, d.owner_id, d.currency,
           CASE WHEN d.status = 'won' THEN coalesce(nullif(btrim(d.source), ''), '(none)') END,
           sign::bigint, (sign * d.amount)::numeric,
           (CASE WHEN d.status = 'open' THEN sign * (d.amount * d.probability / 100.0) ELSE 0 END)::numeric,
           (CASE WHEN d.status = 'won' THEN coalesce(sign * (d.closed_on - d.lead_created_on), 0) ELSE 0 END)::bigint,
           (CASE WHEN d.status = 'won' AND d.lead_created_on IS NOT NULL THEN sign ELSE 0 END)::bigint
    WHERE d.pipeline_id IS NOT NULL
      AND CASE WHEN d.status = 'open' THEN d.expected_close_date ELSE d.closed_on END IS NOT NULL
$$;

CREATE FUNCTION closer_insights.utc_month(at timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_trunc('month', at AT TIME ZONE 'UTC')::date;

-- ---------------------------------------------------------------------------
-- 2. The write path: one INSERT of the old facts (−) and the new ones (+) per changed row.
--    Skipped when the whole organization is being deleted (its rollups go with it).
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer_insights.log_deal() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM public.organizations o WHERE o.id = OLD.organization_id) THEN
        RETURN NULL;
    END IF;
    INSERT INTO closer_insights.deal_deltas
    SELECT * FROM closer_insights.deal_fact(OLD, -1) WHERE TG_OP <> 'INSERT'
    UNION ALL
    SELECT * FROM closer_insights.deal_fact(NEW, 1) WHERE TG_OP <> 'DELETE';
    RETURN NULL;
END $$;
CREATE TRIGGER deals_insights_insert AFTER INSERT ON deals
    FOR EACH ROW EXECUTE FUNCTION closer_insights.log_deal();
CREATE TRIGGER deals_insights_delete AFTER DELETE ON deals
    FOR EACH ROW EXECUTE FUNCTION closer_insights.log_deal();
-- Any UPDATE (no column list): BEFORE triggers fill columns the statement does not name.
CREATE TRIGGER deals_insights_update AFTER UPDATE ON deals
    FOR EACH ROW WHEN ((OLD.organization_id, OLD.pipeline_id, OLD.owner_id, OLD.currency, OLD.status, OLD.amount,
                        OLD.probability, OLD.expected_close_date, OLD.closed_on, OLD.source, OLD.lead_created_on)
                       IS DISTINCT FROM
                       (NEW.organization_id, NEW.pipeline_id, NEW.owner_id, NEW.currency, NEW.status, NEW.amount,
                        NEW.probability, NEW.expected_close_date, NEW.closed_on, NEW.source, NEW.lead_created_on))
    EXECUTE FUNCTION closer_insights.log_deal();

CREATE FUNCTION closer_insights.log_call() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM public.organizations o WHERE o.id = OLD.organization_id) THEN
        RETURN NULL;
    END IF;
    INSERT INTO closer_insights.call_deltas (organization_id, month, author, calls)
    SELECT OLD.organization_id, closer_insights.utc_month(OLD.occurred_at), OLD.created_by, -1
    WHERE TG_OP <> 'INSERT' AND OLD.type = 'call'
    UNION ALL
    SELECT NEW.organization_id, closer_insights.utc_month(NEW.occurred_at), NEW.created_by, 1
    WHERE TG_OP <> 'DELETE' AND NEW.type = 'call';
    RETURN NULL;
END $$;
CREATE TRIGGER lead_interactions_insights_insert AFTER INSERT ON lead_interactions
    FOR EACH ROW WHEN (NEW.type = 'call') EXECUTE FUNCTION closer_insights.log_call();
CREATE TRIGGER lead_interactions_insights_delete AFTER DELETE ON lead_interactions
    FOR EACH ROW WHEN (OLD.type = 'call') EXECUTE FUNCTION closer_insights.log_call();
CREATE TRIGGER lead_interactions_insights_update AFTER UPDATE ON lead_interactions
    FOR EACH ROW WHEN ((OLD.type = 'call' OR NEW.type = 'call')
                       AND (OLD.organization_id, OLD.type, OLD.occurred_at, OLD.created_by)
                           IS DISTINCT FROM (NEW.organization_id, NEW.type, NEW.occurred_at, NEW.created_by))
    EXECUTE FUNCTION closer_insights.log_call();

CREATE FUNCTION closer_insights.log_task() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM public.organizations o WHERE o.id = OLD.organization_id) THEN
        RETURN NULL;
    END IF;
    INSERT INTO closer_insights.task_deltas (organization_id, month, assignee, done, on_time)
    SELECT OLD.organization_id, closer_insights.utc_month(OLD.completed_at), OLD.assigned_to, -1,
           CASE WHEN OLD.due_date IS NULL OR (OLD.completed_at AT TIME ZONE 'UTC')::date <= OLD.due_date THEN -1 ELSE 0 END
    WHERE TG_OP <> 'INSERT' AND OLD.status = 'completed' AND OLD.completed_at IS NOT NULL
    UNION ALL
    SELECT NEW.organization_id, closer_insights.utc_month(NEW.completed_at), NEW.assigned_to, 1,
           CASE WHEN NEW.due_date IS NULL OR (NEW.completed_at AT TIME ZONE 'UTC')::date <= NEW.due_date THEN 1 ELSE 0 END
    WHERE TG_OP <> 'DELETE' AND NEW.status = 'completed' AND NEW.completed_at IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER lead_tasks_insights_insert AFTER INSERT ON lead_tasks
    FOR EACH ROW WHEN (NEW.status = 'completed') EXECUTE FUNCTION closer_insights.log_task();
CREATE TRIGGER lead_tasks_insights_delete AFTER DELETE ON lead_tasks
    FOR EACH ROW WHEN (OLD.status = 'completed') EXECUTE FUNCTION closer_insights.log_task();
CREATE TRIGGER lead_tasks_insights_update AFTER UPDATE ON lead_tasks
    FOR EACH ROW WHEN ((OLD.status = 'completed' OR NEW.status = 'completed')
                       AND (OLD.organization_id, OLD.status, OLD.completed_at, OLD.due_date, OLD.assigned_to)
                           IS DISTINCT FROM (NEW.organization_id, NEW.status, NEW.completed_at, NEW.due_date, NEW.assigned_to))
    EXECUTE FUNCTION closer_insights.log_task();

-- ---------------------------------------------------------------------------
-- 3. Folding. `fold_facts` moves one organization's deltas into its rollups (one statement per
--    table: the deltas it deletes are the ones it adds); never waits for another fold of it.
--    `rebuild_facts` recomputes them from the tables (the seed, this migration: as the admin,
--    who sees every row; deltas of transactions still running stay and are added later).
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer_insights.fold_facts(org uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR NOT pg_catalog.pg_try_advisory_xact_lock(hashtextextended('closer_insights.fold_facts', 0) # hashtextextended(org::text, 0)) THEN
        RETURN false;
    END IF;
    WITH gone AS (
        DELETE FROM closer_insights.deal_deltas d WHERE d.organization_id = org RETURNING d.*
    )
    INSERT INTO closer_insights.deal_months AS r
    SELECT org, g.pipeline_id, g.month, g.status, g.owner_id, g.currency, g.source, sum(g.deals), sum(g.amount),
           sum(g.weighted), sum(g.days), sum(g.days_n)
    FROM gone g GROUP BY g.pipeline_id, g.month, g.status, g.owner_id, g.currency, g.source
    ON CONFLICT (organization_id, pipeline_id, month, status, owner_id, currency, source) DO UPDATE
        SET deals = r.deals + excluded.deals, amount = r.amount + excluded.amount,
            weighted = r.weighted + excluded.weighted, days = r.days + excluded.days, days_n = r.days_n + excluded.days_n;
    WITH gone AS (
        DELETE FROM closer_insights.call_deltas d WHERE d.organization_id = org RETURNING d.*
    )
    INSERT INTO closer_insights.call_months AS r
    SELECT org, g.month, g.author, sum(g.calls) FROM gone g GROUP BY g.month, g.author
    ON CONFLICT (organization_id, month, author) DO UPDATE SET calls = r.calls + excluded.calls;
    WITH gone AS (
        DELETE FROM closer_insights.task_deltas d WHERE d.organization_id = org RETURNING d.*
    )
    INSERT INTO closer_insights.task_months AS r
    SELECT org, g.month, g.assignee, sum(g.done), sum(g.on_time) FROM gone g GROUP BY g.month, g.assignee
    ON CONFLICT (organization_id, month, assignee) DO UPDATE
        SET done = r.done + excluded.done, on_time = r.on_time + excluded.on_time;
    -- A key whose rows all went (deals = 0) holds zero amounts too: every delta is one row's.
    DELETE FROM closer_insights.deal_months m WHERE m.organization_id = org AND m.deals = 0;
    DELETE FROM closer_insights.call_months m WHERE m.organization_id = org AND m.calls = 0;
    DELETE FROM closer_insights.task_months m WHERE m.organization_id = org AND m.done = 0;
    RETURN true;
END $$;
REVOKE ALL ON FUNCTION closer_insights.fold_facts(uuid) FROM PUBLIC;

CREATE FUNCTION closer_insights.rebuild_facts(org uuid) RETURNS void
    LANGUAGE plpgsql SET search_path = '' SET work_mem = '256MB'
AS $$
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(hashtextextended('closer_insights.fold_facts', 0) # hashtextextended(org::text, 0));
    DELETE FROM closer_insights.deal_months m WHERE m.organization_id = org;
    DELETE FROM closer_insights.call_months m WHERE m.organization_id = org;
    DELETE FROM closer_insights.task_months m WHERE m.organization_id = org;
    WITH gone AS (
        DELETE FROM closer_insights.deal_deltas d WHERE d.organization_id = org
    )
    INSERT INTO closer_insights.deal_months
    SELECT org, f.pipeline_id, f.month, f.status, f.owner_id, f.currency, f.source, count(*), sum(f.amount),
           sum(f.weighted), sum(f.days), sum(f.days_n)
    FROM public.deals d CROSS JOIN LATERAL closer_insights.deal_fact(d, 1) f
    WHERE d.organization_id = org
    GROUP BY f.pipeline_id, f.month, f.status, f.owner_id, f.currency, f.source;
    WITH gone AS (
        DELETE FROM closer_insights.call_deltas d WHERE d.organization_id = org
    )
    INSERT INTO closer_insights.call_months
    SELECT org, closer_insights.utc_month(i.occurred_at), i.created_by, count(*)
    FROM public.lead_interactions i
    WHERE i.organization_id = org AND i.type = 'call'
    GROUP BY 2, 3;
    WITH gone AS (
        DELETE FROM closer_insights.task_deltas d WHERE d.organization_id = org
    )
    INSERT INTO closer_insights.task_months
    SELECT org, closer_insights.utc_month(t.completed_at), t.assigned_to, count(*),
           count(*) FILTER (WHERE t.due_date IS NULL OR (t.completed_at AT TIME ZONE 'UTC')::date <= t.due_date)
    FROM public.lead_tasks t
    WHERE t.organization_id = org AND t.status = 'completed' AND t.completed_at IS NOT NULL
    GROUP BY 2, 3;
END $$;
REVOKE ALL ON FUNCTION closer_insights.rebuild_facts(uuid) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- 4. The reads (members only; a rep only for themselves, as closer.insights_funnel).
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer_insights.check_reader(org uuid, from_day date, to_day date, person uuid) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = ''
AS $$
BEGIN
    PERFORM closer.require_member(org);
    IF person IS DISTINCT FROM closer.current_profile_id() AND NOT org = ANY (closer.user_manager_org_ids()) THEN
        RAISE EXCEPTION 'a rep sees only their own insights' USING ERRCODE = '42501';
    END IF;
    IF from_day IS DISTINCT FROM date_trunc('month', from_day)::date
       OR to_day IS DISTINCT FROM date_trunc('month', to_day)::date THEN
        RAISE EXCEPTION 'insights periods are whole months, quarters or years' USING ERRCODE = '22023';
    END IF;
END $$;
REVOKE ALL ON FUNCTION closer_insights.check_reader(uuid, date, date, uuid) FROM PUBLIC;

-- Deals of one pipeline, period and person, per month, status, owner, currency and source.
CREATE FUNCTION closer.insights_deal_facts(org uuid, pipeline uuid, from_day date, to_day date, person uuid)
    RETURNS TABLE (month date, status public.deal_status, owner_id uuid, currency text, source text,
                   deals bigint, amount numeric, weighted numeric, days bigint, days_n bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer_insights.check_reader(org, from_day, to_day, person);
    RETURN QUERY
    SELECT f.month, f.status, f.owner_id, f.currency, f.source, sum(f.deals)::bigint, sum(f.amount),
           sum(f.weighted), sum(f.days)::bigint, sum(f.days_n)::bigint
    FROM (SELECT m.month, m.status, m.owner_id, m.currency, m.source, m.deals, m.amount, m.weighted, m.days, m.days_n
          FROM closer_insights.deal_months m
          WHERE m.organization_id = org AND m.pipeline_id = pipeline AND m.month >= from_day AND m.month < to_day
            AND (person IS NULL OR m.owner_id = person)
          UNION ALL
          SELECT m.month, m.status, m.owner_id, m.currency, m.source, m.deals, m.amount, m.weighted, m.days, m.days_n
          FROM closer_insights.deal_deltas m
          WHERE m.organization_id = org AND m.pipeline_id = pipeline AND m.month >= from_day AND m.month < to_day
            AND (person IS NULL OR m.owner_id = person)) f
    GROUP BY f.month, f.status, f.owner_id, f.currency, f.source
    HAVING sum(f.deals) <> 0;
END $$;
REVOKE ALL ON FUNCTION closer.insights_deal_facts(uuid, uuid, date, date, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.insights_deal_facts(uuid, uuid, date, date, uuid) TO closer_member;

-- Calls logged and tasks completed (on time) per person in the period (any pipeline).
CREATE FUNCTION closer.insights_activity(org uuid, from_day date, to_day date, person uuid)
    RETURNS TABLE (who uuid, calls bigint, done bigint, on_time bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer_insights.check_reader(org, from_day, to_day, person);
    RETURN QUERY
    WITH a AS (
        SELECT m.author AS who, m.calls, 0::bigint AS done, 0::bigint AS on_time FROM closer_insights.call_months m
        WHERE m.organization_id = org AND m.month >= from_day AND m.month < to_day AND (person IS NULL OR m.author = person)
        UNION ALL
        SELECT m.author, m.calls, 0, 0 FROM closer_insights.call_deltas m
        WHERE m.organization_id = org AND m.month >= from_day AND m.month < to_day AND (person IS NULL OR m.author = person)
        UNION ALL
        SELECT m.assignee, 0, m.done, m.on_time FROM closer_insights.task_months m
        WHERE m.organization_id = org AND m.month >= from_day AND m.month < to_day AND (person IS NULL OR m.assignee = person)
        UNION ALL
        SELECT m.assignee, 0, m.done, m.on_time FROM closer_insights.task_deltas m
        WHERE m.organization_id = org AND m.month >= from_day AND m.month < to_day AND (person IS NULL OR m.assignee = person)
    )
    SELECT a.who, sum(a.calls)::bigint, sum(a.done)::bigint, sum(a.on_time)::bigint
    FROM a GROUP BY a.who;
END $$;
REVOKE ALL ON FUNCTION closer.insights_activity(uuid, date, date, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.insights_activity(uuid, date, date, uuid) TO closer_member;

-- How many deltas of `org` wait for a fold (the reader folds in the background when many do).
CREATE FUNCTION closer.insights_facts_pending(org uuid) RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.require_member(org);
    RETURN (SELECT count(*) FROM closer_insights.deal_deltas d WHERE d.organization_id = org)
         + (SELECT count(*) FROM closer_insights.call_deltas d WHERE d.organization_id = org)
         + (SELECT count(*) FROM closer_insights.task_deltas d WHERE d.organization_id = org);
END $$;
REVOKE ALL ON FUNCTION closer.insights_facts_pending(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.insights_facts_pending(uuid) TO closer_member;

-- 0031's compaction, now folding these deltas too (same checks).
CREATE OR REPLACE FUNCTION closer.insights_compact(org uuid)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
BEGIN
    PERFORM closer.require_member(org);
    PERFORM closer_insights.fold_facts(org);
    RETURN closer_insights.compact(org, false);
END $$;

RESET ROLE;

-- What every organization already has (as the admin: it sees every row).
SELECT closer_insights.rebuild_facts(o.id) FROM organizations o;
