-- Find and focus (issue 12): search that finds what people type, and saved views.
SET LOCAL ROLE closer_owner;

-- ---------------------------------------------------------------------------
-- 1. Search indexes nobody but `closer_search` can use.
--
-- Every index a member can scan is a yes/no oracle for other organizations' values (EXPLAIN
-- ANALYZE counts the rows RLS removed after the index answered). These indexes are built on
-- expressions over functions in `closer_find`, a schema members have no USAGE on: a member's
-- query cannot even name the expression, so the planner can never pick these indexes for them,
-- and EXPLAIN fails before planning. Only `closer.find_leads` (owned by `closer_search`, which
-- filters to the caller's organization) reads through them.
--
-- The GIN (trigram/full-text) indexes cannot lead with organization_id without btree_gin, whose
-- uuid posting list for a 1M-lead organization would be intersected on every search; they are
-- unusable by members, so leading with it would close no oracle. The btree ones lead with it.
-- ---------------------------------------------------------------------------
CREATE SCHEMA closer_find;
REVOKE ALL ON SCHEMA closer_find FROM PUBLIC;
GRANT USAGE ON SCHEMA closer_find TO closer_search;

-- Trusted extension (PostgreSQL 13+): the database owner group may create it.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA closer_find;
-- levenshtein_less_equal: "one typo" in a name word.
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch SCHEMA closer_find;

-- unaccent(regdictionary, text) is only STABLE (the dictionary could change); pinned to one
-- dictionary it is immutable, as an index expression must be. The wrapper over the same C
-- entry point is declared IMMUTABLE so that `fold` (SQL-standard body, bound at creation, no
-- search_path) is inlined: a SQL function that calls a STABLE one is not, and then costs a
-- function-executor call per row (24 ms for 320 names here). C functions need a superuser.
RESET ROLE;
CREATE FUNCTION closer_find.unaccent_immutable(regdictionary, text) RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS '$libdir/unaccent', 'unaccent_dict';
ALTER FUNCTION closer_find.unaccent_immutable(regdictionary, text) OWNER TO closer_owner;
SET LOCAL ROLE closer_owner;

CREATE FUNCTION closer_find.fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(closer_find.unaccent_immutable('closer_find.unaccent'::regdictionary, t));

CREATE FUNCTION closer_find.digits(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN regexp_replace(t, '[^0-9]', '', 'g');

-- Words of a note for full-text search: folded, language-neutral ('simple': no stemming, the
-- notes are in many languages), the first 100,000 characters (a tsvector is at most 1 MB).
CREATE FUNCTION closer_find.doc(a text, b text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('pg_catalog.simple'::regconfig,
                       closer_find.fold(coalesce(a, '') || ' ' || left(coalesce(b, ''), 100000)));

-- EXECUTE stays with PUBLIC: whoever writes the indexed tables (the owner inside the write
-- functions, the admin tool, a superuser) evaluates these in index maintenance. It opens
-- nothing: without USAGE on `closer_find` a member cannot name them in SQL.
GRANT EXECUTE ON FUNCTION closer_find.fold(text), closer_find.digits(text), closer_find.doc(text, text),
    closer_find.unaccent_immutable(regdictionary, text) TO PUBLIC;

CREATE INDEX leads_find_name_prefix_idx ON leads
    (organization_id, (closer_find.fold(name) COLLATE "C"), id);
CREATE INDEX leads_find_name_trgm_idx ON leads USING gin (closer_find.fold(name) public.gin_trgm_ops);
CREATE INDEX leads_find_phone_trgm_idx ON leads USING gin (closer_find.digits(phone) public.gin_trgm_ops)
    WHERE phone IS NOT NULL;
CREATE INDEX lead_profiles_find_company_trgm_idx ON lead_profiles
    USING gin (closer_find.fold(company) public.gin_trgm_ops);
CREATE INDEX lead_tags_find_idx ON lead_tags
    (organization_id, (closer_find.fold(tag) COLLATE "C"), lead_id);
CREATE INDEX lead_interactions_find_idx ON lead_interactions
    USING gin (closer_find.doc(subject, content));
CREATE INDEX lead_tasks_find_idx ON lead_tasks
    USING gin (closer_find.doc(title, description));

-- ---------------------------------------------------------------------------
-- 3. Saved views: a person's named filters (the text of the filter language, parsed by the
-- client), private, or shared with the organization by a manager (read-only for the others).
-- Members read through RLS; every write goes through the functions below, which only ever
-- touch the caller's own views.
-- ---------------------------------------------------------------------------
CREATE TABLE saved_views (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id uuid NOT NULL,
    name text NOT NULL CONSTRAINT closer_size_name_100 CHECK (length(name) <= 100),
    filter text NOT NULL DEFAULT '' CONSTRAINT closer_size_filter_2000 CHECK (length(filter) <= 2000),
    sort text NOT NULL DEFAULT 'score' CONSTRAINT closer_size_sort_20 CHECK (length(sort) <= 20),
    descending boolean NOT NULL DEFAULT true,
    pipeline_id uuid,
    shared boolean NOT NULL DEFAULT false,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (length(btrim(name)) >= 1),
    CHECK (sort IN ('score', 'last contact', 'newest')),
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, owner_id, name),
    FOREIGN KEY (organization_id, owner_id) REFERENCES organization_members (organization_id, profile_id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, pipeline_id) REFERENCES pipelines (organization_id, id) ON DELETE SET NULL (pipeline_id)
);
CREATE UNIQUE INDEX saved_views_one_default_idx ON saved_views (organization_id, owner_id) WHERE is_default;
CREATE INDEX saved_views_pipeline_idx ON saved_views (organization_id, pipeline_id);

ALTER TABLE saved_views ENABLE ROW LEVEL SECURITY;
ALTER TABLE saved_views FORCE ROW LEVEL SECURITY;
GRANT SELECT ON saved_views TO closer_member;

-- Own views, and views shared with an organization one belongs to.
CREATE POLICY view_saved_views ON saved_views FOR SELECT TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[])
           AND (shared OR owner_id = (SELECT closer.current_profile_id())));
