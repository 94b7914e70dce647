-- Won and lost headers from the same deltas as the open ones (issue 16).
-- The closed columns' headers summed every won or lost deal of the period joined to its lead:
-- at 1M leads 1.2 s and a scan of `deals` per read, re-read by every watching board about once a
-- second under load. The deltas now also carry closed deals, per stage of their lead, status,
-- month closed and currency, so a header is a sum over a few folded rows. Writers still only
-- INSERT (no shared row); a move that carried the lead's open deals now carries its closed ones
-- in the same single read of the lead's deals.
SET LOCAL ROLE closer_owner;

ALTER TABLE stage_summary_deltas
    ADD COLUMN closed_status deal_status,
    ADD COLUMN closed_month date,
    ADD COLUMN closed_deal_count bigint NOT NULL DEFAULT 0,
    ADD COLUMN closed_deal_amount numeric NOT NULL DEFAULT 0,
    ADD CONSTRAINT stage_summary_deltas_closed_check
        CHECK ((closed_status IS NULL) = (closed_month IS NULL) AND closed_status IS DISTINCT FROM 'open');

-- Closed deals so far (as the migrating admin: forced row security shows closer_owner nothing).
RESET ROLE;
INSERT INTO stage_summary_deltas (organization_id, stage_id, currency, closed_status, closed_month,
                                  closed_deal_count, closed_deal_amount)
SELECT l.organization_id, l.stage_id, d.currency, d.status, date_trunc('month', d.closed_on)::date,
       count(*), sum(d.amount)
FROM deals d
JOIN leads l ON l.organization_id = d.organization_id AND l.id = d.lead_id
WHERE d.status <> 'open' AND d.closed_on IS NOT NULL
GROUP BY l.organization_id, l.stage_id, d.currency, d.status, date_trunc('month', d.closed_on);
SET LOCAL ROLE closer_owner;

-- 0022's fold, keeping status and month apart.
CREATE OR REPLACE FUNCTION closer.compact_stage_summaries(org uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR current_setting('closer.summaries_folded', true) = 'on'
       OR NOT pg_try_advisory_xact_lock(20161, hashtext(org::text)) THEN
        RETURN;
    END IF;
    PERFORM set_config('closer.summaries_folded', 'on', true);
    WITH gone AS (
        DELETE FROM public.stage_summary_deltas d WHERE d.organization_id = org
        RETURNING d.stage_id, d.currency, d.lead_count, d.open_deal_amount, d.weighted_deal_amount,
                  d.closed_status, d.closed_month, d.closed_deal_count, d.closed_deal_amount
    )
    INSERT INTO public.stage_summary_deltas (organization_id, stage_id, currency, lead_count, open_deal_amount,
                                             weighted_deal_amount, closed_status, closed_month,
                                             closed_deal_count, closed_deal_amount)
    SELECT org, g.stage_id, g.currency, sum(g.lead_count), sum(g.open_deal_amount), sum(g.weighted_deal_amount),
           g.closed_status, g.closed_month, sum(g.closed_deal_count), sum(g.closed_deal_amount)
    FROM gone g
    GROUP BY g.stage_id, g.currency, g.closed_status, g.closed_month
    HAVING sum(g.lead_count) <> 0 OR sum(g.open_deal_amount) <> 0 OR sum(g.weighted_deal_amount) <> 0
        OR sum(g.closed_deal_count) <> 0 OR sum(g.closed_deal_amount) <> 0;
END $$;

-- Closed deals of one month, status and currency entering (+) or leaving (−) a stage.
CREATE FUNCTION closer.bump_closed_summary(org uuid, stage uuid, status public.deal_status, month date,
                                           currency text, deals bigint, amount numeric)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF deals = 0 AND amount = 0 THEN
        RETURN;
    END IF;
    INSERT INTO public.stage_summary_deltas (organization_id, stage_id, currency, closed_status, closed_month,
                                             closed_deal_count, closed_deal_amount)
    VALUES (org, stage, currency, status, month, deals, amount);
    IF random() < 1.0 / 32 THEN
        PERFORM closer.compact_stage_summaries(org);
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION closer.bump_closed_summary(uuid, uuid, public.deal_status, date, text, bigint, numeric)
    FROM PUBLIC;

-- Every deal of one lead that a header sums: open ones per currency (month null), closed ones
-- per status, month and currency. One index range (deals_lead_idx), as the open-only read was.
CREATE FUNCTION closer.lead_deal_totals(org uuid, lead uuid)
    RETURNS TABLE (status public.deal_status, month date, currency text, deals bigint, amount numeric,
                   weighted numeric)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN QUERY
    SELECT d.status, CASE WHEN d.status = 'open' THEN NULL ELSE date_trunc('month', d.closed_on)::date END,
           d.currency, count(*), sum(d.amount), sum(d.amount * d.probability / 100.0)
    FROM public.deals d
    WHERE d.organization_id = org AND d.lead_id = lead
      AND (d.status = 'open' OR d.closed_on IS NOT NULL)
    GROUP BY 1, 2, 3;
END $$;
REVOKE EXECUTE ON FUNCTION closer.lead_deal_totals(uuid, uuid) FROM PUBLIC;

-- A moved or deleted lead carries all its deals (0022 carried the open ones); the lead count
-- rides on the first open row, as before.
CREATE OR REPLACE FUNCTION closer.leads_maintain_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    t record;
    count bigint := 1;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM closer.bump_stage_summary(NEW.organization_id, NEW.stage_id, 1, 0, 0);
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        -- Runs BEFORE the delete: the cascaded deals can no longer find the lead's stage.
        FOR t IN SELECT * FROM closer.lead_deal_totals(OLD.organization_id, OLD.id) LOOP
            IF t.status = 'open' THEN
                PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -count, -t.amount,
                                                  -t.weighted, t.currency);
                count := 0;
            ELSE
                PERFORM closer.bump_closed_summary(OLD.organization_id, OLD.stage_id, t.status, t.month,
                                                   t.currency, -t.deals, -t.amount);
            END IF;
        END LOOP;
        PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -count, 0, 0);
        RETURN OLD;
    ELSIF NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
        FOR t IN SELECT * FROM closer.lead_deal_totals(OLD.organization_id, OLD.id) LOOP
            IF t.status = 'open' THEN
                PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -count, -t.amount,
                                                  -t.weighted, t.currency);
                PERFORM closer.bump_stage_summary(NEW.organization_id, NEW.stage_id, count, t.amount,
                                                  t.weighted, t.currency);
                count := 0;
            ELSE
                PERFORM closer.bump_closed_summary(OLD.organization_id, OLD.stage_id, t.status, t.month,
                                                   t.currency, -t.deals, -t.amount);
                PERFORM closer.bump_closed_summary(NEW.organization_id, NEW.stage_id, t.status, t.month,
                                                   t.currency, t.deals, t.amount);
            END IF;
        END LOOP;
        PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -count, 0, 0);
        PERFORM closer.bump_stage_summary(NEW.organization_id, NEW.stage_id, count, 0, 0);
    END IF;
    RETURN NULL;
