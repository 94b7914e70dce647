-- Tenancy (issue 9): members read tenant tables (RLS decides which rows) but write only through
-- the `closer.*` functions below; secrets live where members have no privilege; membership
-- changes run offboarding in the database; every text and jsonb column has a size limit.
-- See SECURITY.md (repository top level) for the threat model and the test behind each claim.
SET LOCAL ROLE closer_owner;

-- ---------------------------------------------------------------------------
-- 1. Members lose every write privilege. With SELECT only, a member can take no table lock
--    stronger than ACCESS SHARE and cannot SELECT … FOR UPDATE/SHARE.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_catalog.pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
               AND c.relowner = 'closer_owner'::regrole LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON public.%I FROM closer_member', t);
    END LOOP;
END $$;
-- Column-level grants survive a table-level REVOKE: take them back one by one.
REVOKE UPDATE (time_zone) ON organizations FROM closer_member;
REVOKE UPDATE (role) ON organization_members FROM closer_member;
REVOKE UPDATE (full_name, email, phone, time_zone) ON profiles FROM closer_member;

-- ---------------------------------------------------------------------------
-- 2. Guards. Identity is still session_user (the login); these run inside the write functions.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.require_member(org uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF org IS NULL OR NOT org = ANY (closer.user_org_ids()) THEN
        RAISE EXCEPTION 'you are not a member of that organization' USING ERRCODE = '42501';
    END IF;
END $$;

CREATE FUNCTION closer.require_manager(org uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF org IS NULL OR NOT org = ANY (closer.user_manager_org_ids()) THEN
        RAISE EXCEPTION 'only an admin or manager of that organization may do this' USING ERRCODE = '42501';
    END IF;
END $$;

-- ---------------------------------------------------------------------------
-- 3. Policies for the owner. Inside a SECURITY DEFINER function current_user is closer_owner,
--    so the member policies (TO closer_member) do not apply there: these do, and they still
--    derive the person from session_user. The functions also check membership explicitly.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['projects', 'properties', 'leads', 'lead_profiles', 'lead_interactions',
                             'lead_tasks', 'lead_documents', 'lead_tags', 'deals'] LOOP
        EXECUTE format('CREATE POLICY owner_writes_for_members ON public.%I FOR ALL TO closer_owner
                        USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]))
                        WITH CHECK (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]))', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['pipelines', 'pipeline_stages'] LOOP
        EXECUTE format('CREATE POLICY owner_reads_for_members ON public.%I FOR SELECT TO closer_owner
                        USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]))', t);
        EXECUTE format('CREATE POLICY owner_writes_for_managers ON public.%I FOR ALL TO closer_owner
                        USING (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]))
                        WITH CHECK (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]))', t);
    END LOOP;
END $$;
-- Deleting a lead needs a manager, inside the functions too.
CREATE POLICY owner_deletes_for_managers ON leads AS RESTRICTIVE FOR DELETE TO closer_owner
    USING (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));
-- The activity feed stays append-only: the owner may read and add, never change or delete.
CREATE POLICY owner_reads_for_members ON lead_activities FOR SELECT TO closer_owner
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
CREATE POLICY owner_records_for_members ON lead_activities FOR INSERT TO closer_owner
    WITH CHECK (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[])
                AND created_by IS NOT DISTINCT FROM (SELECT closer.current_profile_id()));
CREATE POLICY owner_changes_roles_for_managers ON organization_members FOR UPDATE TO closer_owner
    USING (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]))
    WITH CHECK (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));
CREATE POLICY owner_removes_for_managers ON organization_members FOR DELETE TO closer_owner
    USING (organization_id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));
CREATE POLICY owner_updates_for_managers ON organizations FOR UPDATE TO closer_owner
    USING (id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]))
    WITH CHECK (id = ANY ((SELECT closer.user_manager_org_ids())::uuid[]));
CREATE POLICY owner_updates_own_profile ON profiles FOR UPDATE TO closer_owner
    USING (db_role = session_user) WITH CHECK (db_role = session_user);

-- ---------------------------------------------------------------------------
-- 4. lead_activities: author and time are the database's (finding #10), whoever inserts.
--    The admin tools (superuser, no profile) keep what they write (seeding history).
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.stamp_activity() RETURNS trigger
    LANGUAGE plpgsql SET search_path = ''
AS $$
DECLARE
    me uuid := closer.current_profile_id();
BEGIN
    IF me IS NOT NULL THEN
        NEW.created_by := me;
        NEW.created_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER lead_activities_stamp BEFORE INSERT ON lead_activities
    FOR EACH ROW EXECUTE FUNCTION closer.stamp_activity();

-- ---------------------------------------------------------------------------
-- 5. The write API. Each function: SECURITY DEFINER, search_path '', owned by closer_owner,
--    EXECUTE for closer_member only; checks membership of `org`, filters every statement by
--    `org`, records its own lead_activities row, and is one round trip for the client. A write
--    waits at most `lock_timeout` for a teammate's row lock. Zero rows back means "changed
--    meanwhile, or gone/invisible": the client re-reads to tell which.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.move_lead(org uuid, lead uuid, to_stage uuid, lost_reason text, from_stage uuid)
    RETURNS TABLE (id uuid, stage_id uuid, version integer)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH moved AS (
        UPDATE public.leads SET stage_id = $3, lost_reason = $4
        WHERE organization_id = $1 AND id = $2 AND stage_id = $5
        RETURNING id, stage_id, version
    ), logged AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, moved.id, 'stage_change', jsonb_build_object(
            'from_stage_id', $5, 'to_stage_id', $3,
            'from', (SELECT s.name FROM public.pipeline_stages s WHERE s.organization_id = $1 AND s.id = $5),
            'to', (SELECT s.name FROM public.pipeline_stages s WHERE s.organization_id = $1 AND s.id = $3),
            'lost_reason', $4)
        FROM moved
    )
    SELECT id, stage_id, version FROM moved
