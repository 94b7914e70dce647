-- `source:` totals from the filter deltas (issue 12: at 1M leads `source:referral` counted the
-- ~125k leads it keeps, 0.37-0.44 s per filter change).
--
--   1. A lead's source is one more facet of 0033's deltas: closer.source_facet, `source:` and
--      the lowered source (the filter compares sources case-insensitively), `source:` alone for
--      none. A source too long for the facet column (60 characters) is `source#` and the md5 of
--      the lowered text: still one facet per source, and the filter computes it the same way
--      (src/data/filter_sql.rs calls this function). Every lead is in exactly one source row,
--      so `source:a,b` sums two facets' rows and counts nobody twice.
--   2. closer.lead_facets gains the source (a new overload; 0050's stays); the move, delete and
--      deal paths carry it like the touch; a source change moves the lead between two rows.
--   3. Existing leads get their rows once, as the migrating admin, with writers held off.
SET LOCAL ROLE closer_owner;

-- Inlined where it is called in a statement (no SET clause, not a definer).
CREATE FUNCTION closer.source_facet(source text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN pg_catalog.char_length(pg_catalog.lower(source)) > 53
                THEN 'source#' || pg_catalog.md5(pg_catalog.lower(source))
                ELSE 'source:' || coalesce(pg_catalog.lower(source), '') END
$$;

CREATE FUNCTION closer.lead_facets(org uuid, lead uuid, score integer, touched timestamptz, source text)
    RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN closer.lead_facets(org, lead, score, touched) || closer.source_facet(source);
END $$;

CREATE OR REPLACE FUNCTION closer.bump_deal_filters(org uuid, lead uuid, amount numeric, weighted numeric, currency text)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    at record;
BEGIN
    IF amount = 0 AND weighted = 0 THEN
        RETURN;
    END IF;
    -- Locked, so a concurrent move of the lead cannot leave the deal in its old stage (0052).
    SELECT l.stage_id, l.assigned_to, l.score, coalesce(l.last_contacted_at, l.created_at) AS touched, l.source
    INTO at
    FROM public.leads l WHERE l.organization_id = org AND l.id = lead FOR NO KEY UPDATE;
    -- A deal cascading with its deleted lead: the lead took its deals off itself.
    IF at.stage_id IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count,
                                            open_deal_amount, weighted_deal_amount, currency)
    SELECT org, at.stage_id, at.assigned_to, NULL, 0, amount, weighted, currency
    UNION ALL
    SELECT org, at.stage_id, NULL, f.facet, 0, amount, weighted, currency
    FROM unnest(closer.lead_facets(org, lead, at.score, at.touched, at.source)) f(facet);
    IF random() < 1.0 / 128 THEN
        PERFORM closer.compact_filter_summaries(org);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION closer.leads_filter_summary_inserted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count)
    SELECT n.organization_id, n.stage_id, n.assigned_to, NULL, count(*)
    FROM new_leads n GROUP BY n.organization_id, n.stage_id, n.assigned_to
    UNION ALL
    SELECT n.organization_id, n.stage_id, NULL, 'score:' || n.score, count(*)
    FROM new_leads n GROUP BY n.organization_id, n.stage_id, n.score
    UNION ALL
    SELECT n.organization_id, n.stage_id, NULL, 'next:none', count(*)
    FROM new_leads n GROUP BY n.organization_id, n.stage_id
    UNION ALL
    SELECT n.organization_id, n.stage_id, NULL, closer.touch_facet(coalesce(n.last_contacted_at, n.created_at)), count(*)
    FROM new_leads n GROUP BY 1, 2, 4
    UNION ALL
    SELECT n.organization_id, n.stage_id, NULL, closer.source_facet(n.source), count(*)
    FROM new_leads n GROUP BY 1, 2, 4;
    RETURN NULL;
END $$;

