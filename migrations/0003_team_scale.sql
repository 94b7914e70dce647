-- A whole sales floor at once (issue 16, database side) and the nine missing foreign-key indexes
-- (issue 9, finding 8). See PERFORMANCE.md for the measurements behind each change.
SET LOCAL ROLE closer_owner;

-- ---------------------------------------------------------------------------
-- 1. Column totals without hot rows.
-- Every stage change used to upsert the organization's two per-stage summary rows (old stage
-- first, then new): fifty reps moving A→B and B→A deadlocked on them. Writers now only INSERT
-- delta rows, which never wait on each other; `stage_summaries` becomes a view summing them, so
-- it is exact at every read (a snapshot sees whole transactions). Whoever writes folds the
-- organization's deltas into one row per stage now and then (`compact_stage_summaries`): one
-- compactor per organization at a time (a try-lock, never a wait), in one statement, so readers
-- see the totals before or after it, never half of it.
-- ---------------------------------------------------------------------------
ALTER TABLE stage_summaries RENAME TO stage_summary_deltas;
ALTER TABLE stage_summary_deltas DROP CONSTRAINT stage_summaries_pkey;
-- Random ids: a sequence would tell every login how fast other organizations write.
ALTER TABLE stage_summary_deltas ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE stage_summary_deltas ADD CONSTRAINT stage_summary_deltas_pkey PRIMARY KEY (organization_id, stage_id, id);
-- Weighted amounts keep their full precision per delta; the view rounds the sum once.
ALTER TABLE stage_summary_deltas ALTER COLUMN weighted_deal_amount TYPE numeric;
ALTER TABLE stage_summary_deltas RENAME CONSTRAINT stage_summaries_organization_id_fkey TO stage_summary_deltas_organization_id_fkey;
ALTER TABLE stage_summary_deltas RENAME CONSTRAINT stage_summaries_organization_id_stage_id_fkey TO stage_summary_deltas_organization_id_stage_id_fkey;
ALTER POLICY view_org_stage_summaries ON stage_summary_deltas RENAME TO view_org_stage_summary_deltas;
ALTER POLICY owner_maintains_stage_summaries ON stage_summary_deltas RENAME TO owner_maintains_stage_summary_deltas;
ALTER TRIGGER stage_summaries_keep_organization ON stage_summary_deltas RENAME TO stage_summary_deltas_keep_organization;
-- Compaction deletes often: vacuum the small table often too.
ALTER TABLE stage_summary_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
                                     autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000);

-- The board's totals, exactly, through the invoker's RLS on the deltas.
CREATE VIEW stage_summaries WITH (security_invoker = true) AS
    SELECT d.organization_id, d.stage_id,
           sum(d.lead_count)::bigint AS lead_count,
           sum(d.open_deal_amount)::numeric(18, 2) AS open_deal_amount,
           round(sum(d.weighted_deal_amount), 2)::numeric(18, 2) AS weighted_deal_amount
    FROM stage_summary_deltas d
    GROUP BY d.organization_id, d.stage_id;
REVOKE ALL ON stage_summaries FROM PUBLIC;
GRANT SELECT ON stage_summaries TO closer_member;

-- Derived data: nobody writes the view (members lack the privilege before this even runs).
CREATE FUNCTION closer.stage_summaries_are_derived() RETURNS trigger
    LANGUAGE plpgsql SET search_path = ''
AS $$
BEGIN
    RAISE EXCEPTION 'stage_summaries is derived from the leads and deals; it cannot be written'
        USING ERRCODE = '42501';
END $$;
CREATE TRIGGER stage_summaries_are_derived INSTEAD OF INSERT OR UPDATE OR DELETE ON stage_summaries
    FOR EACH ROW EXECUTE FUNCTION closer.stage_summaries_are_derived();