$$;

CREATE FUNCTION closer.log_interaction(org uuid, lead uuid, kind public.interaction_type,
                                       direction public.interaction_direction, subject text, content text,
                                       duration integer, outcome text)
    RETURNS TABLE (id uuid, version integer, total_calls integer, last_contacted_at timestamptz)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
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
    FROM logged CROSS JOIN lead LEFT JOIN touched t ON true
$$;

CREATE FUNCTION closer.create_lead(org uuid, stage uuid, name text, email text, phone text,
                                   assigned_to uuid, company text)
    RETURNS TABLE (id uuid)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH stage AS (
        SELECT s.id, s.name FROM public.pipeline_stages s WHERE s.organization_id = $1 AND s.id = $2
    ), lead AS (
        INSERT INTO public.leads (organization_id, stage_id, name, email, phone, assigned_to)
        SELECT $1, stage.id, $3, $4, $5, $6 FROM stage
        RETURNING id, name, stage_id
    ), profile AS (
        INSERT INTO public.lead_profiles (organization_id, lead_id, company)
        SELECT $1, lead.id, $7 FROM lead
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, lead.id, 'lead_created',
               jsonb_build_object('name', lead.name, 'stage_id', lead.stage_id, 'stage', stage.name)
        FROM lead CROSS JOIN stage
    )
    SELECT id FROM lead
$$;

-- `lead_columns` / `profile_columns`: JSON objects keyed by column (an absent key leaves the
-- column alone); `fields`: the changed field names, for the activity.
CREATE FUNCTION closer.update_lead(org uuid, lead uuid, expected_version integer, lead_columns jsonb,
                                   profile_columns jsonb, fields jsonb)
    RETURNS TABLE (version integer)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH updated AS (
        UPDATE public.leads SET
            name = CASE WHEN $4 ? 'name' THEN $4->>'name' ELSE name END,
            email = CASE WHEN $4 ? 'email' THEN $4->>'email' ELSE email END,
            phone = CASE WHEN $4 ? 'phone' THEN $4->>'phone' ELSE phone END,
            mobile = CASE WHEN $4 ? 'mobile' THEN $4->>'mobile' ELSE mobile END,
            source = CASE WHEN $4 ? 'source' THEN $4->>'source' ELSE source END,
            lead_source = CASE WHEN $4 ? 'lead_source' THEN $4->>'lead_source' ELSE lead_source END,
            score = CASE WHEN $4 ? 'score' THEN ($4->>'score')::int ELSE score END,
            engagement_score = CASE WHEN $4 ? 'engagement_score' THEN ($4->>'engagement_score')::int ELSE engagement_score END,
            interest_level = CASE WHEN $4 ? 'interest_level' THEN ($4->>'interest_level')::int ELSE interest_level END,
            purchase_readiness = CASE WHEN $4 ? 'purchase_readiness' THEN ($4->>'purchase_readiness')::int ELSE purchase_readiness END,
            assigned_to = CASE WHEN $4 ? 'assigned_to' THEN ($4->>'assigned_to')::uuid ELSE assigned_to END
        WHERE organization_id = $1 AND id = $2 AND version = $3
        RETURNING id, version
    ), profile AS (
        INSERT INTO public.lead_profiles AS p (organization_id, lead_id, company, job_title, location, industry,
                                               lead_score, engagement_level, budget_range, timeline,
                                               min_budget, max_budget, property_type_interest)
        SELECT $1, updated.id, $5->>'company', $5->>'job_title', $5->>'location', $5->>'industry',
               ($5->>'lead_score')::int, $5->>'engagement_level', $5->>'budget_range', $5->>'timeline',
               ($5->>'min_budget')::numeric, ($5->>'max_budget')::numeric, $5->>'property_type_interest'
        FROM updated
        WHERE $5 <> '{}'::jsonb
        ON CONFLICT (organization_id, lead_id) DO UPDATE SET
            company = CASE WHEN $5 ? 'company' THEN excluded.company ELSE p.company END,
            job_title = CASE WHEN $5 ? 'job_title' THEN excluded.job_title ELSE p.job_title END,
            location = CASE WHEN $5 ? 'location' THEN excluded.location ELSE p.location END,
            industry = CASE WHEN $5 ? 'industry' THEN excluded.industry ELSE p.industry END,
            lead_score = CASE WHEN $5 ? 'lead_score' THEN excluded.lead_score ELSE p.lead_score END,
            engagement_level = CASE WHEN $5 ? 'engagement_level' THEN excluded.engagement_level ELSE p.engagement_level END,
            budget_range = CASE WHEN $5 ? 'budget_range' THEN excluded.budget_range ELSE p.budget_range END,
            timeline = CASE WHEN $5 ? 'timeline' THEN excluded.timeline ELSE p.timeline END,
            min_budget = CASE WHEN $5 ? 'min_budget' THEN excluded.min_budget ELSE p.min_budget END,
            max_budget = CASE WHEN $5 ? 'max_budget' THEN excluded.max_budget ELSE p.max_budget END,
            property_type_interest = CASE WHEN $5 ? 'property_type_interest' THEN excluded.property_type_interest ELSE p.property_type_interest END
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, updated.id, 'lead_updated', jsonb_build_object('fields', $6) FROM updated
    )
    SELECT version FROM updated
