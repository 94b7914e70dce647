-- An import's tags counted once per statement (issue 14: `closer import leads` of 100,000 rows,
-- ~80 s; the goal is 15 s). 0033 counted every tag row in the filter deltas through a row
-- trigger: a stage lookup, an open-deals lookup and a delta row per tag, ~139,000 times for
-- the 100,000-row benchmark file, each with a 1 in 128 chance to fold.
--
--   1. Tags INSERTed count per statement (lead_tags_filter_summary_inserted, a transition
--      table): per organization, stage of the lead (as it is when the trigger runs) and facet
--      `tag:<tag>` one row with the number of tags, and one per currency with the sum of those
--      leads' open deals (each lead's non-zero sums only, as bump_lead_filters writes them).
--      Owner null: a tag counts in its facet's rows, never in the owner rows (0033's calls pass
--      owned = false). The same rows 0033's row trigger wrote, summed; one fold in 128 tags, as
--      before. Tags UPDATEd or DELETEd still count per row (0033's trigger, now only for
--      those).
--   2. closer.import_leads (0032's, same arguments, result and lookups) inserts its tags in a
--      statement of their own after the one that creates and updates the leads. In one
--      statement a lead moved by the import and given a tag was counted twice in the new stage
--      (and taken off the old one, where the tag never was): every AFTER trigger of a statement
--      runs at its end and sees all of it, so the lead's move (0033's leads trigger) carried the
--      new tag along, and the tag's own trigger added it to the lead's new stage again. Now the
--      move sees the lead's earlier tags only, and the tags see the lead in its new stage.
--      (0033's row trigger miscounted such rows as well, whichever of the two fired first.)
--
-- The deltas keep their meaning: the 0033 rows summed, readers and the fold unchanged.
SET LOCAL ROLE closer_owner;

-- Tags added, per statement: the transition table `new_tags`. A tag whose lead is gone (it
-- cannot be, the foreign key holds) is not counted, as closer.lead_stage found no stage.
CREATE FUNCTION closer.lead_tags_filter_summary_inserted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    org uuid;
    added bigint;
BEGIN
    WITH tagged AS MATERIALIZED (
        SELECT n.organization_id, l.stage_id, n.lead_id, 'tag:' || n.tag AS facet
        FROM new_tags n
        JOIN public.leads l ON l.organization_id = n.organization_id AND l.id = n.lead_id
    ), open_deals AS MATERIALIZED (
        -- closer.lead_open_deals_by_currency of each tagged lead, its non-zero sums only.
        SELECT d.organization_id, d.lead_id, d.currency, sum(d.amount) AS amount,
               sum(d.amount * d.probability / 100.0) AS weighted
        FROM (SELECT DISTINCT t.organization_id, t.lead_id FROM tagged t) k
        JOIN public.deals d ON d.organization_id = k.organization_id AND d.lead_id = k.lead_id AND d.status = 'open'
        GROUP BY d.organization_id, d.lead_id, d.currency
        HAVING sum(d.amount) <> 0 OR sum(d.amount * d.probability / 100.0) <> 0
    )
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count,
                                            open_deal_amount, weighted_deal_amount, currency)
    SELECT t.organization_id, t.stage_id, NULL::uuid, t.facet, count(*), 0, 0, NULL::text
    FROM tagged t
    GROUP BY t.organization_id, t.stage_id, t.facet
    UNION ALL
    SELECT t.organization_id, t.stage_id, NULL, t.facet, 0, sum(o.amount), sum(o.weighted), o.currency
    FROM tagged t
    JOIN open_deals o ON o.organization_id = t.organization_id AND o.lead_id = t.lead_id
    GROUP BY t.organization_id, t.stage_id, t.facet, o.currency;
    -- One write in 128 folds, as in 0033: n tags fold their organization with odds n / 128
    -- (at most once a transaction: closer.compact_filter_summaries).
    FOR org, added IN SELECT n.organization_id, count(*) FROM new_tags n GROUP BY n.organization_id LOOP
        IF random() * 128 < added THEN
            PERFORM closer.compact_filter_summaries(org);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

REVOKE EXECUTE ON FUNCTION closer.lead_tags_filter_summary_inserted() FROM PUBLIC;

-- 0033's row trigger for renamed, moved and removed tags only; added ones count above. Its
-- function loses the branch for INSERT, which no trigger reaches any more; the rest is 0033's.
CREATE OR REPLACE FUNCTION closer.lead_tags_maintain_filter_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer.bump_lead_filters(OLD.organization_id, closer.lead_stage(OLD.organization_id, OLD.lead_id),
                                     OLD.lead_id, false, NULL, ARRAY['tag:' || OLD.tag], -1);
    IF TG_OP = 'UPDATE' THEN
        PERFORM closer.bump_lead_filters(NEW.organization_id, closer.lead_stage(NEW.organization_id, NEW.lead_id),
                                         NEW.lead_id, false, NULL, ARRAY['tag:' || NEW.tag], 1);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER lead_tags_maintain_filter_summary ON lead_tags;
