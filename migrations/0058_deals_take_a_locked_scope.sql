-- A deal takes its lead's owner, pipeline and source from the lead row locked as a move or an
-- owner change locks it (noticed last stop, the same race 0052 closed for stages).
--
-- closer.deal_takes_lead_scope (0017, 0031) read the lead without a lock. A deal added while a
-- teammate gave its lead to someone else could read the old owner, and the owner change's
-- closer.deals_follow_lead_scope, whose statement did not yet see the new deal, left it there:
-- the cockpit counted that deal for the previous owner for good. Reading the lead FOR NO KEY
-- UPDATE orders the two: the deal waits for the owner change and reads the new owner, or the
-- owner change waits for the deal and then carries it along. Lead before deal, as in 0052's
-- closer.update_deal; the deal's own AFTER triggers lock the same lead again (no new order).
-- The trigger runs as the writer: a rep can lock only leads their row security lets them update
-- (for closer_owner, 0049's owner_locks_leads, which changes nothing).
SET LOCAL ROLE closer_owner;

CREATE OR REPLACE FUNCTION closer.deal_takes_lead_scope() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    SELECT s.pipeline_id, l.assigned_to, l.source, (l.created_at AT TIME ZONE 'UTC')::date
    INTO NEW.pipeline_id, NEW.owner_id, NEW.source, NEW.lead_created_on
    FROM public.leads l
    JOIN public.pipeline_stages s ON s.organization_id = l.organization_id AND s.id = l.stage_id
    WHERE l.organization_id = NEW.organization_id AND l.id = NEW.lead_id
    FOR NO KEY UPDATE OF l;
    RETURN NEW;
END $$;

RESET ROLE;
