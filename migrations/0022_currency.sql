-- Deals carry a currency (issue 11): `€1,250,000` was stored and shown as `$1,250,000`.
--   1. organizations.currency: the organization's ISO 4217 code (default USD), changed by a
--      manager through closer.set_org_currency.
--   2. deals.currency: given by the writer or, when not, the organization's (a BEFORE trigger,
--      so every path — closer.add_deal, the seed, an admin's INSERT — gets one); existing deals
--      are backfilled to their organization's currency.
--   3. The board's totals per currency: each delta row notes the currency of its amounts (null:
--      a lead count, or an amount in the organization's currency). `stage_summaries` keeps its
--      columns and sums only the organization's currency (never EUR into USD);
--      `stage_currency_summaries` has every currency, one row each. Writers still only INSERT.
--   4. add_deal / update_deal take the currency (the 0004 versions stay for older callers: a
--      deal they add takes the organization's currency, an edit leaves it alone).
SET LOCAL ROLE closer_owner;

ALTER TABLE organizations ADD COLUMN currency text NOT NULL DEFAULT 'USD'
    CONSTRAINT organizations_currency_check CHECK (currency ~ '^[A-Z]{3}$');
ALTER TABLE deals ADD COLUMN currency text
    CONSTRAINT deals_currency_check CHECK (currency ~ '^[A-Z]{3}$');
ALTER TABLE stage_summary_deltas ADD COLUMN currency text
    CONSTRAINT stage_summary_deltas_currency_check CHECK (currency ~ '^[A-Z]{3}$');

-- Backfill as the migrating admin (forced row security shows closer_owner no rows), without
-- the row triggers: a derived value is no edit (no version bump, no notification).
RESET ROLE;
ALTER TABLE deals DISABLE TRIGGER USER;
UPDATE deals d SET currency = o.currency
FROM organizations o
WHERE o.id = d.organization_id AND d.currency IS NULL;
ALTER TABLE deals ENABLE TRIGGER USER;
-- Amounts summed so far were all in the organization's currency (the backfill above).
UPDATE stage_summary_deltas d SET currency = o.currency
FROM organizations o
WHERE o.id = d.organization_id AND d.currency IS NULL
  AND (d.open_deal_amount <> 0 OR d.weighted_deal_amount <> 0);
SET LOCAL ROLE closer_owner;

ALTER TABLE deals ALTER COLUMN currency SET NOT NULL;

-- Runs as the writer (members write through closer.* or under RLS and read their own
-- organization; closer_owner and admins read every one).
CREATE FUNCTION closer.deal_takes_org_currency() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    IF NEW.currency IS NULL THEN
        SELECT o.currency INTO NEW.currency FROM public.organizations o WHERE o.id = NEW.organization_id;
    END IF;
    RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION closer.deal_takes_org_currency() FROM PUBLIC;
CREATE TRIGGER deals_take_org_currency BEFORE INSERT OR UPDATE OF currency ON deals
    FOR EACH ROW EXECUTE FUNCTION closer.deal_takes_org_currency();

-- ---------------------------------------------------------------------------
-- 3. Totals per currency.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE VIEW stage_summaries WITH (security_invoker = true) AS
    SELECT d.organization_id, d.stage_id,
           sum(d.lead_count)::bigint AS lead_count,
           coalesce(sum(d.open_deal_amount) FILTER (WHERE coalesce(d.currency, o.currency) = o.currency), 0)
               ::numeric(18, 2) AS open_deal_amount,
           coalesce(round(sum(d.weighted_deal_amount) FILTER (WHERE coalesce(d.currency, o.currency) = o.currency), 2), 0)
               ::numeric(18, 2) AS weighted_deal_amount
    FROM stage_summary_deltas d
    JOIN organizations o ON o.id = d.organization_id
    GROUP BY d.organization_id, d.stage_id;

CREATE VIEW stage_currency_summaries WITH (security_invoker = true) AS
    SELECT d.organization_id, d.stage_id, coalesce(d.currency, o.currency) AS currency,
           sum(d.open_deal_amount)::numeric(18, 2) AS open_deal_amount,
           round(sum(d.weighted_deal_amount), 2)::numeric(18, 2) AS weighted_deal_amount
    FROM stage_summary_deltas d
    JOIN organizations o ON o.id = d.organization_id
    GROUP BY d.organization_id, d.stage_id, coalesce(d.currency, o.currency)
    HAVING sum(d.open_deal_amount) <> 0 OR sum(d.weighted_deal_amount) <> 0;
REVOKE ALL ON stage_currency_summaries FROM PUBLIC;
GRANT SELECT ON stage_currency_summaries TO closer_member;
CREATE TRIGGER stage_currency_summaries_are_derived INSTEAD OF INSERT OR UPDATE OR DELETE ON stage_currency_summaries
    FOR EACH ROW EXECUTE FUNCTION closer.stage_summaries_are_derived();

-- 0003's fold, one row per stage and currency.
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
        RETURNING d.stage_id, d.currency, d.lead_count, d.open_deal_amount, d.weighted_deal_amount
    )
    INSERT INTO public.stage_summary_deltas (organization_id, stage_id, currency, lead_count, open_deal_amount,
                                             weighted_deal_amount)
    SELECT org, g.stage_id, g.currency, sum(g.lead_count), sum(g.open_deal_amount), sum(g.weighted_deal_amount)
    FROM gone g
    GROUP BY g.stage_id, g.currency
    HAVING sum(g.lead_count) <> 0 OR sum(g.open_deal_amount) <> 0 OR sum(g.weighted_deal_amount) <> 0;
