-- Filtered column totals from deltas (issue 12, "find and focus" at 1M leads): the board's
-- `mine` / `owner:`, `tag:` (one tag) and `score:` filters read exact counts and sums from
-- append-only deltas, as the unfiltered headers do (0003, 0022, 0034), instead of counting every
-- kept lead (4.5 s for `mine` at 1M). Other filters still count (src/data/board_filter.rs).
--
--   1. stage_filter_deltas: per stage, either an owner's leads and open deals (facet null,
--      owner_id the lead's assigned_to, null: nobody) or a facet's (`score:<n>`, `tag:<tag>`,
--      owner null). A lead is in one owner row, its score's facet and one facet per tag.
--   2. Its own triggers, beside the headers' ones (which this migration does not touch, so
--      0034/0037 redefining those changes nothing here, in either order): a lead's insert,
--      move, owner change, score change and delete; a tag added, removed or renamed; a deal's
--      change (its lead's stage, owner, score and tags in one lookup). Writers only INSERT.
--   3. Its own fold (one organization at a time, a try-lock, never a wait), one write in 128:
--      only groups with more than one row are rewritten, so its cost follows the writes since
--      the last fold, not the number of owners, scores and tags.
--   4. Rebuilt from the rows once, as the migrating admin (forced row security shows
--      closer_owner no rows), with writers held off meanwhile.
--
-- Tenancy: forced row security, members read their own organizations' rows and write none
-- (SELECT only), the owner maintains them; primary key (organization, stage, random id): no
-- index keyed by an owner, score or tag. Nothing in it that members cannot read from their own
-- leads, tags and deals.
SET LOCAL ROLE closer_owner;

CREATE TABLE stage_filter_deltas (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    stage_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    owner_id uuid,
    facet text CONSTRAINT stage_filter_deltas_facet_check CHECK (length(facet) <= 60),
    currency text CONSTRAINT stage_filter_deltas_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    lead_count bigint NOT NULL DEFAULT 0,
    open_deal_amount numeric NOT NULL DEFAULT 0,
    weighted_deal_amount numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, stage_id, id),
    FOREIGN KEY (organization_id, stage_id) REFERENCES pipeline_stages (organization_id, id) ON DELETE CASCADE
);
ALTER TABLE stage_filter_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
                                     autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000);
ALTER TABLE stage_filter_deltas ENABLE ROW LEVEL SECURITY;
ALTER TABLE stage_filter_deltas FORCE ROW LEVEL SECURITY;
CREATE POLICY view_org_stage_filter_deltas ON stage_filter_deltas FOR SELECT TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
CREATE POLICY owner_maintains_stage_filter_deltas ON stage_filter_deltas FOR ALL TO closer_owner
    USING (true) WITH CHECK (true);
REVOKE ALL ON stage_filter_deltas FROM PUBLIC;
GRANT SELECT ON stage_filter_deltas TO closer_member;
CREATE TRIGGER stage_filter_deltas_keep_organization BEFORE UPDATE OF organization_id ON stage_filter_deltas
    FOR EACH ROW EXECUTE FUNCTION closer.forbid_org_change();

-- The triggers read a lead's tags as the owner whoever writes (an admin's SQL included), as
-- 0001 lets them read leads and deals: the sums must be exact. Every definer function that
-- reads lead_tags filters by the organization it checked membership of.
CREATE POLICY owner_reads_lead_tags ON lead_tags FOR SELECT TO closer_owner USING (true);

