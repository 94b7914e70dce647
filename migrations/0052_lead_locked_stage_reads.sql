-- A deal's or a tag's totals land in the stage its lead is in (issues 12 and 16: "exact at
-- every read").
--
-- The deal and tag triggers read their lead's stage without a lock. A rep moving lead A from S1
-- to S2 while a teammate adds a deal (or a tag) to A: the move carries A's deals and tags that
-- it can see (not the teammate's, uncommitted), and the teammate's trigger reads A in S1 (the
-- move is uncommitted). Both commit: the header of S1 keeps the deal's amount, the tag's
-- filter row counts A in S1, and the lead is in S2, until the organization is reseeded.
--
-- Now each reads the stage from the lead row locked FOR NO KEY UPDATE, the lock a move takes:
-- whichever comes second waits for the first to commit and then sees its change (a move's
-- triggers read the deals and tags anew; a deal's or tag's trigger reads the moved lead). The
-- lock order stays lead, then deal or tag wherever both are locked by one statement of the API:
--   * closer.lead_stage (the stage headers' deal trigger, the tag filters' row trigger) locks;
--     members cannot call it (tests/db/rls.rs).
--   * closer.bump_deal_filters locks (0051's version).
--   * The tags' statement trigger locks its leads in id order before it reads them.
--   * closer.update_deal locks the deal's lead before the deal: closing a lead (lead, then its
--     deals) and a teammate's deal edit cannot wait on each other in a cycle.
-- A deal or tag written by plain SQL takes the lead after its own row; against a move into won
-- of the same lead that can deadlock, which PostgreSQL breaks and the client reports as a
-- conflict to retry (as 0049's task writes).
SET LOCAL ROLE closer_owner;

CREATE OR REPLACE FUNCTION closer.lead_stage(org uuid, lead uuid) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN (SELECT l.stage_id FROM public.leads l WHERE l.organization_id = org AND l.id = lead
            FOR NO KEY UPDATE);
END $$;

-- 0044's function, with the leads locked first.
CREATE OR REPLACE FUNCTION closer.lead_tags_filter_summary_inserted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    org uuid;
    added bigint;
BEGIN
    PERFORM 1 FROM public.leads l
    WHERE (l.organization_id, l.id) IN (SELECT n.organization_id, n.lead_id FROM new_tags n)
    ORDER BY l.id FOR NO KEY UPDATE;
    WITH tagged AS MATERIALIZED (
        SELECT n.organization_id, l.stage_id, n.lead_id, 'tag:' || n.tag AS facet
        FROM new_tags n
        JOIN public.leads l ON l.organization_id = n.organization_id AND l.id = n.lead_id
    ), open_deals AS MATERIALIZED (
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
    FOR org, added IN SELECT n.organization_id, count(*) FROM new_tags n GROUP BY n.organization_id LOOP
        IF random() * 128 < added THEN
            PERFORM closer.compact_filter_summaries(org);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- 0022's function, with the deal's lead locked first.
CREATE OR REPLACE FUNCTION closer.update_deal(org uuid, deal uuid, expected_version integer, name text, amount float8,
                                              stage text, probability integer, status public.deal_status,
                                              set_close_date boolean, expected_close_date date, fields jsonb,
                                              currency text)
    RETURNS TABLE (version integer)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    SELECT 1 FROM public.leads l
    WHERE l.organization_id = $1
      AND l.id = (SELECT d.lead_id FROM public.deals d WHERE d.organization_id = $1 AND d.id = $2)
    FOR NO KEY UPDATE;
    WITH changed AS (
        UPDATE public.deals SET
            name = coalesce($4, name),
            amount = coalesce($5::numeric, amount),
            currency = coalesce($12, currency),
            stage = coalesce($6, stage),
            probability = coalesce($7, probability),
            status = coalesce($8, status),
            expected_close_date = CASE WHEN $9 THEN $10 ELSE expected_close_date END
        WHERE organization_id = $1 AND id = $2 AND version = $3
        RETURNING id, lead_id, name, amount, currency, stage, status, version
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, changed.lead_id, 'deal_updated',
               jsonb_build_object('deal_id', changed.id, 'name', changed.name, 'fields', $11,
                                  'amount', changed.amount, 'currency', changed.currency,
                                  'stage', changed.stage, 'status', changed.status)
        FROM changed
    )
    SELECT version FROM changed
$$;

RESET ROLE;
