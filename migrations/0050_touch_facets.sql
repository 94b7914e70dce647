-- `rotting` totals from the filter deltas (issue 12: at 1M leads they counted the 740k leads of
-- the stages with a limit, 0.4-0.7 s per filter change).
--
--   1. A lead's last touch is one more facet of 0033's deltas: `touch:YYYY-MM-DD`, the UTC day
--      of coalesce(last_contacted_at, created_at), the instant `rotting` compares with the
--      stage's limit. A stage's rotting leads are the rows of days before the UTC day of its
--      cutoff (now minus the limit) plus the few leads touched on that day before the cutoff,
--      read from the contact and creation sort indexes (src/data/filter_sql.rs).
--   2. closer.lead_facets gains the touch instant (a new overload; 0049's stays for nothing
--      else to break); the move, delete and deal paths carry it like the other facets. A call
--      log (last_contacted_at) moves the lead from one day's row to another's when the day
--      changes; a second call the same day writes nothing. New leads count on their creation
--      day.
--   3. Existing leads get their rows once, as the migrating admin, with writers held off.
SET LOCAL ROLE closer_owner;

-- Inlined where it is called in a statement (no SET clause, not a definer); UTC, so the day
-- is the same for every reader. Instants past 9999 are clamped like 0049's dates.
CREATE FUNCTION closer.touch_facet(touched timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT 'touch:' || pg_catalog.to_char(least(touched AT TIME ZONE 'UTC', timestamp '9999-12-31'), 'YYYY-MM-DD')
$$;

CREATE FUNCTION closer.lead_facets(org uuid, lead uuid, score integer, touched timestamptz) RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN closer.lead_facets(org, lead, score) || closer.touch_facet(touched);
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
    SELECT l.stage_id, l.assigned_to, l.score, coalesce(l.last_contacted_at, l.created_at) AS touched INTO at
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
    FROM unnest(closer.lead_facets(org, lead, at.score, at.touched)) f(facet);
    IF random() < 1.0 / 128 THEN
        PERFORM closer.compact_filter_summaries(org);
    END IF;
END $$;

-- A move in one statement with one read of the lead's deals: the lead's owner row and facets
-- leave `old_stage` and join `new_stage` (two bump_lead_filters calls read the deals twice and
-- inserted twice; a move is the floor's most frequent write). An owner change is the same with
-- one stage on both sides and no facets.
CREATE FUNCTION closer.move_lead_filters(org uuid, old_stage uuid, new_stage uuid, lead uuid, old_owner uuid,
                                         new_owner uuid, old_facets text[], new_facets text[])
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    WITH keys AS (
        SELECT old_stage AS stage_id, old_owner AS owner_id, NULL::text AS facet, -1 AS sign WHERE old_stage IS NOT NULL
        UNION ALL
        SELECT old_stage, NULL, f.facet, -1 FROM unnest(old_facets) f(facet) WHERE old_stage IS NOT NULL
        UNION ALL
        SELECT new_stage, new_owner, NULL, 1 WHERE new_stage IS NOT NULL
        UNION ALL
        SELECT new_stage, NULL, f.facet, 1 FROM unnest(new_facets) f(facet) WHERE new_stage IS NOT NULL
    )
    INSERT INTO public.stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count,
                                            open_deal_amount, weighted_deal_amount, currency)
    SELECT org, k.stage_id, k.owner_id, k.facet, k.sign, 0, 0, NULL FROM keys k
    UNION ALL
    SELECT org, k.stage_id, k.owner_id, k.facet, 0, k.sign * d.amount, k.sign * d.weighted, d.currency
    FROM keys k CROSS JOIN closer.lead_open_deals_by_currency(org, lead) d
    WHERE d.amount <> 0 OR d.weighted <> 0;
    IF random() < 1.0 / 64 THEN
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
    FROM new_leads n GROUP BY 1, 2, 4;
    RETURN NULL;
END $$;

-- 0033's function with the touch: carried by a move and a delete, moved between days alone;
-- a move and an owner change write their rows in one statement (move_lead_filters).
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
                                                            coalesce(OLD.last_contacted_at, OLD.created_at)), -1);
        RETURN OLD;
    END IF;
    IF NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
        facets := closer.lead_facets(OLD.organization_id, OLD.id, OLD.score,
                                     coalesce(OLD.last_contacted_at, OLD.created_at));
        moved := facets;
        moved[1] := 'score:' || NEW.score;
        moved[cardinality(moved)] := closer.touch_facet(coalesce(NEW.last_contacted_at, NEW.created_at));
        PERFORM closer.move_lead_filters(NEW.organization_id, OLD.stage_id, NEW.stage_id, NEW.id, OLD.assigned_to,
                                         NEW.assigned_to, facets, moved);
        RETURN NULL;
    END IF;
    IF NEW.assigned_to IS DISTINCT FROM OLD.assigned_to THEN
        -- The owner rows only: from the old owner to the new one, in the same stage.
        PERFORM closer.move_lead_filters(NEW.organization_id, NEW.stage_id, NEW.stage_id, NEW.id, OLD.assigned_to,
                                         NEW.assigned_to, '{}', '{}');
    END IF;
    IF NEW.score IS DISTINCT FROM OLD.score THEN
        PERFORM closer.swap_lead_facet(NEW.organization_id, NEW.stage_id, NEW.id, 'score:' || OLD.score,
                                       'score:' || NEW.score);
    END IF;
    -- A second call the same day writes nothing.
    PERFORM closer.swap_lead_facet(NEW.organization_id, NEW.stage_id, NEW.id,
                                   closer.touch_facet(coalesce(OLD.last_contacted_at, OLD.created_at)),
                                   closer.touch_facet(coalesce(NEW.last_contacted_at, NEW.created_at)));
    RETURN NULL;