-- Folds one organization's rows: every (stage, owner, facet, currency) with more than one row
-- becomes one row (none when it sums to zero). Same guards as 0003's fold, its own lock key.
CREATE FUNCTION closer.compact_filter_summaries(org uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR current_setting('closer.filter_summaries_folded', true) = 'on'
       OR NOT pg_try_advisory_xact_lock(20162, hashtext(org::text)) THEN
        RETURN;
    END IF;
    PERFORM set_config('closer.filter_summaries_folded', 'on', true);
    WITH grouped AS (
        SELECT d.ctid AS row_id,
               count(*) OVER (PARTITION BY d.stage_id, d.owner_id, d.facet, d.currency) AS n
        FROM public.stage_filter_deltas d
        WHERE d.organization_id = org
    ), gone AS (
        DELETE FROM public.stage_filter_deltas d
        WHERE d.organization_id = org AND d.ctid = ANY (ARRAY(SELECT g.row_id FROM grouped g WHERE g.n > 1))
        RETURNING d.stage_id, d.owner_id, d.facet, d.currency, d.lead_count, d.open_deal_amount, d.weighted_deal_amount
    )
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, currency, lead_count,
                                            open_deal_amount, weighted_deal_amount)
    SELECT org, g.stage_id, g.owner_id, g.facet, g.currency, sum(g.lead_count), sum(g.open_deal_amount),
           sum(g.weighted_deal_amount)
    FROM gone g
    GROUP BY g.stage_id, g.owner_id, g.facet, g.currency
    HAVING sum(g.lead_count) <> 0 OR sum(g.open_deal_amount) <> 0 OR sum(g.weighted_deal_amount) <> 0;
END $$;

-- The facets of a lead with score `score`: `score:<n>`, then `tag:<tag>` per tag.
CREATE FUNCTION closer.lead_facets(org uuid, lead uuid, score integer) RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN array_prepend('score:' || score, ARRAY(
        SELECT 'tag:' || g.tag FROM public.lead_tags g
        WHERE g.organization_id = org AND g.lead_id = lead ORDER BY g.tag));
END $$;

-- Counts one lead (sign 1) or takes it away (-1) at `stage`: its owner row when `owned`, and
-- one row per facet of `facets`, each with its open deals per currency. One write in 128
-- folds.
CREATE FUNCTION closer.bump_lead_filters(org uuid, stage uuid, lead uuid, owned boolean, owner uuid,
                                         facets text[], sign integer)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF stage IS NULL OR (NOT owned AND cardinality(facets) = 0) THEN
        RETURN;
    END IF;
    WITH keys AS (
        SELECT owner AS owner_id, NULL::text AS facet WHERE owned
        UNION ALL
        SELECT NULL, f.facet FROM unnest(facets) f(facet)
    )
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count,
                                            open_deal_amount, weighted_deal_amount, currency)
    SELECT org, stage, k.owner_id, k.facet, sign, 0, 0, NULL FROM keys k
    UNION ALL
    SELECT org, stage, k.owner_id, k.facet, 0, sign * d.amount, sign * d.weighted, d.currency
    FROM keys k CROSS JOIN closer.lead_open_deals_by_currency(org, lead) d
    WHERE d.amount <> 0 OR d.weighted <> 0;
    IF random() < 1.0 / 128 THEN
        PERFORM closer.compact_filter_summaries(org);
    END IF;
END $$;

-- One deal's amounts under its lead's owner row and facets.
CREATE FUNCTION closer.bump_deal_filters(org uuid, lead uuid, amount numeric, weighted numeric, currency text)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    at record;
BEGIN
    IF amount = 0 AND weighted = 0 THEN
        RETURN;
    END IF;
    SELECT l.stage_id, l.assigned_to, l.score INTO at
    FROM public.leads l WHERE l.organization_id = org AND l.id = lead;
    -- A deal cascading with its deleted lead: the lead took its deals off itself.
    IF at.stage_id IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count,
                                            open_deal_amount, weighted_deal_amount, currency)
    SELECT org, at.stage_id, at.assigned_to, NULL, 0, amount, weighted, currency
    UNION ALL
    SELECT org, at.stage_id, NULL, f.facet, 0, amount, weighted, currency
    FROM unnest(closer.lead_facets(org, lead, at.score)) f(facet);
    IF random() < 1.0 / 128 THEN
        PERFORM closer.compact_filter_summaries(org);
    END IF;
END $$;