END $$;

-- A deal entering or leaving "closed on day D with amount A" moves its lead's stage's closed
-- totals; an edit that changes none of what they sum writes nothing.
CREATE OR REPLACE FUNCTION closer.deals_maintain_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    stage uuid;
    closed_changed boolean := true;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        closed_changed := (OLD.status, OLD.closed_on, OLD.amount, OLD.currency, OLD.lead_id)
            IS DISTINCT FROM (NEW.status, NEW.closed_on, NEW.amount, NEW.currency, NEW.lead_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND (OLD.status = 'open' OR (closed_changed AND OLD.closed_on IS NOT NULL)) THEN
        stage := closer.lead_stage(OLD.organization_id, OLD.lead_id);
        IF stage IS NOT NULL AND OLD.status = 'open' THEN
            PERFORM closer.bump_stage_summary(OLD.organization_id, stage, 0, -OLD.amount,
                                              -(OLD.amount * OLD.probability / 100.0), OLD.currency);
        ELSIF stage IS NOT NULL THEN
            PERFORM closer.bump_closed_summary(OLD.organization_id, stage, OLD.status,
                                               date_trunc('month', OLD.closed_on)::date, OLD.currency, -1, -OLD.amount);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (NEW.status = 'open' OR (closed_changed AND NEW.closed_on IS NOT NULL)) THEN
        stage := closer.lead_stage(NEW.organization_id, NEW.lead_id);
        IF stage IS NOT NULL AND NEW.status = 'open' THEN
            PERFORM closer.bump_stage_summary(NEW.organization_id, stage, 0, NEW.amount,
                                              NEW.amount * NEW.probability / 100.0, NEW.currency);
        ELSIF stage IS NOT NULL THEN
            PERFORM closer.bump_closed_summary(NEW.organization_id, stage, NEW.status,
                                               date_trunc('month', NEW.closed_on)::date, NEW.currency, 1, NEW.amount);
        END IF;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER deals_maintain_summary ON deals;
CREATE TRIGGER deals_maintain_summary
    AFTER INSERT OR DELETE OR UPDATE OF amount, probability, status, lead_id, currency, closed_on
    ON deals FOR EACH ROW EXECUTE FUNCTION closer.deals_maintain_summary();

-- Won or lost deals of a closed stage per currency since a month (the headers' read). Invoker:
-- row security keeps it to the caller's organizations, like the view it sits beside.
CREATE VIEW stage_closed_summaries WITH (security_invoker = true) AS
    SELECT d.organization_id, d.stage_id, d.closed_status, d.closed_month, coalesce(d.currency, o.currency) AS currency,
           sum(d.closed_deal_count)::bigint AS deal_count, sum(d.closed_deal_amount)::numeric(18, 2) AS amount
    FROM stage_summary_deltas d
    JOIN organizations o ON o.id = d.organization_id
    WHERE d.closed_status IS NOT NULL
    GROUP BY d.organization_id, d.stage_id, d.closed_status, d.closed_month, coalesce(d.currency, o.currency)
    HAVING sum(d.closed_deal_count) <> 0 OR sum(d.closed_deal_amount) <> 0;
REVOKE ALL ON stage_closed_summaries FROM PUBLIC;
GRANT SELECT ON stage_closed_summaries TO closer_member;
CREATE TRIGGER stage_closed_summaries_are_derived INSTEAD OF INSERT OR UPDATE OR DELETE ON stage_closed_summaries
    FOR EACH ROW EXECUTE FUNCTION closer.stage_summaries_are_derived();

RESET ROLE;