$$;

-- Managers and admins only (the restrictive owner policy says so too). The activity is kept
-- nowhere else once the lead is gone, so it is returned: the caller's log is the audit.
CREATE FUNCTION closer.delete_lead(org uuid, lead uuid)
    RETURNS TABLE (id uuid)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_manager($1);
    DELETE FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2 RETURNING l.id
$$;

-- The overdue rule (same as the client's `overdue_sql`): due date/time passed at `now` in `tz`.
CREATE FUNCTION closer.is_overdue(due_date date, due_time time, tz text, now timestamptz) RETURNS boolean
    LANGUAGE sql IMMUTABLE SET search_path = ''
AS $$
    SELECT coalesce($1 < ($4 AT TIME ZONE $3)::date
                    OR ($1 = ($4 AT TIME ZONE $3)::date AND $2 IS NOT NULL AND $2 < ($4 AT TIME ZONE $3)::time),
                    false)
$$;

CREATE FUNCTION closer.add_task(org uuid, lead uuid, title text, description text, due_date date,
                                due_time time, priority public.task_priority, assigned_to uuid,
                                tz text, now timestamptz)
    RETURNS TABLE (id uuid)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
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
    SELECT id FROM task
$$;

CREATE FUNCTION closer.complete_task(org uuid, task uuid, expected_version integer)
    RETURNS TABLE (version integer)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH done AS (
        UPDATE public.lead_tasks SET status = 'completed', completed_at = coalesce(completed_at, now())
        WHERE organization_id = $1 AND id = $2 AND version = $3
        RETURNING id, lead_id, title, version
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, done.lead_id, 'task_completed', jsonb_build_object('task_id', done.id, 'title', done.title)
        FROM done
    )
    SELECT version FROM done
$$;

CREATE FUNCTION closer.add_deal(org uuid, lead uuid, name text, amount float8, stage text,
                                probability integer, status public.deal_status, expected_close_date date)
    RETURNS TABLE (id uuid)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH lead AS (
        SELECT l.id FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2
    ), deal AS (
        INSERT INTO public.deals (organization_id, lead_id, name, amount, stage, probability, status, expected_close_date)
        SELECT $1, lead.id, $3, $4::numeric, $5, $6, $7, $8 FROM lead
        RETURNING id, lead_id, name, amount, stage, status
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, deal.lead_id, 'deal_added',
               jsonb_build_object('deal_id', deal.id, 'name', deal.name, 'amount', deal.amount,
                                  'stage', deal.stage, 'status', deal.status)
        FROM deal
    )
    SELECT id FROM deal
$$;

-- A null argument leaves its column alone; `set_close_date` says whether to write
-- `expected_close_date` (which may be set to null).
CREATE FUNCTION closer.update_deal(org uuid, deal uuid, expected_version integer, name text, amount float8,
                                   stage text, probability integer, status public.deal_status,
                                   set_close_date boolean, expected_close_date date, fields jsonb)
    RETURNS TABLE (version integer)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH changed AS (
        UPDATE public.deals SET
            name = coalesce($4, name),
            amount = coalesce($5::numeric, amount),
            stage = coalesce($6, stage),
            probability = coalesce($7, probability),
            status = coalesce($8, status),
            expected_close_date = CASE WHEN $9 THEN $10 ELSE expected_close_date END
        WHERE organization_id = $1 AND id = $2 AND version = $3
        RETURNING id, lead_id, name, amount, stage, status, version
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, changed.lead_id, 'deal_updated',
               jsonb_build_object('deal_id', changed.id, 'name', changed.name, 'fields', $11,
                                  'amount', changed.amount, 'stage', changed.stage, 'status', changed.status)
        FROM changed
    )
    SELECT version FROM changed
$$;

CREATE FUNCTION closer.add_document(org uuid, lead uuid, file_name text, file_url text, file_type text,
                                    file_size bigint, document_type public.document_type)
    RETURNS TABLE (id uuid)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH lead AS (
        SELECT l.id FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2
    ), document AS (
        INSERT INTO public.lead_documents (organization_id, lead_id, file_name, file_url, file_type, file_size, document_type)
        SELECT $1, lead.id, $3, $4, $5, $6, $7 FROM lead
        RETURNING id, lead_id, file_name, document_type
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, document.lead_id, 'document_added',
               jsonb_build_object('document_id', document.id, 'file_name', document.file_name,
                                  'document_type', document.document_type)
        FROM document
    )
    SELECT id FROM document
$$;

-- Adding a tag the lead has already recolours it (`tag_updated`); the same colour records nothing.
CREATE FUNCTION closer.add_tag(org uuid, lead uuid, tag text, color text)
    RETURNS TABLE (id uuid, tag text, color text)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH lead AS (
        SELECT l.id FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2
    ), before AS (
        SELECT g.color FROM public.lead_tags g WHERE g.organization_id = $1 AND g.lead_id = $2 AND g.tag = $3
    ), tagged AS (
        INSERT INTO public.lead_tags (organization_id, lead_id, tag, color)
        SELECT $1, lead.id, $3, $4 FROM lead
        ON CONFLICT (organization_id, lead_id, tag) DO UPDATE SET color = excluded.color
        RETURNING id, lead_id, tag, color
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, tagged.lead_id,
               CASE WHEN EXISTS (SELECT 1 FROM before) THEN 'tag_updated' ELSE 'tag_added' END,
               jsonb_build_object('tag', tagged.tag, 'color', tagged.color, 'from_color', (SELECT b.color FROM before b))
        FROM tagged
        WHERE (SELECT b.color FROM before b) IS DISTINCT FROM tagged.color
    )
    SELECT id, tag, color FROM tagged
$$;

CREATE FUNCTION closer.remove_tag(org uuid, lead uuid, tag text)
    RETURNS TABLE (found boolean, removed boolean)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH lead AS (
        SELECT l.id FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2
    ), removed AS (
        DELETE FROM public.lead_tags g
        WHERE g.organization_id = $1 AND g.lead_id = (SELECT id FROM lead) AND g.tag = $3
        RETURNING g.lead_id, g.tag, g.color
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, removed.lead_id, 'tag_removed', jsonb_build_object('tag', removed.tag, 'color', removed.color)
        FROM removed
    )
    SELECT EXISTS (SELECT 1 FROM lead), EXISTS (SELECT 1 FROM removed)
$$;

-- Task writes of the inbox. `closer.task_write` is internal (never granted): it runs one write
-- to lead_tasks with its activities, built from the fixed fragments of the public functions
-- below (never from caller text). `$1` org, `$2` task ids, `$3` zone, `$4` now, `$5` expected
-- version (null: unchecked), `$6…$9` the write's own values as text. `before b` is the task as it
-- was, `t` the target (`id, due_date, due_time`), `c` the row after.
CREATE FUNCTION closer.task_write(kind text, target text, assignments text, content text, log_when text,
                                  org uuid, ids uuid[], tz text, now timestamptz, expected integer,
                                  a6 text, a7 text, a8 text, a9 text)
    RETURNS TABLE (id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
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

-- Locks the tasks (in id order, so two bulk writes cannot deadlock) and returns each one's
-- status; every one must be visible in the organization, else nothing changes (SQLSTATE CL404).
CREATE FUNCTION closer.lock_tasks(org uuid, ids uuid[])
    RETURNS TABLE (id uuid, status public.task_status)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    wanted integer := cardinality(ARRAY(SELECT DISTINCT unnest(ids)));
    got integer;
BEGIN
    PERFORM closer.require_member(org);
    RETURN QUERY SELECT t.id, t.status FROM public.lead_tasks t
                 WHERE t.organization_id = org AND t.id = ANY (ids) ORDER BY t.id FOR UPDATE;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got <> wanted THEN
        RAISE EXCEPTION 'a task is gone or not visible to you' USING ERRCODE = 'CL404';
    END IF;
END $$;

CREATE FUNCTION closer.open_status(due_date date, due_time time, tz text, now timestamptz)
    RETURNS public.task_status
    LANGUAGE sql IMMUTABLE SET search_path = ''
AS $$
    SELECT CASE WHEN closer.is_overdue($1, $2, $3, $4) THEN 'overdue'::public.task_status
                ELSE 'pending'::public.task_status END
$$;

-- Completes tasks, all or none, each open one with a `task_completed` activity; returns every
-- task with its status before (what an undo needs).
CREATE FUNCTION closer.complete_tasks(org uuid, ids uuid[], now timestamptz)
    RETURNS TABLE (id uuid, status public.task_status)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
#variable_conflict use_column
DECLARE
    locked_ids uuid[];
    locked_status public.task_status[];
BEGIN
    SELECT array_agg(l.id), array_agg(l.status) INTO locked_ids, locked_status
    FROM closer.lock_tasks(org, ids) l;
    PERFORM closer.task_write('task_completed',
        'SELECT b.id, b.due_date, b.due_time FROM before b WHERE b.status <> ''completed''',
        'status = ''completed'', completed_at = $4',
        'jsonb_build_object(''task_id'', c.id, ''title'', c.title)',
        'true', org, ids, NULL, now, NULL, NULL, NULL, NULL, NULL);
    RETURN QUERY SELECT u.i, u.s FROM unnest(locked_ids, locked_status) AS u (i, s);
END $$;

-- Reopens completed tasks, all or none (CL409 if one is no longer completed), each with a
-- `task_reopened` activity; the status is derived again at `now` in `tz`.
CREATE FUNCTION closer.reopen_tasks(org uuid, ids uuid[], tz text, now timestamptz)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    done integer;
BEGIN
    PERFORM closer.lock_tasks(org, ids);
    SELECT count(*) INTO done FROM closer.task_write('task_reopened',
        'SELECT b.id, b.due_date, b.due_time FROM before b WHERE b.status = ''completed''',
        'status = closer.open_status(t.due_date, t.due_time, $3, $4), completed_at = null',
        'jsonb_build_object(''task_id'', c.id, ''title'', c.title)',
        'true', org, ids, tz, now, NULL, NULL, NULL, NULL, NULL);
    IF done <> cardinality(ARRAY(SELECT DISTINCT unnest(ids))) THEN
        RAISE EXCEPTION 'a task is no longer completed' USING ERRCODE = 'CL409';
    END IF;
END $$;

-- Snoozes open tasks, all or none: `mode` is 'days' (by `days` from the later of today and the
-- due date), 'next_monday' or 'until' (`until`); `label` names the choice in the activity.
CREATE FUNCTION closer.snooze_tasks(org uuid, ids uuid[], tz text, now timestamptz, mode text,
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
         FROM before b WHERE b.status <> ''completed''',
        'due_date = t.due_date, due_time = t.due_time,
         status = CASE WHEN task.status = ''completed'' THEN ''completed''::public.task_status
                       ELSE closer.open_status(t.due_date, t.due_time, $3, $4) END',
        'jsonb_build_object(''task_id'', c.id, ''title'', c.title, ''snooze'', $9,
                           ''from_date'', b.due_date, ''from_time'', b.due_time,
                           ''due_date'', c.due_date, ''due_time'', c.due_time)',
        'true', org, ids, tz, now, NULL, mode, until::text, days::text, label);
END $$;

-- Sets (or clears) one task's due date and time, version-checked unless `version` is null,
-- with a `task_rescheduled` activity when it changed; the status follows the new date.
CREATE FUNCTION closer.reschedule_task(org uuid, task uuid, expected_version integer, due_date date,
                                       due_time time, tz text, now timestamptz)
    RETURNS TABLE (id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
BEGIN
    PERFORM closer.require_member(org);
    RETURN QUERY SELECT w.id, w.version FROM closer.task_write('task_rescheduled',
        'SELECT b.id, $6::date AS due_date, $7::time AS due_time FROM before b',
        'due_date = t.due_date, due_time = t.due_time,
         status = CASE WHEN task.status = ''completed'' THEN ''completed''::public.task_status
                       ELSE closer.open_status(t.due_date, t.due_time, $3, $4) END',
        'jsonb_build_object(''task_id'', c.id, ''title'', c.title,
                           ''from_date'', b.due_date, ''from_time'', b.due_time,
                           ''due_date'', c.due_date, ''due_time'', c.due_time)',
        'c.due_date IS DISTINCT FROM b.due_date OR c.due_time IS DISTINCT FROM b.due_time',
        org, ARRAY[task], tz, now, expected_version, due_date::text, due_time::text, NULL, NULL) w;
END $$;

-- Sets the priority of tasks: one task version-checked (`version`), or several (version null)
-- all or none; an activity for each one that changed.
CREATE FUNCTION closer.set_tasks_priority(org uuid, ids uuid[], expected_version integer, priority public.task_priority)
    RETURNS TABLE (id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
BEGIN
    IF expected_version IS NULL THEN
        PERFORM closer.lock_tasks(org, ids);
    ELSE
        PERFORM closer.require_member(org);
    END IF;
    RETURN QUERY SELECT w.id, w.version FROM closer.task_write('task_priority_changed',
        'SELECT b.id, b.due_date, b.due_time FROM before b',
        'priority = $6::public.task_priority',
        'jsonb_build_object(''task_id'', c.id, ''title'', c.title, ''from'', b.priority, ''to'', c.priority)',
        'c.priority IS DISTINCT FROM b.priority',
        org, ids, NULL, NULL, expected_version, priority::text, NULL, NULL, NULL) w;
END $$;

-- Assigns tasks to a member of the organization (the composite foreign key enforces it), all
-- or none, an activity for each one that changed.
CREATE FUNCTION closer.reassign_tasks(org uuid, ids uuid[], assigned_to uuid)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
BEGIN
    PERFORM closer.lock_tasks(org, ids);
    PERFORM closer.task_write('task_reassigned',
        'SELECT b.id, b.due_date, b.due_time FROM before b',
        'assigned_to = $6::uuid',
        'jsonb_build_object(''task_id'', c.id, ''title'', c.title,
                           ''from'', b.assigned_to, ''to'', c.assigned_to,
                           ''from_name'', (SELECT p.full_name FROM public.profiles p WHERE p.id = b.assigned_to),
                           ''to_name'', (SELECT p.full_name FROM public.profiles p WHERE p.id = c.assigned_to))',
        'c.assigned_to IS DISTINCT FROM b.assigned_to',
        org, ids, NULL, NULL, NULL, assigned_to::text, NULL, NULL, NULL);
END $$;

-- Changes a task's title and description, version-checked unless `version` is null.
CREATE FUNCTION closer.edit_task(org uuid, task uuid, expected_version integer, title text, description text)
    RETURNS TABLE (id uuid, version integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
BEGIN
    PERFORM closer.require_member(org);
    RETURN QUERY SELECT w.id, w.version FROM closer.task_write('task_edited',
        'SELECT b.id, b.due_date, b.due_time FROM before b',
        'title = $6, description = $7',
        'jsonb_build_object(''task_id'', c.id, ''title'', c.title, ''from_title'', b.title,
                           ''title_changed'', c.title IS DISTINCT FROM b.title,
                           ''description_changed'', c.description IS DISTINCT FROM b.description)',
        'c.title IS DISTINCT FROM b.title OR c.description IS DISTINCT FROM b.description',
        org, ARRAY[task], NULL, NULL, expected_version, title, description, NULL, NULL) w;
END $$;

-- Profile and organization settings a member may change.
CREATE FUNCTION closer.update_my_profile(full_name text, email text, phone text, time_zone text)
    RETURNS TABLE (version integer)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    UPDATE public.profiles p
    SET full_name = coalesce($1, p.full_name), email = coalesce($2, p.email),
        phone = coalesce($3, p.phone), time_zone = coalesce($4, p.time_zone)
    WHERE p.db_role = session_user
    RETURNING p.version
$$;

CREATE FUNCTION closer.set_org_time_zone(org uuid, time_zone text)
    RETURNS boolean
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_manager($1);
    WITH changed AS (
        UPDATE public.organizations o SET time_zone = $2 WHERE o.id = $1 RETURNING o.id
    )
    SELECT EXISTS (SELECT 1 FROM changed)
$$;

-- ---------------------------------------------------------------------------
-- 6. Memberships. Managers and admins change roles and remove members; only admins touch an
--    admin's membership or make someone admin; the last admin is never removed or demoted
--    (by anyone: the admin tools too). Every change runs offboarding in the database.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.user_admin_org_ids() RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT coalesce(array_agg(m.organization_id), '{}')
    FROM public.organization_members m
    JOIN public.profiles p ON p.id = m.profile_id
    WHERE p.db_role = session_user AND m.role = 'admin'
$$;

CREATE FUNCTION closer.set_member_role(org uuid, member uuid, role public.member_role)
    RETURNS boolean
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_manager($1);
    WITH changed AS (
        UPDATE public.organization_members m SET role = $3
        WHERE m.organization_id = $1 AND m.profile_id = $2
        RETURNING m.profile_id
    )
    SELECT EXISTS (SELECT 1 FROM changed)
$$;

CREATE FUNCTION closer.remove_member(org uuid, member uuid)
    RETURNS boolean
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_manager($1);
    WITH removed AS (
        DELETE FROM public.organization_members m
        WHERE m.organization_id = $1 AND m.profile_id = $2
        RETURNING m.profile_id
    )
    SELECT EXISTS (SELECT 1 FROM removed)
$$;

CREATE FUNCTION closer.guard_membership_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    me uuid := closer.current_profile_id();
BEGIN
    -- Membership changes of one organization happen one at a time, so two admins demoting
    -- each other cannot both pass the last-admin check.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('closer.organization_members'),
                                             pg_catalog.hashtext(OLD.organization_id::text));
    IF me IS NOT NULL
       AND (OLD.role = 'admin' OR (TG_OP = 'UPDATE' AND NEW.role = 'admin'))
       AND NOT OLD.organization_id = ANY (closer.user_admin_org_ids()) THEN
        RAISE EXCEPTION 'only an admin may change an admin''s membership or make someone admin'
            USING ERRCODE = '42501';
    END IF;
    IF OLD.role = 'admin' AND (TG_OP = 'DELETE' OR NEW.role <> 'admin')
       AND EXISTS (SELECT 1 FROM public.organizations o WHERE o.id = OLD.organization_id)
       AND NOT EXISTS (SELECT 1 FROM public.organization_members m
                       WHERE m.organization_id = OLD.organization_id AND m.role = 'admin'
                         AND m.profile_id <> OLD.profile_id) THEN
        RAISE EXCEPTION 'the last admin of an organization cannot be removed or demoted'
            USING ERRCODE = '42501';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER organization_members_guard BEFORE UPDATE OF role OR DELETE ON organization_members
    FOR EACH ROW EXECUTE FUNCTION closer.guard_membership_change();

-- The per-database group whose members may CONNECT (see `closer admin migrate`).
CREATE FUNCTION closer.connect_group() RETURNS name
    LANGUAGE sql STABLE SET search_path = ''
AS $$ SELECT ('closer_connect_' || left(md5(current_database()), 16))::name $$;

-- Ends the login's sessions on this database (not the caller's own). Owned by
-- `closer_offboard` (pg_signal_backend) after the migration: see the end of this file.
CREATE FUNCTION closer.end_sessions(login name) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    backend integer;
    ended integer := 0;
BEGIN
    FOR backend IN SELECT a.pid FROM pg_catalog.pg_stat_activity a
                   WHERE a.usename = login AND a.datname = current_database()
                     AND a.pid <> pg_catalog.pg_backend_pid() LOOP
        BEGIN
            IF pg_catalog.pg_terminate_backend(backend) THEN
                ended := ended + 1;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            -- A superuser session under that name (an admin's): not ours to end.
            NULL;
        END;
    END LOOP;
    RETURN ended;
END $$;

-- A login left with no membership here can no longer connect to this database (it may still be
-- a member in another Closer database on the same server, so the login itself stays).
CREATE FUNCTION closer.revoke_connect(login name) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    grp name := closer.connect_group();
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = grp)
       AND pg_catalog.pg_has_role(login, grp, 'MEMBER') THEN
        EXECUTE format('REVOKE %I FROM %I', grp, login);
    END IF;
END $$;

CREATE FUNCTION closer.offboard_member() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    login name;
BEGIN
    SELECT p.db_role INTO login FROM public.profiles p WHERE p.id = OLD.profile_id;
    IF TG_OP = 'DELETE' THEN
        -- Whoever left may remember the channel.
        PERFORM closer.rotate_channel(OLD.organization_id);
        IF login IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.organization_members m
                                             WHERE m.profile_id = OLD.profile_id) THEN
            PERFORM closer.revoke_connect(login);
        END IF;
    END IF;
    -- An open transaction keeps the snapshot in which the old membership or role still holds.
    IF login IS NOT NULL THEN
        PERFORM closer.end_sessions(login);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER organization_members_offboard_delete AFTER DELETE ON organization_members
    FOR EACH ROW EXECUTE FUNCTION closer.offboard_member();
CREATE TRIGGER organization_members_offboard_role AFTER UPDATE OF role ON organization_members
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION closer.offboard_member();

-- ---------------------------------------------------------------------------
-- 7. Secrets out of reach. Channel tokens and organization names (unique across the server, so
--    indexed) move to tables members have no privilege on: a member cannot even EXPLAIN them.
-- ---------------------------------------------------------------------------
CREATE TABLE closer.org_secrets (
    organization_id uuid PRIMARY KEY REFERENCES public.organizations (id) ON DELETE CASCADE,
    notify_channel text NOT NULL UNIQUE DEFAULT 'closer_' || replace(gen_random_uuid()::text, '-', '')
);
CREATE TABLE closer.org_names (
    name text PRIMARY KEY,
    organization_id uuid NOT NULL UNIQUE REFERENCES public.organizations (id) ON DELETE CASCADE
);
REVOKE ALL ON closer.org_secrets, closer.org_names FROM PUBLIC;
ALTER TABLE closer.org_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE closer.org_secrets FORCE ROW LEVEL SECURITY;
ALTER TABLE closer.org_names ENABLE ROW LEVEL SECURITY;
ALTER TABLE closer.org_names FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_only ON closer.org_secrets FOR ALL TO closer_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_only ON closer.org_names FOR ALL TO closer_owner USING (true) WITH CHECK (true);
INSERT INTO closer.org_secrets (organization_id, notify_channel) SELECT o.id, o.notify_channel FROM organizations o;
INSERT INTO closer.org_names (name, organization_id) SELECT o.name, o.id FROM organizations o;

CREATE FUNCTION closer.register_organization() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO closer.org_secrets (organization_id) VALUES (NEW.id);
        INSERT INTO closer.org_names (name, organization_id) VALUES (NEW.name, NEW.id);
    ELSE
        UPDATE closer.org_names SET name = NEW.name WHERE organization_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_register AFTER INSERT OR UPDATE OF name ON organizations
    FOR EACH ROW EXECUTE FUNCTION closer.register_organization();

CREATE OR REPLACE FUNCTION closer.org_channel(org uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT s.notify_channel FROM closer.org_secrets s WHERE s.organization_id = $1 $$;

CREATE OR REPLACE FUNCTION closer.my_notify_channel(org uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT s.notify_channel FROM closer.org_secrets s
    WHERE s.organization_id = $1 AND $1 = ANY (closer.user_org_ids())
$$;
REVOKE EXECUTE ON FUNCTION closer.org_channel(uuid), closer.my_notify_channel(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.my_notify_channel(uuid) TO closer_member;

-- Tells the members listening on the old name to re-read theirs, then replaces it.
CREATE FUNCTION closer.rotate_channel(org uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    old text;
BEGIN
    SELECT s.notify_channel INTO old FROM closer.org_secrets s WHERE s.organization_id = org FOR UPDATE;
    IF old IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_catalog.pg_notify(old, 'channel_rotated');
    UPDATE closer.org_secrets SET notify_channel = 'closer_' || replace(gen_random_uuid()::text, '-', '')
    WHERE organization_id = org;
END $$;

-- The notify trigger reads the channel only through closer.org_channel.
CREATE OR REPLACE FUNCTION closer.notify_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    lead_column text := CASE WHEN TG_TABLE_NAME = 'leads' THEN 'id' ELSE 'lead_id' END;
    change record;
BEGIN
    FOR change IN EXECUTE format(
        'SELECT r.organization_id AS org, CASE WHEN count(DISTINCT r.%1$I) = 1 THEN min(r.%1$I::text) END AS lead_id
         FROM changed_rows r GROUP BY r.organization_id', lead_column)
    LOOP
        PERFORM pg_catalog.pg_notify(closer.org_channel(change.org),
                          TG_TABLE_NAME || CASE WHEN change.lead_id IS NULL THEN '' ELSE ':' || change.lead_id END);
    END LOOP;
    RETURN NULL;
END $$;

ALTER TABLE organizations DROP COLUMN notify_channel;
ALTER TABLE organizations DROP CONSTRAINT organizations_name_key;

-- ---------------------------------------------------------------------------
-- 8. A size limit on every text and jsonb column (characters for text, bytes of the JSON text
--    for jsonb). Constraint names `closer_size_<column>_<limit>` let the client name both.
--    Columns whose existing CHECK already bounds them are left alone.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    c record;
    lim integer;
    bounded text[] := ARRAY['organizations.name', 'profiles.full_name', 'projects.name', 'properties.name',
        'properties.status', 'pipelines.name', 'pipeline_stages.name', 'pipeline_stages.color', 'leads.name',
        'leads.phone', 'leads.mobile', 'lead_profiles.engagement_level', 'lead_interactions.subject',
        'lead_interactions.content', 'lead_activities.type', 'lead_tasks.title', 'lead_documents.file_name',
        'lead_documents.file_url', 'lead_tags.tag', 'lead_tags.color', 'deals.name', 'deals.stage'];
    limits jsonb := '{"profiles.email": 320, "leads.email": 320, "profiles.phone": 50,
        "organizations.time_zone": 100, "profiles.time_zone": 100, "leads.lost_reason": 2000,
        "lead_tasks.description": 2000000, "projects.description": 10000,
        "lead_activities.content": 65536}';
BEGIN
    FOR c IN SELECT col.table_name AS t, col.column_name AS col, col.data_type AS kind
             FROM information_schema.columns col
             JOIN pg_catalog.pg_class r ON r.relname = col.table_name AND r.relnamespace = 'public'::regnamespace
             WHERE col.table_schema = 'public' AND col.data_type IN ('text', 'jsonb')
               AND r.relowner = 'closer_owner'::regrole AND r.relkind = 'r'
             ORDER BY 1, 2 LOOP
        CONTINUE WHEN (c.t || '.' || c.col) = ANY (bounded);
        lim := coalesce((limits ->> (c.t || '.' || c.col))::integer,
                        CASE WHEN c.kind = 'jsonb' THEN 262144 ELSE 1000 END);
        EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (%s <= %s) NOT VALID', c.t,
                       'closer_size_' || c.col || '_' || lim,
                       CASE WHEN c.kind = 'jsonb' THEN format('octet_length(%I::text)', c.col)
                            ELSE format('char_length(%I)', c.col) END, lim);
        EXECUTE format('ALTER TABLE public.%I VALIDATE CONSTRAINT %I', c.t, 'closer_size_' || c.col || '_' || lim);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------
-- 9. Who may call what: members call the API; internal helpers stay with the owner.
-- ---------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION
    closer.move_lead(uuid, uuid, uuid, text, uuid),
    closer.log_interaction(uuid, uuid, public.interaction_type, public.interaction_direction, text, text, integer, text),
    closer.create_lead(uuid, uuid, text, text, text, uuid, text),
    closer.update_lead(uuid, uuid, integer, jsonb, jsonb, jsonb),
    closer.delete_lead(uuid, uuid),
    closer.add_task(uuid, uuid, text, text, date, time, public.task_priority, uuid, text, timestamptz),
    closer.complete_task(uuid, uuid, integer),
    closer.add_deal(uuid, uuid, text, float8, text, integer, public.deal_status, date),
    closer.update_deal(uuid, uuid, integer, text, float8, text, integer, public.deal_status, boolean, date, jsonb),
    closer.add_document(uuid, uuid, text, text, text, bigint, public.document_type),
    closer.add_tag(uuid, uuid, text, text),
    closer.remove_tag(uuid, uuid, text),
    closer.complete_tasks(uuid, uuid[], timestamptz),
    closer.reopen_tasks(uuid, uuid[], text, timestamptz),
    closer.snooze_tasks(uuid, uuid[], text, timestamptz, text, date, integer, text),
    closer.reschedule_task(uuid, uuid, integer, date, time, text, timestamptz),
    closer.set_tasks_priority(uuid, uuid[], integer, public.task_priority),
    closer.reassign_tasks(uuid, uuid[], uuid),
    closer.edit_task(uuid, uuid, integer, text, text),
    closer.update_my_profile(text, text, text, text),
    closer.set_org_time_zone(uuid, text),
    closer.set_member_role(uuid, uuid, public.member_role),
    closer.remove_member(uuid, uuid),
    closer.my_notify_channel(uuid)
TO closer_member;
-- The identity helpers the member policies call.
GRANT EXECUTE ON FUNCTION closer.current_profile_id(), closer.user_org_ids(), closer.user_manager_org_ids()
    TO closer_member;
GRANT EXECUTE ON FUNCTION closer.user_org_ids() TO closer_search;

RESET ROLE;
-- Only the admin connection can give these two to `closer_offboard` (pg_signal_backend,
-- CREATEROLE; NOLOGIN; prepared by `closer admin migrate`), and the owner the right to call them.
ALTER FUNCTION closer.end_sessions(name) OWNER TO closer_offboard;
ALTER FUNCTION closer.revoke_connect(name) OWNER TO closer_offboard;
GRANT USAGE ON SCHEMA closer TO closer_offboard;
GRANT EXECUTE ON FUNCTION closer.connect_group() TO closer_offboard;
GRANT EXECUTE ON FUNCTION closer.end_sessions(name), closer.revoke_connect(name) TO closer_owner;
-- Large objects are PUBLIC by default: nobody but the admin needs them.
REVOKE EXECUTE ON FUNCTION pg_catalog.lo_from_bytea(oid, bytea), pg_catalog.lo_create(oid), pg_catalog.lo_creat(integer),
    pg_catalog.lo_import(text), pg_catalog.lo_import(text, oid), pg_catalog.lo_export(oid, text),
    pg_catalog.lo_open(oid, integer), pg_catalog.lo_put(oid, bigint, bytea), pg_catalog.lo_unlink(oid),
    pg_catalog.lowrite(integer, bytea), pg_catalog.lo_truncate(integer, integer),
    pg_catalog.lo_truncate64(integer, bigint), pg_catalog.lo_get(oid), pg_catalog.lo_get(oid, bigint, integer),
    pg_catalog.loread(integer, integer)
    FROM PUBLIC;