-- New leads, per statement (like 0019's header trigger): by owner and by score (a new lead
-- has no tag or deal yet; those count through their own triggers).
CREATE FUNCTION closer.leads_filter_summary_inserted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count)
    SELECT n.organization_id, n.stage_id, n.assigned_to, NULL, count(*)
    FROM new_leads n GROUP BY n.organization_id, n.stage_id, n.assigned_to
    UNION ALL
    SELECT n.organization_id, n.stage_id, NULL, 'score:' || n.score, count(*)
    FROM new_leads n GROUP BY n.organization_id, n.stage_id, n.score;
    RETURN NULL;
END $$;

-- A lead's move, owner change, score change or delete (BEFORE: its tags and deals, which
-- cascade, are still there; their own triggers then find no lead and do nothing).
CREATE FUNCTION closer.leads_maintain_filter_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    facets text[];
    moved boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM closer.bump_lead_filters(OLD.organization_id, OLD.stage_id, OLD.id, true, OLD.assigned_to,
                                         closer.lead_facets(OLD.organization_id, OLD.id, OLD.score), -1);
        RETURN OLD;
    END IF;
    moved := NEW.stage_id IS DISTINCT FROM OLD.stage_id;
    IF moved THEN
        facets := closer.lead_facets(OLD.organization_id, OLD.id, OLD.score);
        PERFORM closer.bump_lead_filters(OLD.organization_id, OLD.stage_id, OLD.id, true, OLD.assigned_to, facets, -1);
        facets[1] := 'score:' || NEW.score;
        PERFORM closer.bump_lead_filters(NEW.organization_id, NEW.stage_id, NEW.id, true, NEW.assigned_to, facets, 1);
        RETURN NULL;
    END IF;
    IF NEW.assigned_to IS DISTINCT FROM OLD.assigned_to THEN
        PERFORM closer.bump_lead_filters(OLD.organization_id, OLD.stage_id, OLD.id, true, OLD.assigned_to, '{}', -1);
        PERFORM closer.bump_lead_filters(NEW.organization_id, NEW.stage_id, NEW.id, true, NEW.assigned_to, '{}', 1);
    END IF;
    IF NEW.score IS DISTINCT FROM OLD.score THEN
        PERFORM closer.bump_lead_filters(OLD.organization_id, OLD.stage_id, OLD.id, false, NULL,
                                         ARRAY['score:' || OLD.score], -1);
        PERFORM closer.bump_lead_filters(NEW.organization_id, NEW.stage_id, NEW.id, false, NULL,
                                         ARRAY['score:' || NEW.score], 1);
    END IF;
    RETURN NULL;
END $$;

-- A deal's change: open amounts leave the old lead's rows and join the new one's. Deals follow
-- their lead's owner through 0017's trigger, which writes only deals.owner_id: this trigger does
-- not fire for it, so a lead's owner change moves its deals exactly once (above).
CREATE FUNCTION closer.deals_maintain_filter_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' THEN
        PERFORM closer.bump_deal_filters(OLD.organization_id, OLD.lead_id, -OLD.amount,
                                         -(OLD.amount * OLD.probability / 100.0), OLD.currency);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'open' THEN
        PERFORM closer.bump_deal_filters(NEW.organization_id, NEW.lead_id, NEW.amount,
                                         NEW.amount * NEW.probability / 100.0, NEW.currency);
    END IF;
    RETURN NULL;
END $$;