-- The write functions run as the owner, still only on the caller's own views.
CREATE POLICY owner_own_saved_views ON saved_views FOR ALL TO closer_owner
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[])
           AND owner_id = (SELECT closer.current_profile_id()))
    WITH CHECK (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[])
                AND owner_id = (SELECT closer.current_profile_id()));

-- Saves (or overwrites, by name) one of the caller's views; returns its id.
CREATE FUNCTION closer.save_view(org uuid, view_name text, filter text, sort text, descending boolean, pipeline uuid)
    RETURNS uuid LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    INSERT INTO public.saved_views AS v (organization_id, owner_id, name, filter, sort, descending, pipeline_id)
    VALUES ($1, closer.current_profile_id(), btrim($2), coalesce($3, ''), coalesce($4, 'score'), coalesce($5, true), $6)
    ON CONFLICT (organization_id, owner_id, name) DO UPDATE
        SET filter = excluded.filter, sort = excluded.sort, descending = excluded.descending,
            pipeline_id = excluded.pipeline_id, updated_at = now()
    RETURNING v.id
$$;

-- Each returns whether one of the caller's own views was changed.
CREATE FUNCTION closer.rename_view(org uuid, view uuid, view_name text)
    RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH v AS (
        UPDATE public.saved_views v SET name = btrim($3), updated_at = now()
        WHERE v.organization_id = $1 AND v.id = $2 AND v.owner_id = closer.current_profile_id()
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM v)
$$;

CREATE FUNCTION closer.delete_view(org uuid, view uuid)
    RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH v AS (
        DELETE FROM public.saved_views v
        WHERE v.organization_id = $1 AND v.id = $2 AND v.owner_id = closer.current_profile_id()
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM v)
$$;

-- Managers share their own views with the organization (or take them back).
CREATE FUNCTION closer.share_view(org uuid, view uuid, share boolean)
    RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_manager($1);
    WITH v AS (
        UPDATE public.saved_views v SET shared = $3, updated_at = now()
        WHERE v.organization_id = $1 AND v.id = $2 AND v.owner_id = closer.current_profile_id()
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM v)
$$;

-- The caller's start view (NULL: none). Cleared first: one default per person (unique index).
CREATE FUNCTION closer.set_default_view(org uuid, view uuid)
    RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    UPDATE public.saved_views v SET is_default = false
    WHERE v.organization_id = $1 AND v.owner_id = closer.current_profile_id() AND v.is_default;
    WITH v AS (
        UPDATE public.saved_views v SET is_default = true
        WHERE v.organization_id = $1 AND v.id = $2 AND v.owner_id = closer.current_profile_id()
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM v) OR $2 IS NULL
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'closer.save_view(uuid, text, text, text, boolean, uuid)',
        'closer.rename_view(uuid, uuid, text)',
        'closer.delete_view(uuid, uuid)',
        'closer.share_view(uuid, uuid, boolean)',
        'closer.set_default_view(uuid, uuid)'] LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO closer_member', f);
    END LOOP;
