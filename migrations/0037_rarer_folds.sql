-- Folding the board totals less often (issue 16).
-- Each write had a 1 in 32 chance of folding the organization's deltas, and a move writes two to
-- four: about one move in ten rewrote every folded row. Since 0034 the folded rows include the
-- closed deals per month (a 1M-lead organization: ~130 rows), and a fold cost ~8 ms on a busy
-- machine, about 0.5 ms per move on average (`track_functions`, 200 moves). One write in 128
-- folds now: a header read sums at most a few hundred small rows (well under a millisecond),
-- and a move pays a quarter of what it did. Exactness is unchanged (a fold only regroups).
SET LOCAL ROLE closer_owner;

CREATE OR REPLACE FUNCTION closer.bump_stage_summary(org uuid, stage uuid, leads bigint, amount numeric, weighted numeric)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF leads = 0 AND amount = 0 AND weighted = 0 THEN
        RETURN;
    END IF;
    INSERT INTO public.stage_summary_deltas (organization_id, stage_id, lead_count, open_deal_amount, weighted_deal_amount)
    VALUES (org, stage, leads, amount, weighted);
    IF random() < 1.0 / 128 THEN
        PERFORM closer.compact_stage_summaries(org);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION closer.bump_stage_summary(org uuid, stage uuid, leads bigint, amount numeric, weighted numeric,
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
    IF random() < 1.0 / 128 THEN
        PERFORM closer.compact_stage_summaries(org);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION closer.bump_closed_summary(org uuid, stage uuid, status public.deal_status, month date,
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
    IF random() < 1.0 / 128 THEN
        PERFORM closer.compact_stage_summaries(org);
    END IF;
END $$;

RESET ROLE;