-- Folds one organization's deltas into one row per stage. Skipped (never waited for) when another
-- transaction is compacting it, outside READ COMMITTED (an older snapshot could miss a fold that
-- committed meanwhile), and after the first fold of this transaction (a bulk move folds once).
CREATE FUNCTION closer.compact_stage_summaries(org uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR current_setting('closer.summaries_folded', true) = 'on'
       OR NOT pg_try_advisory_xact_lock(20161, hashtext(org::text)) THEN
        RETURN;
    END IF;
    PERFORM set_config('closer.summaries_folded', 'on', true);
    WITH gone AS (
        DELETE FROM public.stage_summary_deltas d WHERE d.organization_id = org
        RETURNING d.stage_id, d.lead_count, d.open_deal_amount, d.weighted_deal_amount
    )
    INSERT INTO public.stage_summary_deltas (organization_id, stage_id, lead_count, open_deal_amount, weighted_deal_amount)
    SELECT org, g.stage_id, sum(g.lead_count), sum(g.open_deal_amount), sum(g.weighted_deal_amount)
    FROM gone g
    GROUP BY g.stage_id
    HAVING sum(g.lead_count) <> 0 OR sum(g.open_deal_amount) <> 0 OR sum(g.weighted_deal_amount) <> 0;
END $$;

-- Same signature as before, so the summary triggers of 0001 keep calling it: an INSERT now.
CREATE OR REPLACE FUNCTION closer.bump_stage_summary(org uuid, stage uuid, leads bigint, amount numeric, weighted numeric)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF leads = 0 AND amount = 0 AND weighted = 0 THEN
        RETURN;
    END IF;
    INSERT INTO public.stage_summary_deltas (organization_id, stage_id, lead_count, open_deal_amount, weighted_deal_amount)
    VALUES (org, stage, leads, amount, weighted);
    -- About one write in 32 folds: reads sum a few dozen rows per stage at most.
    IF random() < 1.0 / 32 THEN
        PERFORM closer.compact_stage_summaries(org);
    END IF;
END $$;

-- ---------------------------------------------------------------------------
-- 2. One notification per transaction and organization, sent at commit.
-- Each changed row notes its lead and stages in transaction-local settings (the WHEN clause of a
-- deferred constraint trigger runs right after the row changes); only the first row of a
-- transaction queues the deferred event, which at commit sends
--   {"v": 1, "leads": [...] | null, "stages": [...] | null}
-- on the organization's channel (INTERFACES.md). A member can forge the noted values only for
-- their own transactions, and the notice goes only to the channel of an organization whose row
-- really changed: nothing more than the NOTIFY any login can send.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['leads', 'lead_tasks', 'lead_interactions', 'lead_activities', 'deals', 'lead_tags',
                             'lead_profiles', 'lead_documents'] LOOP
        EXECUTE format('DROP TRIGGER %1$s_notify_insert ON %1$I', t);
        EXECUTE format('DROP TRIGGER %1$s_notify_update ON %1$I', t);
        EXECUTE format('DROP TRIGGER %1$s_notify_delete ON %1$I', t);
    END LOOP;
END $$;
DROP FUNCTION closer.notify_changes();

-- Internal: the channel of an organization (0004 moves the token out of `organizations`).
CREATE FUNCTION closer.org_channel(org uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT o.notify_channel FROM public.organizations o WHERE o.id = org $$;
REVOKE EXECUTE ON FUNCTION closer.org_channel(uuid) FROM PUBLIC;

-- The channel of an organization the caller (session_user) belongs to; NULL otherwise.
CREATE FUNCTION closer.my_notify_channel(org uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT o.notify_channel
    FROM public.organizations o
    JOIN public.organization_members m ON m.organization_id = o.id
    JOIN public.profiles p ON p.id = m.profile_id
    WHERE o.id = org AND p.db_role = session_user
$$;
REVOKE EXECUTE ON FUNCTION closer.my_notify_channel(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.my_notify_channel(uuid) TO closer_member;

-- Adds uuids to a noted list ('' none yet, 'a,b' up to 20, '*' more or unknown).
CREATE FUNCTION closer.notify_list_add(list text, items uuid[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE SET search_path = ''
AS $$
DECLARE
    item uuid;
BEGIN
    IF list = '*' OR items IS NULL THEN
        RETURN list;
    END IF;
    FOREACH item IN ARRAY items LOOP
        CONTINUE WHEN item IS NULL OR strpos(list, item::text) > 0;
        IF length(list) >= 20 * 37 - 1 THEN
            RETURN '*';
        END IF;
        list := CASE WHEN list = '' THEN item::text ELSE list || ',' || item::text END;
    END LOOP;
    RETURN list;
END $$;

-- Notes a changed row: `lead_ids` its lead(s); `stage_ids` the stages it leaves and enters, NULL for
-- a child row (the flush looks the lead's stage up); both NULL: the board's definition changed.
-- Returns true for the first row of the organization in this transaction (the WHEN clause).
CREATE FUNCTION closer.notify_note(org uuid, lead_ids uuid[], stage_ids uuid[]) RETURNS boolean
    LANGUAGE plpgsql SET search_path = ''
AS $$
DECLARE
    key text := replace(org::text, '-', '');
    leads text := coalesce(current_setting('closer.notify_leads_' || key, true), '');
    stages text := coalesce(current_setting('closer.notify_stages_' || key, true), '');
    first boolean := leads = '';
    new_leads text;
    new_stages text;
BEGIN
    IF org IS NULL THEN
        RETURN false;
    END IF;
    IF first THEN
        leads := '+';
    END IF;
    IF lead_ids IS NULL AND stage_ids IS NULL THEN
        new_stages := '*';
        new_leads := leads;
    ELSE
        new_leads := CASE WHEN leads = '*' THEN '*'
                          ELSE '+' || closer.notify_list_add(substr(leads, 2), lead_ids) END;
        IF new_leads = '+*' THEN
            new_leads := '*';
        END IF;
        -- A child row of a lead no longer listed: its stage cannot be looked up at commit.
        new_stages := CASE WHEN stage_ids IS NULL AND new_leads = '*' THEN '*'
                           ELSE closer.notify_list_add(stages, stage_ids) END;
    END IF;
    IF new_leads IS DISTINCT FROM leads OR first THEN
        PERFORM set_config('closer.notify_leads_' || key, new_leads, true);
    END IF;
    IF new_stages IS DISTINCT FROM stages THEN
        PERFORM set_config('closer.notify_stages_' || key, new_stages, true);
    END IF;
    RETURN first;
END $$;
GRANT EXECUTE ON FUNCTION closer.notify_list_add(text, uuid[]), closer.notify_note(uuid, uuid[], uuid[]) TO closer_member;

-- At commit (deferred): one pg_notify with what was noted, then the notes are cleared (a later
-- change in the same transaction, e.g. after SET CONSTRAINTS ... IMMEDIATE, queues a new one).
CREATE FUNCTION closer.notify_flush() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    org uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.organization_id ELSE NEW.organization_id END;
    key text := replace(org::text, '-', '');
    leads text := coalesce(current_setting('closer.notify_leads_' || key, true), '');
    stages text := coalesce(current_setting('closer.notify_stages_' || key, true), '');
    uuid_pattern constant text := '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    lead_ids uuid[];
    stage_ids uuid[];
    channel text;
BEGIN
    IF leads = '' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('closer.notify_leads_' || key, '', true);
    PERFORM set_config('closer.notify_stages_' || key, '', true);
    IF leads <> '*' THEN
        lead_ids := coalesce((SELECT array_agg(DISTINCT m[1]::uuid) FROM regexp_matches(leads, uuid_pattern, 'g') m), '{}');
    END IF;
    IF stages <> '*' THEN
        stage_ids := coalesce((SELECT array_agg(DISTINCT m[1]::uuid) FROM regexp_matches(stages, uuid_pattern, 'g') m), '{}');
        IF cardinality(lead_ids) > 0 THEN
            SELECT coalesce(array_agg(DISTINCT s), '{}') INTO stage_ids
            FROM (SELECT unnest(stage_ids) AS s
                  UNION
                  SELECT l.stage_id FROM public.leads l WHERE l.organization_id = org AND l.id = ANY (lead_ids)) x;
        END IF;
        IF cardinality(stage_ids) > 20 THEN
            stage_ids := NULL;
        END IF;
    END IF;
    channel := closer.org_channel(org);
    IF channel IS NOT NULL THEN
        PERFORM pg_notify(channel, jsonb_build_object('v', 1, 'leads', to_jsonb(lead_ids), 'stages', to_jsonb(stage_ids))::text);
    END IF;
    RETURN NULL;
END $$;
GRANT EXECUTE ON FUNCTION closer.notify_flush() TO closer_member;

-- WHEN may not name OLD on INSERT nor NEW on DELETE: one trigger per event.
DO $$
DECLARE
    t text;
    event text;
    row_var text;
    leads_of text;
    stages_of text;
BEGIN
    FOREACH t IN ARRAY ARRAY['leads', 'lead_tasks', 'lead_interactions', 'lead_activities', 'deals', 'lead_tags',
                             'lead_profiles', 'lead_documents', 'pipelines', 'pipeline_stages'] LOOP
        FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            row_var := CASE event WHEN 'delete' THEN 'OLD' ELSE 'NEW' END;
            IF t IN ('pipelines', 'pipeline_stages') THEN
                -- The board's definition changed: "reload".
                leads_of := 'NULL';
                stages_of := 'NULL';
            ELSIF t = 'leads' THEN
                leads_of := format('ARRAY[%s.id]', row_var);
                stages_of := CASE event WHEN 'update' THEN 'ARRAY[OLD.stage_id, NEW.stage_id]'
                                        ELSE format('ARRAY[%s.stage_id]', row_var) END;
            ELSE
                leads_of := CASE event WHEN 'update' THEN 'ARRAY[OLD.lead_id, NEW.lead_id]'
                                       ELSE format('ARRAY[%s.lead_id]', row_var) END;
                stages_of := 'NULL';
            END IF;
            EXECUTE format('CREATE CONSTRAINT TRIGGER %1$s_notify_%2$s AFTER %2$s ON %1$I
                            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
                            WHEN (closer.notify_note(%3$s.organization_id, %4$s, %5$s))
                            EXECUTE FUNCTION closer.notify_flush()',
                           t, event, row_var, leads_of, stages_of);
        END LOOP;
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------
-- 3. Prefix search in the order it returns: `ORDER BY lower(name), id` read straight off an
-- index instead of reading and sorting every match (41k rows for "amara" at 1M leads).
-- "C" collation: byte order, so a LIKE prefix is an index range.
-- ---------------------------------------------------------------------------
CREATE INDEX leads_name_prefix_c_idx ON leads (organization_id, (lower(name) COLLATE "C"), id);
DROP INDEX leads_name_prefix_idx;

-- ---------------------------------------------------------------------------
-- 4. The inbox reads what it shows: open tasks in display order (due date, due time, title) per
-- priority, per assignee and for the whole team, and recently completed ones newest first.
-- Priority and status are index predicates, not key columns: enum comparisons are not
-- leakproof, so under RLS they could never be index conditions (only filters). Each open task
-- sits in two of the six open indexes, so writes cost what two indexes cost.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    p text;
BEGIN
    FOREACH p IN ARRAY ARRAY['high', 'medium', 'low'] LOOP
        EXECUTE format('CREATE INDEX lead_tasks_open_%1$s_mine_idx ON lead_tasks
                            (organization_id, assigned_to, due_date, due_time, title, id)
                        WHERE status <> %2$L AND priority = %1$L', p, 'completed');
        EXECUTE format('CREATE INDEX lead_tasks_open_%1$s_team_idx ON lead_tasks
                            (organization_id, due_date, due_time, title, id)
                        WHERE status <> %2$L AND priority = %1$L', p, 'completed');
    END LOOP;
END $$;
CREATE INDEX lead_tasks_done_mine_idx ON lead_tasks
    (organization_id, assigned_to, completed_at DESC) WHERE status = 'completed';
CREATE INDEX lead_tasks_done_team_idx ON lead_tasks
    (organization_id, completed_at DESC) WHERE status = 'completed';

-- ---------------------------------------------------------------------------
-- 7. Foreign keys without an index (issue 9, finding 8): deleting a profile or a property scanned
-- every organization's rows.
-- ---------------------------------------------------------------------------
CREATE INDEX deals_created_by_idx ON deals (created_by);
CREATE INDEX lead_activities_created_by_idx ON lead_activities (created_by);
CREATE INDEX lead_interactions_created_by_idx ON lead_interactions (created_by);
CREATE INDEX lead_tasks_created_by_idx ON lead_tasks (created_by);
CREATE INDEX leads_created_by_idx ON leads (created_by);
CREATE INDEX lead_documents_uploaded_by_idx ON lead_documents (uploaded_by);
CREATE INDEX deals_property_idx ON deals (organization_id, property_id);
CREATE INDEX leads_property_idx ON leads (organization_id, property_id);
CREATE INDEX leads_project_idx ON leads (organization_id, project_id);

RESET ROLE;

-- ---------------------------------------------------------------------------
-- 3 (continued). The search function, owned by `closer_search` (see 0001), with the prefix part
-- on the "C" index in its order. Unchanged otherwise: members of `org` only, that org's rows only.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION closer.search_leads(org uuid, query text, max_hits integer)
    RETURNS TABLE (id uuid, name text, company text, stage_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    q text := replace(replace(replace(btrim(query), '\', '\\'), '%', '\%'), '_', '\_');
    lim integer := least(greatest(max_hits, 1), 100);
BEGIN
    IF q = '' OR NOT org = ANY (closer.user_org_ids()) THEN
        RETURN;
    END IF;
    -- Literal patterns (quoted with %L) so every call is planned with the real pattern.
    RETURN QUERY EXECUTE format($sql$
        WITH prefix AS (
            SELECT l.id, l.name, l.stage_id, 0 AS rank FROM public.leads l
            WHERE l.organization_id = %1$L AND lower(l.name) COLLATE "C" LIKE %2$L
            ORDER BY lower(l.name) COLLATE "C", l.id LIMIT %4$s
        ), anywhere AS (
            SELECT l.id, l.name, l.stage_id, 1 AS rank FROM public.leads l
            WHERE %5$L::boolean AND l.organization_id = %1$L AND (l.name ILIKE %3$L OR l.email ILIKE %3$L OR l.phone ILIKE %3$L)
            LIMIT %4$s
        ), by_company AS (
            SELECT l.id, l.name, l.stage_id, 2 AS rank FROM public.lead_profiles lp
            JOIN public.leads l ON l.organization_id = lp.organization_id AND l.id = lp.lead_id
            WHERE %5$L::boolean AND lp.organization_id = %1$L AND lp.company ILIKE %3$L
            LIMIT %4$s
        ), hits AS (
            SELECT DISTINCT ON (h.id) h.id, h.name, h.stage_id, h.rank
            FROM (SELECT * FROM prefix UNION ALL SELECT * FROM anywhere UNION ALL SELECT * FROM by_company) h
            ORDER BY h.id, h.rank
        )
        SELECT h.id, h.name, p.company, h.stage_id FROM hits h
        LEFT JOIN public.lead_profiles p ON p.organization_id = %1$L AND p.lead_id = h.id
        ORDER BY h.rank, lower(h.name) COLLATE "C", h.id
        LIMIT %4$s
    $sql$, org, lower(q) || '%', '%' || q || '%', lim, length(q) >= 3);
END $$;