END $$;

-- 0003's writer with the currency of the amounts (the five-argument one stays: null currency).
CREATE FUNCTION closer.bump_stage_summary(org uuid, stage uuid, leads bigint, amount numeric, weighted numeric,
                                          currency text)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF leads = 0 AND amount = 0 AND weighted = 0 THEN
        RETURN;
    END IF;
    INSERT INTO public.stage_summary_deltas (organization_id, stage_id, lead_count, open_deal_amount,
                                             weighted_deal_amount, currency)
    VALUES (org, stage, leads, amount, weighted, currency);
    IF random() < 1.0 / 32 THEN
        PERFORM closer.compact_stage_summaries(org);
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION closer.bump_stage_summary(uuid, uuid, bigint, numeric, numeric, text) FROM PUBLIC;

-- A lead's open deals per currency, read as the owner so the summary is exact.
CREATE FUNCTION closer.lead_open_deals_by_currency(org uuid, lead uuid)
    RETURNS TABLE (currency text, amount numeric, weighted numeric)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    RETURN QUERY
    SELECT d.currency, sum(d.amount), sum(d.amount * d.probability / 100.0)
    FROM public.deals d
    WHERE d.organization_id = org AND d.lead_id = lead AND d.status = 'open'
    GROUP BY d.currency;
END $$;
REVOKE EXECUTE ON FUNCTION closer.lead_open_deals_by_currency(uuid, uuid) FROM PUBLIC;

-- A moved or deleted lead carries its open deals per currency; the lead count rides on the
-- first row, so a lead whose deals share one currency still writes one row per stage.
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
        FOR t IN SELECT * FROM closer.lead_open_deals_by_currency(OLD.organization_id, OLD.id) LOOP
            PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -count, -t.amount, -t.weighted, t.currency);
            count := 0;
        END LOOP;
        PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -count, 0, 0);
        RETURN OLD;
    ELSIF NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
        FOR t IN SELECT * FROM closer.lead_open_deals_by_currency(OLD.organization_id, OLD.id) LOOP
            PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -count, -t.amount, -t.weighted, t.currency);
            PERFORM closer.bump_stage_summary(NEW.organization_id, NEW.stage_id, count, t.amount, t.weighted, t.currency);
            count := 0;
        END LOOP;
        PERFORM closer.bump_stage_summary(OLD.organization_id, OLD.stage_id, -count, 0, 0);
        PERFORM closer.bump_stage_summary(NEW.organization_id, NEW.stage_id, count, 0, 0);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION closer.deals_maintain_summary() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    stage uuid;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' THEN
        stage := closer.lead_stage(OLD.organization_id, OLD.lead_id);
        IF stage IS NOT NULL THEN
            PERFORM closer.bump_stage_summary(OLD.organization_id, stage, 0, -OLD.amount,
                                              -(OLD.amount * OLD.probability / 100.0), OLD.currency);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'open' THEN
        stage := closer.lead_stage(NEW.organization_id, NEW.lead_id);
        IF stage IS NOT NULL THEN
            PERFORM closer.bump_stage_summary(NEW.organization_id, stage, 0, NEW.amount,
                                              NEW.amount * NEW.probability / 100.0, NEW.currency);
        END IF;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER deals_maintain_summary ON deals;