END $$;

RESET ROLE;

-- ---------------------------------------------------------------------------
-- 2. The search: owned by `closer_search` (BYPASSRLS; LIKE, `<%` and `@@` are not leakproof, so
-- under RLS they could never be index conditions), for members of `org` only, that org's rows
-- only. Tiers, best first: name starts with the query (alphabetical, off the "C" btree), name
-- contains every word in any order, company, e-mail, phone digits, tag prefix, interaction
-- and task-note text (full-text), and — only when those find fewer than `max_hits` — names with
-- one typo in a word (trigram candidates confirmed by Levenshtein distance <= 1).
-- Values enter the SQL as %L literals (each call is planned with its real patterns).
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.find_leads(org uuid, query text, max_hits integer)
    RETURNS TABLE (id uuid, name text, company text, stage_id uuid, matched text, snippet text, rank integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    SET pg_trgm.word_similarity_threshold = 0.3
AS $fn$
DECLARE
    lim integer := least(greatest(coalesce(max_hits, 20), 1), 100);
    q text := left(btrim(coalesce(query, '')), 200);
    f text;
    words text[];
    longest text;
    name_all text;
    company_all text;
    fuzzy_each text;
    digits text;
    esc_f text;
    has_long boolean;
BEGIN
    IF q = '' OR NOT org = ANY (closer.user_org_ids()) THEN
        RETURN;
    END IF;
    f := closer_find.fold(q);
    esc_f := replace(replace(replace(f, '\', '\\'), '%', '\%'), '_', '\_');
    SELECT coalesce(array_agg(left(w, 50)), '{}') INTO words
    FROM (SELECT w FROM regexp_split_to_table(f, '\s+') w WHERE w <> '' LIMIT 8) s;
    IF cardinality(words) = 0 THEN
        RETURN;
    END IF;
    SELECT w INTO longest FROM unnest(words) w ORDER BY length(w) DESC LIMIT 1;
    has_long := length(longest) >= 3;
    -- Words of 3+ characters are trigram index conditions; shorter ones only filter (strpos),
    -- since a LIKE without a whole trigram would read the entire index. A template with `%1$s`
    -- for the column: every `%` of a word is doubled for that second format().
    SELECT string_agg(CASE WHEN length(w) >= 3
                           THEN format('closer_find.fold(%1$s) LIKE %2$L', '%1$s', replace(
                                       '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%', '%', '%%'))
                           ELSE format('strpos(closer_find.fold(%1$s), %2$L) > 0', '%1$s', replace(w, '%', '%%')) END, ' AND ')
    INTO name_all FROM unnest(words) w;
    company_all := format(name_all, 'p.company');
    name_all := format(name_all, 'l.name');
    -- Every word is in the name, or (4+ characters) one edit away from one of its words.
    SELECT string_agg(format(
        '(strpos(closer_find.fold(l.name), %1$L) > 0 OR (length(%1$L) >= 4 AND EXISTS (
             SELECT 1 FROM unnest(regexp_split_to_array(closer_find.fold(l.name), %2$L)) x
             WHERE length(x) <= 255 AND closer_find.levenshtein_less_equal(x, %1$L, 1) <= 1)))', w, '[^[:alnum:]]+'), ' AND ')
    INTO fuzzy_each FROM unnest(words) w;
    digits := closer_find.digits(q);
    IF length(digits) < 3 OR q !~ '^\+?[0-9 ()./-]+$' THEN
        digits := NULL;
    END IF;
    RETURN QUERY EXECUTE format($sql$
        WITH name_prefix AS (
            SELECT l.id AS lead_id, 0 AS rank, 'name'::text AS matched, NULL::text AS snippet
            FROM public.leads l
            WHERE l.organization_id = %1$L AND closer_find.fold(l.name) COLLATE "C" LIKE %2$L
            ORDER BY closer_find.fold(l.name) COLLATE "C", l.id LIMIT %3$s
        ), name_words AS (
            SELECT l.id, 1, 'name', NULL FROM public.leads l
            WHERE %4$L::boolean AND l.organization_id = %1$L AND %5$s
            LIMIT %3$s
        ), by_company AS (
            SELECT p.lead_id, 2, 'company', p.company FROM public.lead_profiles p
            WHERE %4$L::boolean AND p.organization_id = %1$L AND %6$s
            LIMIT %3$s
        ), by_email AS (
            SELECT l.id, 3, 'e-mail', l.email FROM public.leads l
            WHERE %7$L::boolean AND l.organization_id = %1$L AND l.email ILIKE %8$L
            LIMIT %3$s
        ), by_phone AS (
            SELECT l.id, 3, 'phone', l.phone FROM public.leads l
            WHERE %9$L::text IS NOT NULL AND l.phone IS NOT NULL AND l.organization_id = %1$L
              AND closer_find.digits(l.phone) LIKE '%%' || %9$L || '%%'
            LIMIT %3$s
        ), by_tag AS (
            SELECT g.lead_id, 4, 'tag', g.tag FROM public.lead_tags g
            WHERE g.organization_id = %1$L AND closer_find.fold(g.tag) COLLATE "C" LIKE %2$L
            LIMIT %3$s
        ), by_note AS (
            SELECT i.lead_id, 5, i.type::text,
                   ts_headline('pg_catalog.simple', coalesce(i.subject, '') || ' ' || left(coalesce(i.content, ''), 5000), %10$s,
                               'MaxWords=14, MinWords=4, MaxFragments=1, StartSel=«, StopSel=»')
            FROM public.lead_interactions i
            WHERE %4$L::boolean AND i.organization_id = %1$L AND closer_find.doc(i.subject, i.content) @@ %10$s
            LIMIT %3$s
        ), by_task AS (
            SELECT t.lead_id, 5, 'task',
                   ts_headline('pg_catalog.simple', t.title || ' ' || left(coalesce(t.description, ''), 5000), %10$s,
                               'MaxWords=14, MinWords=4, MaxFragments=1, StartSel=«, StopSel=»')
            FROM public.lead_tasks t
            WHERE %4$L::boolean AND t.organization_id = %1$L AND closer_find.doc(t.title, t.description) @@ %10$s
            LIMIT %3$s
        ), exact AS (
            SELECT * FROM name_prefix UNION ALL SELECT * FROM name_words UNION ALL SELECT * FROM by_company
            UNION ALL SELECT * FROM by_email UNION ALL SELECT * FROM by_phone UNION ALL SELECT * FROM by_tag
            UNION ALL SELECT * FROM by_note UNION ALL SELECT * FROM by_task
        ), fuzzy AS (
            SELECT l.id, 6, 'name (spelling)', NULL FROM public.leads l
            WHERE %11$L::boolean AND (SELECT count(DISTINCT e.lead_id) FROM exact e) < %3$s
              AND l.organization_id = %1$L AND %12$L OPERATOR(public.<%%) closer_find.fold(l.name) AND %13$s
            LIMIT %3$s
        ), hits AS (
            SELECT DISTINCT ON (h.lead_id) h.lead_id, h.rank, h.matched, h.snippet
            FROM (SELECT * FROM exact UNION ALL SELECT * FROM fuzzy) h
            ORDER BY h.lead_id, h.rank
        )
        SELECT l.id, l.name, p.company, l.stage_id, h.matched, h.snippet, h.rank
        FROM hits h
        JOIN public.leads l ON l.organization_id = %1$L AND l.id = h.lead_id
        LEFT JOIN public.lead_profiles p ON p.organization_id = %1$L AND p.lead_id = l.id
        ORDER BY h.rank, closer_find.fold(l.name) COLLATE "C", l.id
        LIMIT %3$s
    $sql$,
        org,                                               -- 1
        esc_f || '%',                                      -- 2 prefix pattern
        lim,                                               -- 3
        has_long,                                          -- 4
        name_all,                                          -- 5
        company_all,                                       -- 6
        length(q) >= 3 AND q !~ '\s',                      -- 7
        '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%', -- 8
        digits,                                            -- 9
        format('plainto_tsquery(%L::regconfig, %L)', 'pg_catalog.simple', f), -- 10
        length(longest) >= 4,                              -- 11
        longest,                                           -- 12
        fuzzy_each                                         -- 13
    );
END $fn$;

REVOKE EXECUTE ON FUNCTION closer.find_leads(uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.find_leads(uuid, text, integer) TO closer_member;
GRANT SELECT ON lead_interactions, lead_tasks, lead_tags TO closer_search;
ALTER FUNCTION closer.find_leads(uuid, text, integer) OWNER TO closer_search;