-- 0050's function with the source, carried by a move and a delete like the touch.
CREATE OR REPLACE FUNCTION closer.leads_maintain_filter_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    facets text[];
    moved text[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM closer.bump_lead_filters(OLD.organization_id, OLD.stage_id, OLD.id, true, OLD.assigned_to,
                                         closer.lead_facets(OLD.organization_id, OLD.id, OLD.score,
                                                            coalesce(OLD.last_contacted_at, OLD.created_at),
                                                            OLD.source), -1);
        RETURN OLD;
    END IF;
    IF NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
        -- [score, tags…, next, touch, source]: the lead's row changes the first and last two.
        facets := closer.lead_facets(OLD.organization_id, OLD.id, OLD.score,
                                     coalesce(OLD.last_contacted_at, OLD.created_at), OLD.source);
        moved := facets;
        moved[1] := 'score:' || NEW.score;
        moved[cardinality(moved) - 1] := closer.touch_facet(coalesce(NEW.last_contacted_at, NEW.created_at));
        moved[cardinality(moved)] := closer.source_facet(NEW.source);
        PERFORM closer.move_lead_filters(NEW.organization_id, OLD.stage_id, NEW.stage_id, NEW.id, OLD.assigned_to,
                                         NEW.assigned_to, facets, moved);
        RETURN NULL;
    END IF;
    IF NEW.assigned_to IS DISTINCT FROM OLD.assigned_to THEN
        PERFORM closer.move_lead_filters(NEW.organization_id, NEW.stage_id, NEW.stage_id, NEW.id, OLD.assigned_to,
                                         NEW.assigned_to, '{}', '{}');
    END IF;
    IF NEW.score IS DISTINCT FROM OLD.score THEN
        PERFORM closer.swap_lead_facet(NEW.organization_id, NEW.stage_id, NEW.id, 'score:' || OLD.score,
                                       'score:' || NEW.score);
    END IF;
    -- Each writes nothing when its facet is the same (a second call the same day, an edit that
    -- changes a source's case only).
    PERFORM closer.swap_lead_facet(NEW.organization_id, NEW.stage_id, NEW.id,
                                   closer.touch_facet(coalesce(OLD.last_contacted_at, OLD.created_at)),
                                   closer.touch_facet(coalesce(NEW.last_contacted_at, NEW.created_at)));
    PERFORM closer.swap_lead_facet(NEW.organization_id, NEW.stage_id, NEW.id,
                                   closer.source_facet(OLD.source), closer.source_facet(NEW.source));
    RETURN NULL;
END $$;

DROP TRIGGER leads_maintain_filter_summary ON leads;
CREATE TRIGGER leads_maintain_filter_summary
    AFTER UPDATE OF stage_id, assigned_to, score, last_contacted_at, created_at, source
    ON leads FOR EACH ROW EXECUTE FUNCTION closer.leads_maintain_filter_summary();

REVOKE EXECUTE ON FUNCTION closer.lead_facets(uuid, uuid, integer, timestamptz, text) FROM PUBLIC;
-- The filter's totals name the facets of the sources a rep typed through it.
REVOKE EXECUTE ON FUNCTION closer.source_facet(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.source_facet(text) TO closer_member;

-- 3. The existing leads' rows, as the migrating admin.
RESET ROLE;
LOCK TABLE leads, deals IN SHARE MODE;
INSERT INTO stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count, open_deal_amount,
                                 weighted_deal_amount, currency)
WITH sourced AS (
    SELECT l.organization_id, l.id, l.stage_id, closer.source_facet(l.source) AS facet
    FROM leads l
), open_deals AS (
    SELECT d.organization_id, d.lead_id, d.currency, sum(d.amount) AS amount,
           sum(d.amount * d.probability / 100.0) AS weighted
    FROM deals d WHERE d.status = 'open' GROUP BY d.organization_id, d.lead_id, d.currency
)
SELECT s.organization_id, s.stage_id, NULL::uuid, s.facet, count(*), 0, 0, NULL::text
FROM sourced s GROUP BY s.organization_id, s.stage_id, s.facet
UNION ALL
SELECT s.organization_id, s.stage_id, NULL, s.facet, 0, sum(o.amount), sum(o.weighted), o.currency
FROM sourced s JOIN open_deals o ON o.organization_id = s.organization_id AND o.lead_id = s.id
GROUP BY s.organization_id, s.stage_id, s.facet, o.currency;
