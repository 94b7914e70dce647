-- Bulk inserts cost per statement, not per row (issue 14: import 100,000 rows in <= 15 s).
-- `closer import leads` inserts 5,000 leads, profiles, activities and tags per statement; each
-- row used to run PL/pgSQL triggers that looked up its stage through RLS (an init plan per call),
-- wrote a stage-summary delta of its own and appended its id to the live-update note. Here the
-- INSERT work of those triggers runs once per statement over the inserted rows (transition
-- tables). Trigger names stay; functions that also serve UPDATE or DELETE of leads are not
-- redefined (a move's triggers belong to migration 0014): their triggers merely stop firing on
-- INSERT, and an insert-only statement trigger takes that part over.
SET LOCAL ROLE closer_owner;

-- A lead cannot be created in a lost stage without a reason: one check over the whole statement.
CREATE FUNCTION closer.leads_lost_need_a_reason_all()
    RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    stage_name text;
BEGIN
    SELECT s.name INTO stage_name
    FROM new_leads n JOIN public.pipeline_stages s ON s.organization_id = n.organization_id AND s.id = n.stage_id
    WHERE s.is_lost AND nullif(btrim(n.lost_reason), '') IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'A lead created in % needs a reason: create it in an open stage, then move it', stage_name
            USING ERRCODE = 'CL422';
    END IF;
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION closer.leads_lost_need_a_reason_all() FROM PUBLIC;

DROP TRIGGER leads_lost_need_a_reason ON public.leads;
CREATE TRIGGER leads_lost_need_a_reason AFTER INSERT ON public.leads
    REFERENCING NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION closer.leads_lost_need_a_reason_all();

-- New leads counted into the stage summary: one delta per (organization, stage) and statement
-- through the same `bump_stage_summary` every writer uses. New leads have no deals yet.
CREATE FUNCTION closer.leads_summary_inserted()
    RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.bump_stage_summary(n.organization_id, n.stage_id, count(*), 0, 0)
    FROM new_leads n GROUP BY n.organization_id, n.stage_id
    -- A fixed order, like every other writer of the summary (no deadlock between imports).
    ORDER BY n.organization_id, n.stage_id;
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION closer.leads_summary_inserted() FROM PUBLIC;

-- `leads_maintain_summary` keeps its name, function and UPDATE part as whoever defined them last
-- (its text is rewritten, not retyped); only its INSERT part moves to the statement trigger.
-- Should it no longer fire on INSERT, the statement trigger is not added (no double count).
DO $$
DECLARE
    def text;
BEGIN
    SELECT pg_get_triggerdef(t.oid) INTO def FROM pg_trigger t
    WHERE t.tgrelid = 'public.leads'::regclass AND t.tgname = 'leads_maintain_summary'
      AND (t.tgtype & 4) <> 0 AND (t.tgtype & 1) <> 0;
    IF def IS NOT NULL AND position(' AFTER INSERT OR ' IN def) > 0 THEN
        DROP TRIGGER leads_maintain_summary ON public.leads;
        EXECUTE replace(def, ' AFTER INSERT OR ', ' AFTER ');
        CREATE TRIGGER leads_summary_inserted AFTER INSERT ON public.leads
            REFERENCING NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION closer.leads_summary_inserted();
    ELSE
        RAISE NOTICE 'leads_maintain_summary does not fire per row on INSERT: left as it is';
    END IF;
END $$;

-- Live updates on INSERT, still ONE notification per transaction. The row-level deferred flush
-- triggers keep their names but are queued by a WHEN made of built-ins only: it claims the
-- organization's note (empty → '+') for the first row of the transaction and is false for every
-- other row, without a PL/pgSQL call per row. The statement trigger below then notes the
-- statement's leads (and their stages) at once through the same `notify_note`.
CREATE FUNCTION closer.notify_note_inserted()
    RETURNS trigger LANGUAGE plpgsql SET search_path = ''
AS $$
BEGIN
    IF TG_TABLE_NAME = 'leads' THEN
        PERFORM closer.notify_note(n.organization_id, array_agg(n.id), array_agg(DISTINCT n.stage_id))
        FROM inserted n GROUP BY n.organization_id;
    ELSE
        PERFORM closer.notify_note(n.organization_id, array_agg(n.lead_id), NULL)
        FROM inserted n GROUP BY n.organization_id;
    END IF;
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION closer.notify_note_inserted() FROM PUBLIC;

DO $$
DECLARE
    tbl text;
    claim constant text := 'coalesce(current_setting(''closer.notify_leads_'' || replace(new.organization_id::text, ''-'', ''''), true), '''') = '''' '
        || 'AND set_config(''closer.notify_leads_'' || replace(new.organization_id::text, ''-'', ''''), ''+'', true) = ''+''';
BEGIN
    FOREACH tbl IN ARRAY ARRAY['leads', 'lead_profiles', 'lead_activities', 'lead_tags'] LOOP
        EXECUTE format('DROP TRIGGER %I ON public.%I', tbl || '_notify_insert', tbl);
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT ON public.%I DEFERRABLE INITIALLY DEFERRED '
                       'FOR EACH ROW WHEN (%s) EXECUTE FUNCTION closer.notify_flush()',
                       tbl || '_notify_insert', tbl, claim);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON public.%I REFERENCING NEW TABLE AS inserted '
                       'FOR EACH STATEMENT EXECUTE FUNCTION closer.notify_note_inserted()',
                       tbl || '_notify_insert_note', tbl);
    END LOOP;
END $$;

-- One import batch is one statement whose lookups (by id, external id, e-mail, phone digits,
-- name) must use their own indexes. Custom plans estimate the organization's rows from
-- statistics taken before the import: an organization that was empty looked like one row, so the
-- planner scanned it through any index per input row, and the second batch of 5,000 took minutes.
-- The generic plan estimates any organization alike and keeps the key indexes.
ALTER FUNCTION closer.import_leads(uuid, jsonb, uuid, text) SET plan_cache_mode = force_generic_plan;

RESET ROLE;