-- A tag added to, removed from or renamed on a lead that still exists.
CREATE FUNCTION closer.lead_tags_maintain_filter_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM closer.bump_lead_filters(OLD.organization_id, closer.lead_stage(OLD.organization_id, OLD.lead_id),
                                         OLD.lead_id, false, NULL, ARRAY['tag:' || OLD.tag], -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM closer.bump_lead_filters(NEW.organization_id, closer.lead_stage(NEW.organization_id, NEW.lead_id),
                                         NEW.lead_id, false, NULL, ARRAY['tag:' || NEW.tag], 1);
    END IF;
    RETURN NULL;
END $$;

REVOKE EXECUTE ON FUNCTION closer.compact_filter_summaries(uuid),
    closer.lead_facets(uuid, uuid, integer),
    closer.bump_lead_filters(uuid, uuid, uuid, boolean, uuid, text[], integer),
    closer.bump_deal_filters(uuid, uuid, numeric, numeric, text),
    closer.leads_filter_summary_inserted(),
    closer.leads_maintain_filter_summary(),
    closer.deals_maintain_filter_summary(),
    closer.lead_tags_maintain_filter_summary() FROM PUBLIC;

CREATE TRIGGER leads_filter_summary_inserted AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION closer.leads_filter_summary_inserted();
CREATE TRIGGER leads_maintain_filter_summary AFTER UPDATE OF stage_id, assigned_to, score ON leads
    FOR EACH ROW EXECUTE FUNCTION closer.leads_maintain_filter_summary();
CREATE TRIGGER leads_maintain_filter_summary_on_delete BEFORE DELETE ON leads
    FOR EACH ROW EXECUTE FUNCTION closer.leads_maintain_filter_summary();
CREATE TRIGGER deals_maintain_filter_summary AFTER INSERT OR DELETE OR UPDATE OF amount, probability, status, lead_id, currency
    ON deals FOR EACH ROW EXECUTE FUNCTION closer.deals_maintain_filter_summary();
CREATE TRIGGER lead_tags_maintain_filter_summary AFTER INSERT OR DELETE OR UPDATE OF tag, lead_id ON lead_tags
    FOR EACH ROW EXECUTE FUNCTION closer.lead_tags_maintain_filter_summary();

-- Rows so far, as the migrating admin; writers wait for the commit (SHARE blocks their
-- writes), so every write is either in the rows read here or adds its delta afterwards.
RESET ROLE;
LOCK TABLE leads, deals, lead_tags IN SHARE MODE;
INSERT INTO stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count, open_deal_amount,
                                 weighted_deal_amount, currency)
WITH open_deals AS (
    SELECT d.organization_id, d.lead_id, d.currency, sum(d.amount) AS amount,
           sum(d.amount * d.probability / 100.0) AS weighted
    FROM deals d WHERE d.status = 'open'
    GROUP BY d.organization_id, d.lead_id, d.currency
), facets AS (
    SELECT l.organization_id, l.id, l.stage_id, 'score:' || l.score AS facet FROM leads l
    UNION ALL
    SELECT l.organization_id, l.id, l.stage_id, 'tag:' || g.tag
    FROM lead_tags g JOIN leads l ON l.organization_id = g.organization_id AND l.id = g.lead_id
)
SELECT l.organization_id, l.stage_id, l.assigned_to, NULL, count(*), 0, 0, NULL
FROM leads l
GROUP BY l.organization_id, l.stage_id, l.assigned_to
UNION ALL
SELECT l.organization_id, l.stage_id, l.assigned_to, NULL, 0, sum(o.amount), sum(o.weighted), o.currency
FROM open_deals o JOIN leads l ON l.organization_id = o.organization_id AND l.id = o.lead_id
GROUP BY l.organization_id, l.stage_id, l.assigned_to, o.currency
UNION ALL
SELECT f.organization_id, f.stage_id, NULL, f.facet, count(*), 0, 0, NULL
FROM facets f
GROUP BY f.organization_id, f.stage_id, f.facet
UNION ALL
SELECT f.organization_id, f.stage_id, NULL, f.facet, 0, sum(o.amount), sum(o.weighted), o.currency
FROM facets f JOIN open_deals o ON o.organization_id = f.organization_id AND o.lead_id = f.id
GROUP BY f.organization_id, f.stage_id, f.facet, o.currency;

-- ---------------------------------------------------------------------------
-- Search (0008's closer.find_leads, same signature, owner and grants): words in another order
-- are name prefixes too, and the name-contains tier runs only when the prefixes leave room.
-- Replaced as the migrating admin: the function belongs to closer_search.
-- ---------------------------------------------------------------------------
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
        fuzzy_each,                                        -- 13
        coalesce(reordered, 'SELECT NULL::uuid AS id WHERE false') -- 14 other word orders
    );
END $fn$;

RESET ROLE;
