-- A tag's spelling from one index probe (issues 12, 14, 16: no work proportional to the whole
-- organization per action). Adding a tag uses the organization's spelling of it, its earliest
-- row (0007): closer.add_tag, closer.bulk_tag and every batch of closer.import_leads read
-- every row of the tag to find it. At 1M leads one `vip` on one lead read 200k rows through
-- 10k heap pages (~100 ms); each 2,000-row import batch sorted all the organization's tags of
-- the batch (~100 ms a batch at 100k leads, on disk, and growing with the organization).
--
-- 0007's (organization_id, lower(tag)) gains the order of that rule, (created_at, id), and the
-- spelling itself: the first entry of a key is the answer. Same leading keys as before, so no
-- new oracle, and still one index here per tag write. The three ask `ORDER BY lower(tag),
-- created_at, id LIMIT 1`: under forced row security `lower(tag) = x` is a leaky qual, so the
-- planner does not treat the key as fixed and would sort the whole key for `ORDER BY
-- created_at, id` (as add_tag and bulk_tag asked); naming the key keeps the index's order.
-- The import asked by (created_at, tag) over every row and now asks like them, one probe per
-- tag of the batch (0044's function, that CTE and 0053's setting in its header the only
-- changes).
SET LOCAL ROLE closer_owner;

CREATE INDEX lead_tags_spelling_idx ON lead_tags (organization_id, lower(tag), created_at, id) INCLUDE (tag);
DROP INDEX lead_tags_lower_idx;

-- 0007's and 0015's, the spelling's ORDER BY the only change.
CREATE OR REPLACE FUNCTION closer.add_tag(org uuid, lead uuid, tag text, color text)
    RETURNS TABLE (id uuid, tag text, color text)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH lead AS (
        SELECT l.id FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2
    ), spelling AS (
        SELECT coalesce((SELECT g.tag FROM public.lead_tags g
                         WHERE g.organization_id = $1 AND lower(g.tag) = lower($3)
                         ORDER BY lower(g.tag), g.created_at, g.id LIMIT 1), $3) AS tag
    ), before AS (
        SELECT g.color FROM public.lead_tags g
        WHERE g.organization_id = $1 AND g.lead_id = $2 AND lower(g.tag) = lower($3)
    ), tagged AS (
        INSERT INTO public.lead_tags (organization_id, lead_id, tag, color)
        SELECT $1, lead.id, spelling.tag, $4 FROM lead, spelling
        ON CONFLICT (organization_id, lead_id, lower(tag)) DO UPDATE SET color = excluded.color
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

CREATE OR REPLACE FUNCTION closer.bulk_tag(org uuid, items jsonb, new_tag text, new_color text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    spelled text;
    undo jsonb;
BEGIN
    PERFORM closer.require_member(org);
    IF nullif(btrim(new_tag), '') IS NULL THEN
        RAISE EXCEPTION 'Type a tag to add' USING ERRCODE = 'CL422';
    END IF;
    PERFORM closer.bulk_lock(org, items);
    spelled := coalesce((SELECT g.tag FROM public.lead_tags g
                         WHERE g.organization_id = org AND lower(g.tag) = lower(btrim(new_tag))
                         ORDER BY lower(g.tag), g.created_at, g.id LIMIT 1), btrim(new_tag));
    WITH tagged AS (
        INSERT INTO public.lead_tags AS g (organization_id, lead_id, tag, color)
        SELECT org, l.id, spelled, new_color FROM public.leads l
        WHERE l.organization_id = org AND l.id IN (SELECT i.id FROM jsonb_to_recordset(items) AS i (id uuid))
        ON CONFLICT (organization_id, lead_id, lower(tag)) DO NOTHING
        RETURNING g.id, g.lead_id, g.tag, g.color
    ), logged AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT org, t.lead_id, 'tag_added', jsonb_build_object('tag', t.tag, 'color', t.color, 'from_color', NULL, 'bulk', true)
        FROM tagged t
    )
    SELECT jsonb_build_object('kind', 'tag', 'tag', spelled, 'leads',
           coalesce(jsonb_agg(jsonb_build_object('id', t.lead_id, 'tag_id', t.id) ORDER BY t.lead_id), '[]'))
    INTO undo FROM tagged t;
    RETURN undo;
END $$;

CREATE OR REPLACE FUNCTION closer.import_leads(org uuid, batch jsonb, default_stage uuid, on_duplicate text)
    RETURNS TABLE (row_no integer, action text, lead_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
    -- 0019: the generic plan keeps the key indexes. JIT: the generic plan's cost passes
    -- jit_above_cost, and compiling its ~270 expressions cost 0.4 s of every 5,000-row batch.
    -- No sequential scans (0032): a plan made while `leads` is empty must not scan it later.
    SET plan_cache_mode = force_generic_plan SET jit = off SET enable_seqscan = off
    -- 0053: the key lookups by their B-tree indexes, never a bitmap of a trigram index.
    SET enable_bitmapscan = off
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
        SELECT k.key, s.tag
        FROM (SELECT DISTINCT lower(f.tag) AS key FROM file_tags f) k
        CROSS JOIN LATERAL (SELECT t.tag FROM public.lead_tags t
                            WHERE t.organization_id = $1 AND lower(t.tag) = k.key
                            ORDER BY lower(t.tag), t.created_at, t.id LIMIT 1) s
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
            -- The organization's spelling of each of the batch's tags, as closer.add_tag picks
            -- it: one probe of lead_tags_spelling_idx per tag (0064), not every tag row.
            SELECT k.key, s.tag
            FROM (SELECT DISTINCT lower(f.tag) AS key FROM file_tags f) k
            CROSS JOIN LATERAL (SELECT t.tag FROM public.lead_tags t
                                WHERE t.organization_id = org AND lower(t.tag) = k.key
                                ORDER BY lower(t.tag), t.created_at, t.id LIMIT 1) s
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