END $$;

DROP TRIGGER leads_maintain_filter_summary ON leads;
CREATE TRIGGER leads_maintain_filter_summary AFTER UPDATE OF stage_id, assigned_to, score, last_contacted_at, created_at
    ON leads FOR EACH ROW EXECUTE FUNCTION closer.leads_maintain_filter_summary();

-- The leads of a pipeline's stages with a limit touched on the UTC day of their cutoff (now
-- minus the limit) but before it: the few a stage's day rows leave out. A definer on purpose:
-- under a member's row security the planner cannot use `leads_board_contact_idx` for a range
-- (a COALESCE is not leakproof, so it may not run before the policy), and read every lead of
-- the stage instead (50-80 ms per stage at 1M); as the owner the policy is `true`. It reads
-- only an organization the caller belongs to, as closer.find_leads does.
CREATE FUNCTION closer.rotting_edge(org uuid, pipeline uuid, now timestamptz)
    RETURNS TABLE (stage_id uuid, id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
    s record;
    cutoff timestamptz;
    day_start timestamptz;
BEGIN
    IF org IS NULL OR NOT org = ANY (closer.user_org_ids()) THEN
        RETURN;
    END IF;
    FOR s IN SELECT p.id, p.rotting_days FROM public.pipeline_stages p
             WHERE p.organization_id = org AND p.pipeline_id = pipeline AND p.rotting_days IS NOT NULL LOOP
        cutoff := now - make_interval(days => s.rotting_days);
        day_start := date_trunc('day', cutoff AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
        RETURN QUERY
        SELECT s.id, l.id FROM public.leads l
        WHERE l.organization_id = org AND l.stage_id = s.id
          AND coalesce(l.last_contacted_at, '-infinity'::timestamptz) >= day_start
          AND coalesce(l.last_contacted_at, '-infinity'::timestamptz) < cutoff
        UNION ALL
        SELECT s.id, l.id FROM public.leads l
        WHERE l.organization_id = org AND l.stage_id = s.id AND l.last_contacted_at IS NULL
          AND l.created_at >= day_start AND l.created_at < cutoff;
    END LOOP;
END $$;

REVOKE EXECUTE ON FUNCTION closer.lead_facets(uuid, uuid, integer, timestamptz),
    closer.move_lead_filters(uuid, uuid, uuid, uuid, uuid, uuid, text[], text[]),
    closer.rotting_edge(uuid, uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.rotting_edge(uuid, uuid, timestamptz) TO closer_member;

-- 3. The existing leads' rows, as the migrating admin.
RESET ROLE;
LOCK TABLE leads, deals IN SHARE MODE;
INSERT INTO stage_filter_deltas (organization_id, stage_id, owner_id, facet, lead_count, open_deal_amount,
                                 weighted_deal_amount, currency)
WITH touched AS (
    SELECT l.organization_id, l.id, l.stage_id,
           closer.touch_facet(coalesce(l.last_contacted_at, l.created_at)) AS facet
    FROM leads l
), open_deals AS (
    SELECT d.organization_id, d.lead_id, d.currency, sum(d.amount) AS amount,
           sum(d.amount * d.probability / 100.0) AS weighted
    FROM deals d WHERE d.status = 'open' GROUP BY d.organization_id, d.lead_id, d.currency
)
SELECT t.organization_id, t.stage_id, NULL::uuid, t.facet, count(*), 0, 0, NULL::text
FROM touched t GROUP BY t.organization_id, t.stage_id, t.facet
UNION ALL
SELECT t.organization_id, t.stage_id, NULL, t.facet, 0, sum(o.amount), sum(o.weighted), o.currency
FROM touched t JOIN open_deals o ON o.organization_id = t.organization_id AND o.lead_id = t.id
GROUP BY t.organization_id, t.stage_id, t.facet, o.currency;
