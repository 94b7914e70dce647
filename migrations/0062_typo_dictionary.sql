-- One typo in a name, from a dictionary of the organization's name words (issue 12 and 16:
-- search p95 <= 25 ms). 0038's spelling tier checked up to 1,000 names sharing a trigram with
-- the longest word for one edit: a sequential scan of 30-58 ms at 1M leads for `mulelr` or
-- `okafro`, and still no hit for a swap of neighbours (`mulelr`, `okafro` are two edits away).
--
--   1. closer_find.name_words: the distinct words (3-50 characters with a letter, folded like
--      the search folds) of each organization's lead names. Written by triggers on leads (a
--      statement's new leads, a rename), never by a move or a call; words are only added (a
--      word no lead has any longer just corrects to nothing). Members have no USAGE on
--      closer_find: they cannot read it, and no index of theirs is keyed by these words.
--   2. closer_find.one_edit(w): every string one deletion, swap of neighbours, substitution or
--      insertion away from w (letters a-z, digits and w's own characters): ~600 for an
--      8-letter word, looked up in the dictionary's btree (organization, word).
--   3. closer.find_leads: a word of 4-30 characters also matches the dictionary words one
--      edit away (at most 8); the tier then reads names containing any of them through the
--      trigram index, like the name-contains tier. Otherwise 0038's function, with its owner
--      and grants kept.
--   4. Every tier reads at least 20 hits, the answer is cut to the hits asked for: with 8
--      (the inbox's lead picker) the planner expected a word in ~8,800 notes and walked all
--      1.76M interactions of the organization for 8 of them, finding none (11 s at 1M leads
--      for any word in no note); from 20 on it reads the full-text index for such a word, and
--      still walks the organization for a common phrase, which finds 20 notes in a few hundred
--      rows (a whole bitmap of that phrase: 38 ms). The function runs with
--      `enable_seqscan = off`: every tier has an index on the organization or the words.
--
-- No waits: a writer inserts only words not yet there, without a unique key (two writers
-- adding the same new word at once leave it twice; readers take DISTINCT), so no writer ever
-- waits on another's uncommitted word.
SET LOCAL ROLE closer_owner;

CREATE TABLE closer_find.name_words (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    word text NOT NULL CONSTRAINT name_words_word_check CHECK (length(word) BETWEEN 3 AND 50)
);
CREATE INDEX name_words_idx ON closer_find.name_words (organization_id, word);
REVOKE ALL ON closer_find.name_words FROM PUBLIC;
GRANT SELECT ON closer_find.name_words TO closer_search;

-- The words of a name a typo can be corrected to: folded, 3-50 characters, with a letter (an
-- imported "Ada Lovelace 4711" would otherwise add every number of the file).
CREATE FUNCTION closer_find.name_words_of(name text) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
BEGIN ATOMIC
    SELECT w FROM regexp_split_to_table(closer_find.fold(name), '[^[:alnum:]]+') w
    WHERE length(w) BETWEEN 3 AND 50 AND w ~ '[[:alpha:]]';
END;

-- Every string one edit from w: deletions, swaps of neighbours, substitutions and insertions
-- over a-z, 0-9 and w's own characters (a typo of another alphabet is found only as a deletion
-- or a swap).
CREATE FUNCTION closer_find.one_edit(w text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN ARRAY(
    WITH letters(c) AS (
             SELECT DISTINCT c FROM unnest(string_to_array('abcdefghijklmnopqrstuvwxyz0123456789', NULL)
                                           || string_to_array(w, NULL)) c
         ),
         at(i) AS (SELECT generate_series(1, length(w) + 1))
    SELECT left(w, i - 1) || substr(w, i + 1) FROM at WHERE i <= length(w)
    UNION
    SELECT left(w, i - 1) || substr(w, i + 1, 1) || substr(w, i, 1) || substr(w, i + 2) FROM at WHERE i < length(w)
    UNION
    SELECT left(w, i - 1) || c || substr(w, i + 1) FROM at, letters WHERE i <= length(w)
    UNION
    SELECT left(w, i - 1) || c || substr(w, i) FROM at, letters
);
REVOKE EXECUTE ON FUNCTION closer_find.name_words_of(text), closer_find.one_edit(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer_find.name_words_of(text), closer_find.one_edit(text) TO closer_search;

-- The words of `names` (each of the organization beside it in `orgs`) not yet in the
-- dictionary, added once. Called by the two triggers below, as their owner.
CREATE FUNCTION closer_find.learn(orgs uuid[], names text[]) RETURNS void
    LANGUAGE sql SET search_path = ''
AS $$
    INSERT INTO closer_find.name_words (organization_id, word)
    SELECT DISTINCT n.org, w.w
    FROM unnest(orgs, names) n(org, name) CROSS JOIN LATERAL closer_find.name_words_of(n.name) w(w)
    WHERE NOT EXISTS (SELECT 1 FROM closer_find.name_words x WHERE x.organization_id = n.org AND x.word = w.w)
$$;
REVOKE EXECUTE ON FUNCTION closer_find.learn(uuid[], text[]) FROM PUBLIC;

-- A statement's new leads at once (an import batch is one statement).
CREATE FUNCTION closer_find.learn_inserted_names() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer_find.learn(array_agg(n.organization_id), array_agg(n.name)) FROM inserted n;
    RETURN NULL;
END $$;

-- A rename, one row (an UPDATE trigger with a transition table cannot name its columns, so it
-- would run for every move; this one runs only when a name changes).
CREATE FUNCTION closer_find.learn_renamed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    PERFORM closer_find.learn(ARRAY[NEW.organization_id], ARRAY[NEW.name]);
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION closer_find.learn_inserted_names(), closer_find.learn_renamed() FROM PUBLIC;

CREATE TRIGGER leads_name_words_inserted AFTER INSERT ON leads
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION closer_find.learn_inserted_names();
CREATE TRIGGER leads_name_words_renamed AFTER UPDATE OF name ON leads
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION closer_find.learn_renamed();

-- The words of every existing lead, once (as the migrating admin: closer_owner sees no rows of
-- the forced-RLS leads). A seed writes with triggers off and calls the same function.
RESET ROLE;
SELECT closer_find.learn(array_agg(l.organization_id), array_agg(l.name)) FROM leads l;
ANALYZE closer_find.name_words;

-- The search, 0038's but for the spelling tier (owned by `closer_search`).
CREATE OR REPLACE FUNCTION closer.find_leads(org uuid, query text, max_hits integer)
    RETURNS TABLE (id uuid, name text, company text, stage_id uuid, matched text, snippet text, rank integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    SET enable_seqscan = off
AS $fn$
DECLARE
    lim integer := least(greatest(coalesce(max_hits, 20), 1), 100);
    -- Each tier takes at least 20 (see 4. above); the answer is cut to `lim` at the end.
    tier integer := greatest(lim, 20);
    q text := left(btrim(coalesce(query, '')), 200);
    f text;
    words text[];
    longest text;
    name_all text;
    company_all text;
    fuzzy_each text;
    has_fix boolean := false;
    typed text;
    fixes text[];
    either text;
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
    -- The one-typo tier: each word of 4-30 characters may instead be a word of the
    -- organization's names one edit or one swap of neighbours away (`closer_find.name_words`, a
    -- few index probes, not a walk over the names); every word must be in the name as typed or
    -- as corrected. Skipped when no word has a correction.
    FOREACH typed IN ARRAY words LOOP
        fixes := '{}';
        IF length(typed) BETWEEN 4 AND 30 THEN
            fixes := ARRAY(SELECT DISTINCT x.word FROM closer_find.name_words x
                           WHERE x.organization_id = org AND x.word = ANY (closer_find.one_edit(typed)) AND x.word <> typed
                           ORDER BY x.word LIMIT 8);
            has_fix := has_fix OR cardinality(fixes) > 0;
        END IF;
        SELECT '(' || string_agg(CASE WHEN length(v) >= 3
                                      THEN format('closer_find.fold(l.name) LIKE %L',
                                                  '%' || replace(replace(replace(v, '\', '\\'), '%', '\%'), '_', '\_') || '%')
                                      ELSE format('strpos(closer_find.fold(l.name), %L) > 0', v) END, ' OR ') || ')'
        INTO either FROM unnest(array_prepend(typed, fixes)) v;
        fuzzy_each := coalesce(fuzzy_each || ' AND ', '') || either;
    END LOOP;
    -- Two or three words in another order (`reyes olivia`): each other order is a name prefix,
    -- a bounded range of the "C" btree like the prefix tier. When the prefixes fill the page
    -- the name-contains tier is not run (its trigram bitmap reads every name sharing a
    -- trigram with a common word: 25 ms of a 1M-lead search under load).
    SELECT string_agg(format(
        '(SELECT l.id FROM public.leads l WHERE l.organization_id = %1$L AND closer_find.fold(l.name) COLLATE "C" LIKE %2$L
          ORDER BY closer_find.fold(l.name) COLLATE "C", l.id LIMIT %3$s)',
        org, replace(replace(replace(p.p, '\', '\\'), '%', '\%'), '_', '\_') || '%', tier), ' UNION ALL ')
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
            SELECT r.id AS lead_id, 1 AS rank, 'name'::text AS matched, NULL::text AS snippet FROM (%13$s) r
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
            SELECT l.id, 6, 'name (spelling)', NULL FROM public.leads l
            WHERE %11$L::boolean AND (SELECT count(DISTINCT e.lead_id) FROM exact e) < %3$s
              AND l.organization_id = %1$L AND %12$s
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
        LIMIT %14$s
    $sql$,
        org,                                               -- 1
        esc_f || '%',                                      -- 2 prefix pattern
        tier,                                              -- 3 each tier's limit
        has_long,                                          -- 4
        name_all,                                          -- 5
        company_all,                                       -- 6
        length(q) >= 3 AND q !~ '\s',                      -- 7
        '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%', -- 8
        digits,                                            -- 9
        format('plainto_tsquery(%L::regconfig, %L)', 'pg_catalog.simple', f), -- 10
        has_fix,                                           -- 11
        fuzzy_each,                                        -- 12
        coalesce(reordered, 'SELECT NULL::uuid AS id WHERE false'), -- 13 other word orders
        lim                                                -- 14 hits returned
    );
END $fn$;