CREATE TRIGGER lead_tags_maintain_filter_summary AFTER DELETE OR UPDATE OF tag, lead_id ON lead_tags
    FOR EACH ROW EXECUTE FUNCTION closer.lead_tags_maintain_filter_summary();
CREATE TRIGGER lead_tags_filter_summary_inserted AFTER INSERT ON lead_tags
    REFERENCING NEW TABLE AS new_tags FOR EACH STATEMENT EXECUTE FUNCTION closer.lead_tags_filter_summary_inserted();

-- 0032's import, the same but for its last steps: the statement that finds, creates and updates
-- the leads returns the outcome per row and the tags to add as arrays; the tags are inserted by
-- the next statement, then the outcomes returned.
CREATE OR REPLACE FUNCTION closer.import_leads(org uuid, batch jsonb, default_stage uuid, on_duplicate text)
    RETURNS TABLE (row_no integer, action text, lead_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
    -- 0019: the generic plan keeps the key indexes. JIT: the generic plan's cost passes
    -- jit_above_cost, and compiling its ~270 expressions cost 0.4 s of every 5,000-row batch.
    -- No sequential scans (0032): a plan made while `leads` is empty must not scan it later.
    SET plan_cache_mode = force_generic_plan SET jit = off SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
    me uuid := closer.current_profile_id();
    out_rows integer[];
    out_actions text[];
    out_leads uuid[];
    tag_leads uuid[];
    tag_texts text[];
BEGIN
    PERFORM closer.require_member(org);
    IF on_duplicate IS NULL OR on_duplicate NOT IN ('skip', 'update', 'create') THEN
        RAISE EXCEPTION 'on_duplicate must be skip, update or create' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(batch) IS DISTINCT FROM 'array' OR jsonb_array_length(batch) > 50000 THEN
        RAISE EXCEPTION 'an import batch is a JSON array of at most 50000 rows' USING ERRCODE = '22023';
    END IF;
    -- A plan is only as good as the table sizes it was made with. Until `leads` has statistics
    -- (a new database, before autovacuum's first ANALYZE) each batch is planned anew with the
    -- sizes of the moment (EXECUTE: the rows of earlier batches count), so the key indexes win;
    -- after that the cached generic plan of 0019 (the statistics spread any organization alike).
    IF (SELECT c.reltuples FROM pg_catalog.pg_class c WHERE c.oid = 'public.leads'::pg_catalog.regclass) < 10000 THEN
        -- The statement below, word for word (comments there), with $1 org, $2 batch,
        -- $3 default_stage, $4 on_duplicate, $5 me.
        EXECUTE $q$
    WITH input AS MATERIALIZED (
        SELECT r.*, lower(r.email) AS email_key,
               nullif(regexp_replace(coalesce(r.phone, ''), '[^0-9]', '', 'g'), '') AS phone_key
        FROM jsonb_to_recordset($2) AS r(
            row_no integer, id uuid, external_id text, name text, email text, phone text, mobile text,
            company text, job_title text, location text, industry text, stage_id uuid, owner uuid,
            source text, lead_source text, score integer, tags text[], last_contacted_at timestamptz,
            lost_reason text)
    ), keyed AS MATERIALIZED (
        SELECT array_agg(i.id) FILTER (WHERE i.id IS NOT NULL) AS ids,
               array_agg(i.external_id) FILTER (WHERE i.external_id IS NOT NULL) AS exts,
               array_agg(i.email_key) FILTER (WHERE i.email_key IS NOT NULL) AS emails,
               array_agg(i.phone_key) FILTER (WHERE i.phone_key IS NOT NULL) AS phones,
               array_agg(lower(i.name) COLLATE "C")
                   FILTER (WHERE i.email_key IS NULL AND i.phone_key IS NULL AND i.external_id IS NULL) AS names
        FROM input i
    ), by_id AS MATERIALIZED (
        SELECT l.id FROM keyed k JOIN public.leads l ON l.organization_id = $1 AND l.id = ANY (k.ids)
    ), by_external AS MATERIALIZED (
        SELECT l.external_lead_id AS key, l.id
        FROM keyed k JOIN public.leads l ON l.organization_id = $1 AND l.external_lead_id = ANY (k.exts)
    ), by_email AS MATERIALIZED (
        SELECT DISTINCT ON (lower(l.email)) lower(l.email) AS key, l.id
        FROM keyed k JOIN public.leads l ON l.organization_id = $1 AND lower(l.email) = ANY (k.emails)
        WHERE $4 <> 'create' AND l.email IS NOT NULL
        ORDER BY lower(l.email), l.created_at, l.id
    ), by_phone AS MATERIALIZED (
        SELECT DISTINCT ON (regexp_replace(l.phone, '[^0-9]', '', 'g')) regexp_replace(l.phone, '[^0-9]', '', 'g') AS key, l.id
        FROM keyed k JOIN public.leads l
            ON l.organization_id = $1 AND regexp_replace(l.phone, '[^0-9]', '', 'g') = ANY (k.phones)
        WHERE $4 <> 'create' AND l.phone IS NOT NULL
        ORDER BY regexp_replace(l.phone, '[^0-9]', '', 'g'), l.created_at, l.id
    ), by_name AS MATERIALIZED (
        SELECT DISTINCT ON (lower(l.name) COLLATE "C") (lower(l.name) COLLATE "C") AS key, l.id
        FROM keyed k JOIN public.leads l ON l.organization_id = $1 AND (lower(l.name) COLLATE "C") = ANY (k.names)
        WHERE $4 <> 'create' AND l.email IS NULL AND l.phone IS NULL
        ORDER BY lower(l.name) COLLATE "C", l.created_at, l.id
    ), matched AS MATERIALIZED (
        SELECT i.*, gen_random_uuid() AS new_id, coalesce(bi.id, be.id,
            CASE WHEN $4 <> 'create' THEN coalesce(bm.id, bp.id,
                CASE WHEN i.email_key IS NULL AND i.phone_key IS NULL AND i.external_id IS NULL THEN bn.id END) END)
            AS existing
        FROM input i
        LEFT JOIN by_id bi ON bi.id = i.id
        LEFT JOIN by_external be ON be.key = i.external_id
        LEFT JOIN by_email bm ON bm.key = i.email_key
        LEFT JOIN by_phone bp ON bp.key = i.phone_key
        LEFT JOIN by_name bn ON bn.key = (lower(i.name) COLLATE "C")
    ), ranked AS MATERIALIZED (
        SELECT m.*, CASE WHEN m.existing IS NULL THEN 1::bigint
                         ELSE row_number() OVER (PARTITION BY m.existing ORDER BY m.row_no) END AS nth,
               nullif(btrim(m.lost_reason), '') AS reason,
               coalesce(m.existing IS NULL AND ts.is_lost AND nullif(btrim(m.lost_reason), '') IS NULL, false) AS refused
        FROM matched m
        LEFT JOIN public.pipeline_stages ts ON ts.organization_id = $1 AND ts.id = coalesce(m.stage_id, $3)
    ), file_tags AS MATERIALIZED (
        SELECT r.row_no, coalesce(r.existing, r.new_id) AS lead, btrim(u.tag) AS tag, u.ord
        FROM ranked r CROSS JOIN LATERAL unnest(r.tags) WITH ORDINALITY AS u(tag, ord)
        WHERE btrim(u.tag) <> ''
    ), org_tags AS MATERIALIZED (
        SELECT DISTINCT ON (lower(t.tag)) lower(t.tag) AS key, t.tag
        FROM public.lead_tags t
        WHERE t.organization_id = $1 AND lower(t.tag) IN (SELECT lower(f.tag) FROM file_tags f)
        ORDER BY lower(t.tag), t.created_at, t.tag
    ), spelled AS MATERIALIZED (
        SELECT DISTINCT ON (lower(f.tag)) lower(f.tag) AS key, coalesce(o.tag, f.tag) AS tag
        FROM file_tags f LEFT JOIN org_tags o ON o.key = lower(f.tag)
        ORDER BY lower(f.tag), f.row_no, f.ord
    ), held_tags AS MATERIALIZED (
        SELECT t.lead_id, lower(t.tag) AS key
        FROM (SELECT array_agg(DISTINCT r.existing) AS leads FROM ranked r WHERE r.existing IS NOT NULL) k
        JOIN public.lead_tags t ON t.organization_id = $1 AND t.lead_id = ANY (k.leads)
    ), new_tags AS MATERIALIZED (
        SELECT DISTINCT f.lead, s.tag
        FROM file_tags f JOIN spelled s ON s.key = lower(f.tag) JOIN ranked r ON r.row_no = f.row_no
        WHERE ((r.existing IS NULL AND NOT r.refused) OR ($4 = 'update' AND r.nth = 1))
          AND NOT EXISTS (SELECT 1 FROM held_tags h WHERE h.lead_id = f.lead AND h.key = s.key)
    ), created AS (
        INSERT INTO public.leads (id, organization_id, stage_id, name, email, phone, mobile, assigned_to, source,
                                  lead_source, external_lead_id, score, last_contacted_at, lost_reason, created_by)
        SELECT r.new_id, $1, s.id, r.name, r.email, r.phone, r.mobile,
               coalesce(r.owner, $5), r.source, r.lead_source, r.external_id,
               coalesce(r.score, 0), r.last_contacted_at, CASE WHEN s.is_lost THEN r.reason END, $5
        FROM ranked r JOIN public.pipeline_stages s ON s.organization_id = $1 AND s.id = coalesce(r.stage_id, $3)
        WHERE r.existing IS NULL AND NOT r.refused
        RETURNING id, name, stage_id
    ), created_profiles AS (
        INSERT INTO public.lead_profiles (organization_id, lead_id, company, job_title, location, industry)
        SELECT $1, c.id, r.company, r.job_title, r.location, r.industry
        FROM created c JOIN ranked r ON r.new_id = c.id
    ), created_activities AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, created_by, content)
        SELECT $1, c.id, 'lead_created', $5, jsonb_build_object('name', c.name, 'stage_id', c.stage_id, 'stage', s.name,
               'source', 'import')
        FROM created c JOIN public.pipeline_stages s ON s.organization_id = $1 AND s.id = c.stage_id
    ), wanted AS MATERIALIZED (
        SELECT l.id, coalesce(r.name, l.name) AS name, coalesce(r.email, l.email) AS email,
               coalesce(r.phone, l.phone) AS phone, coalesce(r.mobile, l.mobile) AS mobile,
               coalesce(r.stage_id, l.stage_id) AS stage_id, coalesce(r.owner, l.assigned_to) AS assigned_to,
               coalesce(r.source, l.source) AS source, coalesce(r.lead_source, l.lead_source) AS lead_source,
               coalesce(r.external_id, l.external_lead_id) AS external_id, coalesce(r.score, l.score) AS score,
               coalesce(r.last_contacted_at, l.last_contacted_at) AS last_contacted_at,
               CASE WHEN ns.is_lost THEN coalesce(r.reason, l.lost_reason)
                    WHEN ns.id = l.stage_id THEN l.lost_reason END AS lost_reason,
               ns.id IS NULL OR (ns.is_lost AND ns.id <> l.stage_id AND coalesce(r.reason, l.lost_reason) IS NULL)
                   AS refused,
               coalesce(r.company, p.company) AS company, coalesce(r.job_title, p.job_title) AS job_title,
               coalesce(r.location, p.location) AS location, coalesce(r.industry, p.industry) AS industry,
               array_remove(ARRAY[
                   CASE WHEN r.name IS NOT NULL AND r.name IS DISTINCT FROM l.name THEN 'name' END,
                   CASE WHEN r.email IS NOT NULL AND r.email IS DISTINCT FROM l.email THEN 'email' END,
                   CASE WHEN r.phone IS NOT NULL AND r.phone IS DISTINCT FROM l.phone THEN 'phone' END,
                   CASE WHEN r.mobile IS NOT NULL AND r.mobile IS DISTINCT FROM l.mobile THEN 'mobile' END,
                   CASE WHEN r.stage_id IS NOT NULL AND r.stage_id IS DISTINCT FROM l.stage_id THEN 'stage' END,
                   CASE WHEN r.owner IS NOT NULL AND r.owner IS DISTINCT FROM l.assigned_to THEN 'assigned_to' END,
                   CASE WHEN r.source IS NOT NULL AND r.source IS DISTINCT FROM l.source THEN 'source' END,
                   CASE WHEN r.lead_source IS NOT NULL AND r.lead_source IS DISTINCT FROM l.lead_source THEN 'lead_source' END,
                   CASE WHEN r.external_id IS NOT NULL AND r.external_id IS DISTINCT FROM l.external_lead_id THEN 'external_id' END,
                   CASE WHEN r.score IS NOT NULL AND r.score IS DISTINCT FROM l.score THEN 'score' END,
                   CASE WHEN r.last_contacted_at IS NOT NULL AND r.last_contacted_at IS DISTINCT FROM l.last_contacted_at
                        THEN 'last_contacted_at' END,
                   CASE WHEN r.company IS NOT NULL AND r.company IS DISTINCT FROM p.company THEN 'company' END,
                   CASE WHEN r.job_title IS NOT NULL AND r.job_title IS DISTINCT FROM p.job_title THEN 'job_title' END,
                   CASE WHEN r.location IS NOT NULL AND r.location IS DISTINCT FROM p.location THEN 'location' END,
                   CASE WHEN r.industry IS NOT NULL AND r.industry IS DISTINCT FROM p.industry THEN 'industry' END,
                   CASE WHEN (CASE WHEN ns.is_lost THEN coalesce(r.reason, l.lost_reason)
                                   WHEN ns.id = l.stage_id THEN l.lost_reason END) IS DISTINCT FROM l.lost_reason
                        THEN 'lost_reason' END,
                   CASE WHEN nt.lead IS NOT NULL THEN 'tags' END
               ], NULL) AS fields
        FROM ranked r
        JOIN public.leads l ON l.organization_id = $1 AND l.id = r.existing
        LEFT JOIN public.pipeline_stages ns ON ns.organization_id = $1 AND ns.id = coalesce(r.stage_id, l.stage_id)
        LEFT JOIN public.lead_profiles p ON p.organization_id = $1 AND p.lead_id = l.id
        LEFT JOIN (SELECT DISTINCT n.lead FROM new_tags n) nt ON nt.lead = l.id
        WHERE $4 = 'update' AND r.nth = 1
    ), updated AS (
        UPDATE public.leads l SET name = w.name, email = w.email, phone = w.phone, mobile = w.mobile,
               stage_id = w.stage_id, assigned_to = w.assigned_to, source = w.source, lead_source = w.lead_source,
               external_lead_id = w.external_id, score = w.score, last_contacted_at = w.last_contacted_at,
               lost_reason = w.lost_reason
        FROM wanted w
        WHERE l.organization_id = $1 AND l.id = w.id AND cardinality(w.fields) > 0 AND NOT w.refused
        RETURNING l.id
    ), updated_profiles AS (
        INSERT INTO public.lead_profiles AS p (organization_id, lead_id, company, job_title, location, industry)
        SELECT $1, w.id, w.company, w.job_title, w.location, w.industry FROM wanted w
        WHERE w.fields && ARRAY['company', 'job_title', 'location', 'industry'] AND NOT w.refused
        ON CONFLICT (organization_id, lead_id) DO UPDATE SET company = excluded.company,
            job_title = excluded.job_title, location = excluded.location, industry = excluded.industry
    ), updated_activities AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, created_by, content)
        SELECT $1, w.id, 'lead_updated', $5, jsonb_build_object('fields', to_jsonb(w.fields), 'source', 'import')
        FROM wanted w WHERE cardinality(w.fields) > 0 AND NOT w.refused
    ), outcome AS MATERIALIZED (
        SELECT r.row_no,
               CASE WHEN r.existing IS NULL THEN CASE WHEN c.id IS NOT NULL THEN 'created' ELSE 'rejected' END
                    WHEN r.nth > 1 OR $4 <> 'update' THEN 'skipped'
                    WHEN w.refused THEN 'rejected'
                    WHEN cardinality(w.fields) > 0 THEN 'updated'
                    ELSE 'unchanged' END AS action,
               coalesce(r.existing, r.new_id) AS lead
        FROM ranked r
        LEFT JOIN created c ON c.id = r.new_id
        LEFT JOIN wanted w ON w.id = r.existing AND r.nth = 1
    ), to_tag AS MATERIALIZED (
        SELECT n.lead, n.tag FROM new_tags n
        WHERE n.lead IN (SELECT c.id FROM created c) OR n.lead IN (SELECT w.id FROM wanted w WHERE NOT w.refused)
    )
    SELECT o.row_nos, o.actions, o.leads, t.leads, t.tags
    FROM (SELECT array_agg(o.row_no ORDER BY o.row_no) AS row_nos, array_agg(o.action ORDER BY o.row_no) AS actions,
                 array_agg(o.lead ORDER BY o.row_no) AS leads FROM outcome o) o,
         (SELECT array_agg(t.lead ORDER BY t.lead, t.tag) AS leads, array_agg(t.tag ORDER BY t.lead, t.tag) AS tags
          FROM to_tag t) t
    $q$ INTO out_rows, out_actions, out_leads, tag_leads, tag_texts USING org, batch, default_stage, on_duplicate, me;
    ELSE
        WITH input AS MATERIALIZED (
            SELECT r.*, lower(r.email) AS email_key,
                   nullif(regexp_replace(coalesce(r.phone, ''), '[^0-9]', '', 'g'), '') AS phone_key
            FROM jsonb_to_recordset(batch) AS r(
                row_no integer, id uuid, external_id text, name text, email text, phone text, mobile text,
                company text, job_title text, location text, industry text, stage_id uuid, owner uuid,
                source text, lead_source text, score integer, tags text[], last_contacted_at timestamptz,
                lost_reason text)
        ), keyed AS MATERIALIZED (
            -- The batch's keys as arrays: each lookup below is ONE index scan per batch, not one per
            -- row, so whichever index the plan picks it reads the organization at most once per batch.
            SELECT array_agg(i.id) FILTER (WHERE i.id IS NOT NULL) AS ids,
                   array_agg(i.external_id) FILTER (WHERE i.external_id IS NOT NULL) AS exts,
                   array_agg(i.email_key) FILTER (WHERE i.email_key IS NOT NULL) AS emails,
                   array_agg(i.phone_key) FILTER (WHERE i.phone_key IS NOT NULL) AS phones,
                   array_agg(lower(i.name) COLLATE "C")
                       FILTER (WHERE i.email_key IS NULL AND i.phone_key IS NULL AND i.external_id IS NULL) AS names
            FROM input i
        ), by_id AS MATERIALIZED (
            SELECT l.id FROM keyed k JOIN public.leads l ON l.organization_id = org AND l.id = ANY (k.ids)
        ), by_external AS MATERIALIZED (
            SELECT l.external_lead_id AS key, l.id
            FROM keyed k JOIN public.leads l ON l.organization_id = org AND l.external_lead_id = ANY (k.exts)
        ), by_email AS MATERIALIZED (
            -- The earliest lead with the key wins, as before.
            SELECT DISTINCT ON (lower(l.email)) lower(l.email) AS key, l.id
            FROM keyed k JOIN public.leads l ON l.organization_id = org AND lower(l.email) = ANY (k.emails)
            WHERE on_duplicate <> 'create' AND l.email IS NOT NULL
            ORDER BY lower(l.email), l.created_at, l.id
        ), by_phone AS MATERIALIZED (
            SELECT DISTINCT ON (regexp_replace(l.phone, '[^0-9]', '', 'g')) regexp_replace(l.phone, '[^0-9]', '', 'g') AS key, l.id
            FROM keyed k JOIN public.leads l
                ON l.organization_id = org AND regexp_replace(l.phone, '[^0-9]', '', 'g') = ANY (k.phones)
            WHERE on_duplicate <> 'create' AND l.phone IS NOT NULL
            ORDER BY regexp_replace(l.phone, '[^0-9]', '', 'g'), l.created_at, l.id
        ), by_name AS MATERIALIZED (
            SELECT DISTINCT ON (lower(l.name) COLLATE "C") (lower(l.name) COLLATE "C") AS key, l.id
            FROM keyed k JOIN public.leads l ON l.organization_id = org AND (lower(l.name) COLLATE "C") = ANY (k.names)
            WHERE on_duplicate <> 'create' AND l.email IS NULL AND l.phone IS NULL
            ORDER BY lower(l.name) COLLATE "C", l.created_at, l.id
        ), matched AS MATERIALIZED (
            -- Joins of CTEs (hashed), not a correlated lookup per row.
            SELECT i.*, gen_random_uuid() AS new_id, coalesce(bi.id, be.id,
                CASE WHEN on_duplicate <> 'create' THEN coalesce(bm.id, bp.id,
                    CASE WHEN i.email_key IS NULL AND i.phone_key IS NULL AND i.external_id IS NULL THEN bn.id END) END)
                AS existing
            FROM input i
            LEFT JOIN by_id bi ON bi.id = i.id
            LEFT JOIN by_external be ON be.key = i.external_id
            LEFT JOIN by_email bm ON bm.key = i.email_key
            LEFT JOIN by_phone bp ON bp.key = i.phone_key
            LEFT JOIN by_name bn ON bn.key = (lower(i.name) COLLATE "C")
        ), ranked AS MATERIALIZED (
            SELECT m.*, CASE WHEN m.existing IS NULL THEN 1::bigint
                             ELSE row_number() OVER (PARTITION BY m.existing ORDER BY m.row_no) END AS nth,
                   nullif(btrim(m.lost_reason), '') AS reason,
                   -- A new lead in a lost stage needs its reason (the insert trigger would refuse
                   -- the whole batch): such a row is reported as rejected instead.
                   coalesce(m.existing IS NULL AND ts.is_lost AND nullif(btrim(m.lost_reason), '') IS NULL, false) AS refused
            FROM matched m
            LEFT JOIN public.pipeline_stages ts ON ts.organization_id = org AND ts.id = coalesce(m.stage_id, default_stage)
        ), file_tags AS MATERIALIZED (
            SELECT r.row_no, coalesce(r.existing, r.new_id) AS lead, btrim(u.tag) AS tag, u.ord
            FROM ranked r CROSS JOIN LATERAL unnest(r.tags) WITH ORDINALITY AS u(tag, ord)
            WHERE btrim(u.tag) <> ''
        ), org_tags AS MATERIALIZED (
            SELECT DISTINCT ON (lower(t.tag)) lower(t.tag) AS key, t.tag
            FROM public.lead_tags t
            WHERE t.organization_id = org AND lower(t.tag) IN (SELECT lower(f.tag) FROM file_tags f)
            ORDER BY lower(t.tag), t.created_at, t.tag
        ), spelled AS MATERIALIZED (
            SELECT DISTINCT ON (lower(f.tag)) lower(f.tag) AS key, coalesce(o.tag, f.tag) AS tag
            FROM file_tags f LEFT JOIN org_tags o ON o.key = lower(f.tag)
            ORDER BY lower(f.tag), f.row_no, f.ord
        ), held_tags AS MATERIALIZED (
            -- The tags the batch's existing leads already have (new leads have none), read once.
            SELECT t.lead_id, lower(t.tag) AS key
            FROM (SELECT array_agg(DISTINCT r.existing) AS leads FROM ranked r WHERE r.existing IS NOT NULL) k
            JOIN public.lead_tags t ON t.organization_id = org AND t.lead_id = ANY (k.leads)
        ), new_tags AS MATERIALIZED (
            SELECT DISTINCT f.lead, s.tag
            FROM file_tags f JOIN spelled s ON s.key = lower(f.tag) JOIN ranked r ON r.row_no = f.row_no
            WHERE ((r.existing IS NULL AND NOT r.refused) OR (on_duplicate = 'update' AND r.nth = 1))
              AND NOT EXISTS (SELECT 1 FROM held_tags h WHERE h.lead_id = f.lead AND h.key = s.key)
        ), created AS (
            INSERT INTO public.leads (id, organization_id, stage_id, name, email, phone, mobile, assigned_to, source,
                                      lead_source, external_lead_id, score, last_contacted_at, lost_reason, created_by)
            SELECT r.new_id, org, s.id, r.name, r.email, r.phone, r.mobile,
                   coalesce(r.owner, me), r.source, r.lead_source, r.external_id,
                   coalesce(r.score, 0), r.last_contacted_at, CASE WHEN s.is_lost THEN r.reason END, me
            FROM ranked r JOIN public.pipeline_stages s ON s.organization_id = org AND s.id = coalesce(r.stage_id, default_stage)
            WHERE r.existing IS NULL AND NOT r.refused
            RETURNING id, name, stage_id
        ), created_profiles AS (
            INSERT INTO public.lead_profiles (organization_id, lead_id, company, job_title, location, industry)
            SELECT org, c.id, r.company, r.job_title, r.location, r.industry
            FROM created c JOIN ranked r ON r.new_id = c.id
        ), created_activities AS (
            INSERT INTO public.lead_activities (organization_id, lead_id, type, created_by, content)
            SELECT org, c.id, 'lead_created', me, jsonb_build_object('name', c.name, 'stage_id', c.stage_id, 'stage', s.name,
                   'source', 'import')
            FROM created c JOIN public.pipeline_stages s ON s.organization_id = org AND s.id = c.stage_id
        ), wanted AS MATERIALIZED (
            SELECT l.id, coalesce(r.name, l.name) AS name, coalesce(r.email, l.email) AS email,
                   coalesce(r.phone, l.phone) AS phone, coalesce(r.mobile, l.mobile) AS mobile,
                   coalesce(r.stage_id, l.stage_id) AS stage_id, coalesce(r.owner, l.assigned_to) AS assigned_to,
                   coalesce(r.source, l.source) AS source, coalesce(r.lead_source, l.lead_source) AS lead_source,
                   coalesce(r.external_id, l.external_lead_id) AS external_id, coalesce(r.score, l.score) AS score,
                   coalesce(r.last_contacted_at, l.last_contacted_at) AS last_contacted_at,
                   -- The reason stays with a lost lead: kept or replaced in a lost stage, gone when the
                   -- lead leaves it (as closing does), untouched while the stage stays.
                   CASE WHEN ns.is_lost THEN coalesce(r.reason, l.lost_reason)
                        WHEN ns.id = l.stage_id THEN l.lost_reason END AS lost_reason,
                   -- Moved into a lost stage without a reason, or into a stage that is gone: rejected.
                   ns.id IS NULL OR (ns.is_lost AND ns.id <> l.stage_id AND coalesce(r.reason, l.lost_reason) IS NULL)
                       AS refused,
                   coalesce(r.company, p.company) AS company, coalesce(r.job_title, p.job_title) AS job_title,
                   coalesce(r.location, p.location) AS location, coalesce(r.industry, p.industry) AS industry,
                   array_remove(ARRAY[
                       CASE WHEN r.name IS NOT NULL AND r.name IS DISTINCT FROM l.name THEN 'name' END,
                       CASE WHEN r.email IS NOT NULL AND r.email IS DISTINCT FROM l.email THEN 'email' END,
                       CASE WHEN r.phone IS NOT NULL AND r.phone IS DISTINCT FROM l.phone THEN 'phone' END,
                       CASE WHEN r.mobile IS NOT NULL AND r.mobile IS DISTINCT FROM l.mobile THEN 'mobile' END,
                       CASE WHEN r.stage_id IS NOT NULL AND r.stage_id IS DISTINCT FROM l.stage_id THEN 'stage' END,
                       CASE WHEN r.owner IS NOT NULL AND r.owner IS DISTINCT FROM l.assigned_to THEN 'assigned_to' END,
                       CASE WHEN r.source IS NOT NULL AND r.source IS DISTINCT FROM l.source THEN 'source' END,
                       CASE WHEN r.lead_source IS NOT NULL AND r.lead_source IS DISTINCT FROM l.lead_source THEN 'lead_source' END,
                       CASE WHEN r.external_id IS NOT NULL AND r.external_id IS DISTINCT FROM l.external_lead_id THEN 'external_id' END,
                       CASE WHEN r.score IS NOT NULL AND r.score IS DISTINCT FROM l.score THEN 'score' END,
                       CASE WHEN r.last_contacted_at IS NOT NULL AND r.last_contacted_at IS DISTINCT FROM l.last_contacted_at
                            THEN 'last_contacted_at' END,
                       CASE WHEN r.company IS NOT NULL AND r.company IS DISTINCT FROM p.company THEN 'company' END,
                       CASE WHEN r.job_title IS NOT NULL AND r.job_title IS DISTINCT FROM p.job_title THEN 'job_title' END,
                       CASE WHEN r.location IS NOT NULL AND r.location IS DISTINCT FROM p.location THEN 'location' END,
                       CASE WHEN r.industry IS NOT NULL AND r.industry IS DISTINCT FROM p.industry THEN 'industry' END,
                       CASE WHEN (CASE WHEN ns.is_lost THEN coalesce(r.reason, l.lost_reason)
                                       WHEN ns.id = l.stage_id THEN l.lost_reason END) IS DISTINCT FROM l.lost_reason
                            THEN 'lost_reason' END,
                       CASE WHEN nt.lead IS NOT NULL THEN 'tags' END
                   ], NULL) AS fields
            FROM ranked r
            JOIN public.leads l ON l.organization_id = org AND l.id = r.existing
            LEFT JOIN public.pipeline_stages ns ON ns.organization_id = org AND ns.id = coalesce(r.stage_id, l.stage_id)
            LEFT JOIN public.lead_profiles p ON p.organization_id = org AND p.lead_id = l.id
            LEFT JOIN (SELECT DISTINCT n.lead FROM new_tags n) nt ON nt.lead = l.id
            WHERE on_duplicate = 'update' AND r.nth = 1
        ), updated AS (
            UPDATE public.leads l SET name = w.name, email = w.email, phone = w.phone, mobile = w.mobile,
                   stage_id = w.stage_id, assigned_to = w.assigned_to, source = w.source, lead_source = w.lead_source,
                   external_lead_id = w.external_id, score = w.score, last_contacted_at = w.last_contacted_at,
                   lost_reason = w.lost_reason
            FROM wanted w
            WHERE l.organization_id = org AND l.id = w.id AND cardinality(w.fields) > 0 AND NOT w.refused
            RETURNING l.id
        ), updated_profiles AS (
            INSERT INTO public.lead_profiles AS p (organization_id, lead_id, company, job_title, location, industry)
            SELECT org, w.id, w.company, w.job_title, w.location, w.industry FROM wanted w
            WHERE w.fields && ARRAY['company', 'job_title', 'location', 'industry'] AND NOT w.refused
            ON CONFLICT (organization_id, lead_id) DO UPDATE SET company = excluded.company,
                job_title = excluded.job_title, location = excluded.location, industry = excluded.industry
        ), updated_activities AS (
            INSERT INTO public.lead_activities (organization_id, lead_id, type, created_by, content)
            SELECT org, w.id, 'lead_updated', me, jsonb_build_object('fields', to_jsonb(w.fields), 'source', 'import')
            FROM wanted w WHERE cardinality(w.fields) > 0 AND NOT w.refused
        ), outcome AS MATERIALIZED (
            -- Joins, not EXISTS per row: a CTE has no index, so a correlated lookup scans it every time.
            SELECT r.row_no,
                   CASE WHEN r.existing IS NULL THEN CASE WHEN c.id IS NOT NULL THEN 'created' ELSE 'rejected' END
                        WHEN r.nth > 1 OR on_duplicate <> 'update' THEN 'skipped'
                        WHEN w.refused THEN 'rejected'
                        WHEN cardinality(w.fields) > 0 THEN 'updated'
                        ELSE 'unchanged' END AS action,
                   coalesce(r.existing, r.new_id) AS lead
            FROM ranked r
            LEFT JOIN created c ON c.id = r.new_id
            LEFT JOIN wanted w ON w.id = r.existing AND r.nth = 1
        ), to_tag AS MATERIALIZED (
            -- The tags of the leads written: inserted by the next statement (0044).
            SELECT n.lead, n.tag FROM new_tags n
            WHERE n.lead IN (SELECT c.id FROM created c) OR n.lead IN (SELECT w.id FROM wanted w WHERE NOT w.refused)
        )
        SELECT o.row_nos, o.actions, o.leads, t.leads, t.tags
        INTO out_rows, out_actions, out_leads, tag_leads, tag_texts
        FROM (SELECT array_agg(o.row_no ORDER BY o.row_no) AS row_nos, array_agg(o.action ORDER BY o.row_no) AS actions,
                     array_agg(o.lead ORDER BY o.row_no) AS leads FROM outcome o) o,
             (SELECT array_agg(t.lead ORDER BY t.lead, t.tag) AS leads, array_agg(t.tag ORDER BY t.lead, t.tag) AS tags
              FROM to_tag t) t;
    END IF;
    -- The tags, in their own statement after the leads' (0044): a lead moved above has had its
    -- move counted (its tags so far went along), and the statement trigger counts these tags
    -- once, in the stage the lead is in now.
    INSERT INTO public.lead_tags (organization_id, lead_id, tag)
    SELECT org, t.lead, t.tag FROM unnest(tag_leads, tag_texts) AS t(lead, tag)
    ON CONFLICT DO NOTHING;
    RETURN QUERY SELECT o.row_no, o.action, o.lead_id FROM unnest(out_rows, out_actions, out_leads) AS o(row_no, action, lead_id);
END $$;

REVOKE EXECUTE ON FUNCTION closer.import_leads(uuid, jsonb, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.import_leads(uuid, jsonb, uuid, text) TO closer_member;

RESET ROLE;