CREATE TRIGGER deals_maintain_summary AFTER INSERT OR DELETE OR UPDATE OF amount, probability, status, lead_id, currency
    ON deals FOR EACH ROW EXECUTE FUNCTION closer.deals_maintain_summary();

-- Insights sum one currency per panel: the currency joins 0017's ranges so they stay
-- index-only (same keys and predicates, one more included column).
DROP INDEX deals_won_scope_idx, deals_lost_scope_idx, deals_open_scope_idx;
CREATE INDEX deals_won_scope_idx ON deals (organization_id, pipeline_id, closed_on)
    INCLUDE (owner_id, amount, lead_id, currency) WHERE status = 'won';
CREATE INDEX deals_lost_scope_idx ON deals (organization_id, pipeline_id, closed_on)
    INCLUDE (owner_id, amount, currency) WHERE status = 'lost';
CREATE INDEX deals_open_scope_idx ON deals (organization_id, pipeline_id, expected_close_date)
    INCLUDE (owner_id, amount, probability, currency) WHERE status = 'open';

-- ---------------------------------------------------------------------------
-- 4. The write functions with the currency (null: the organization's / unchanged).
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.add_deal(org uuid, lead uuid, name text, amount float8, stage text,
                                probability integer, status public.deal_status, expected_close_date date,
                                currency text)
    RETURNS TABLE (id uuid)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
    WITH lead AS (
        SELECT l.id FROM public.leads l WHERE l.organization_id = $1 AND l.id = $2
    ), deal AS (
        INSERT INTO public.deals (organization_id, lead_id, name, amount, stage, probability, status,
                                  expected_close_date, currency)
        SELECT $1, lead.id, $3, $4::numeric, $5, $6, $7, $8, $9 FROM lead
        RETURNING id, lead_id, name, amount, currency, stage, status
    ), activity AS (
        INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
        SELECT $1, deal.lead_id, 'deal_added',
               jsonb_build_object('deal_id', deal.id, 'name', deal.name, 'amount', deal.amount,
                                  'currency', deal.currency, 'stage', deal.stage, 'status', deal.status)
        FROM deal
    )
    SELECT id FROM deal
$$;

CREATE FUNCTION closer.update_deal(org uuid, deal uuid, expected_version integer, name text, amount float8,
                                   stage text, probability integer, status public.deal_status,
                                   set_close_date boolean, expected_close_date date, fields jsonb,
                                   currency text)
    RETURNS TABLE (version integer)
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_member($1);
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

CREATE FUNCTION closer.set_org_currency(org uuid, currency text)
    RETURNS boolean
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_manager($1);
    WITH changed AS (
        UPDATE public.organizations o SET currency = upper(btrim($2)) WHERE o.id = $1 RETURNING o.id
    )
    SELECT EXISTS (SELECT 1 FROM changed)
$$;

REVOKE EXECUTE ON FUNCTION closer.add_deal(uuid, uuid, text, float8, text, integer, public.deal_status, date, text),
    closer.update_deal(uuid, uuid, integer, text, float8, text, integer, public.deal_status, boolean, date, jsonb, text),
    closer.set_org_currency(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.add_deal(uuid, uuid, text, float8, text, integer, public.deal_status, date, text),
    closer.update_deal(uuid, uuid, integer, text, float8, text, integer, public.deal_status, boolean, date, jsonb, text),
    closer.set_org_currency(uuid, text) TO closer_member;

RESET ROLE;
