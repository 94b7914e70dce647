-- The one-typo tier of the search reads a bounded number of names (issue 12: search p95 <= 25 ms).
-- A misspelt word that matches nobody (`mulelr`, `okafro`) made `closer.find_leads` check every
-- name sharing a trigram with it for one edit: 2.2-2.6 s at 1M leads (`closer bench`, the
-- jump-to-lead list). The candidates are now the first 1,000 such names (126-147 ms at 2,000 in `psql`); the exact tiers are
-- untouched. The function is otherwise 0033's, with its owner, grants and SET options kept.
SET LOCAL ROLE closer_owner;

-- Replaced by the migrating admin: the function is owned by `closer_search`.
RESET ROLE;
CREATE OR REPLACE FUNCTION closer.find_leads(org uuid, query text, max_hits integer)
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
    reordered text;
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
    -- Two or three words in another order (`reyes olivia`): each other order is a name prefix,
    -- a bounded range of the "C" btree like the prefix tier. When the prefixes fill the page
    -- the name-contains tier is not run (its trigram bitmap reads every name sharing a
    -- trigram with a common word: 25 ms of a 1M-lead search under load).
    SELECT string_agg(format(
        '(SELECT l.id FROM public.leads l WHERE l.organization_id = %1$L AND closer_find.fold(l.name) COLLATE "C" LIKE %2$L
          ORDER BY closer_find.fold(l.name) COLLATE "C", l.id LIMIT %3$s)',
        org, replace(replace(replace(p.p, '\', '\\'), '%', '\%'), '_', '\_') || '%', lim), ' UNION ALL ')
    INTO reordered
    FROM (SELECT DISTINCT array_to_string(ARRAY(SELECT words[i] FROM unnest(v.o) i), ' ') AS p
          FROM (VALUES (ARRAY[2, 1]), (ARRAY[1, 3, 2]), (ARRAY[2, 1, 3]), (ARRAY[2, 3, 1]), (ARRAY[3, 1, 2]),
                       (ARRAY[3, 2, 1])) v(o)
          WHERE cardinality(v.o) = cardinality(words)) p
    WHERE p.p <> array_to_string(words, ' ');
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
        ), name_reordered AS (
            SELECT r.id AS lead_id, 1 AS rank, 'name'::text AS matched, NULL::text AS snippet FROM (%14$s) r
        ), name_words AS (
            SELECT l.id, 1, 'name', NULL FROM public.leads l
            WHERE %4$L::boolean AND (SELECT count(*) FROM name_prefix) + (SELECT count(*) FROM name_reordered) < %3$s
              AND l.organization_id = %1$L AND %5$s
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
            SELECT * FROM name_prefix UNION ALL SELECT * FROM name_reordered UNION ALL SELECT * FROM name_words
            UNION ALL SELECT * FROM by_company
            UNION ALL SELECT * FROM by_email UNION ALL SELECT * FROM by_phone UNION ALL SELECT * FROM by_tag
            UNION ALL SELECT * FROM by_note UNION ALL SELECT * FROM by_task
        ), fuzzy AS (
            -- At most 1,000 names sharing trigrams with the longest word are checked for one
            -- edit: a misspelling that matches nobody read every such name (2.2-2.6 s at 1M).
            SELECT l.id, 6, 'name (spelling)', NULL
            FROM (SELECT x.id, x.name FROM public.leads x
                  WHERE %11$L::boolean AND (SELECT count(DISTINCT e.lead_id) FROM exact e) < %3$s
                    AND x.organization_id = %1$L AND %12$L OPERATOR(public.<%%) closer_find.fold(x.name)
                  LIMIT 1000) l
            WHERE %13$s
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
        fuzzy_each,                                        -- 13
        coalesce(reordered, 'SELECT NULL::uuid AS id WHERE false') -- 14 other word orders
    );
END $fn$;
