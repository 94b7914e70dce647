-- The floor's write path without foreign-key checks on the append-only delta rows (issue 16).
-- A move appends a header delta at each end and a filter delta per owner and facet at each end
-- (about ten rows); each row checked two foreign keys, one SPI query each, taking a KEY SHARE
-- lock on the organization's row and on the stage's row, rows every writer of the organization
-- shares. Measured on a 1M-lead seed, `closer bench --org Seed --leads 1000000 load --reps 50
-- --seconds 20`: 342-393 tx/s with the keys, 402-406 tx/s without, 0 errors, headers exact.
--
-- What the keys did is kept: a delta row names a stage only through a trigger on leads, deals or
-- lead_tags whose own row holds that stage by its key, and the rows of a deleted stage (or of a
-- deleted organization) are deleted by the statement triggers below instead of ON DELETE
-- CASCADE; the organization's runs after all its cascades, which can still append deltas (a
-- deleted lead takes its figures off its stage). Readers sum deltas by the stages of a
-- pipeline, so a row could never be read for a stage that is gone anyway.
SET LOCAL ROLE closer_owner;

ALTER TABLE stage_summary_deltas
    DROP CONSTRAINT stage_summary_deltas_organization_id_fkey,
    DROP CONSTRAINT stage_summary_deltas_organization_id_stage_id_fkey;
ALTER TABLE stage_filter_deltas
    DROP CONSTRAINT stage_filter_deltas_organization_id_fkey,
    DROP CONSTRAINT stage_filter_deltas_organization_id_stage_id_fkey;

CREATE FUNCTION closer.stage_deltas_follow_stages() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    DELETE FROM public.stage_summary_deltas d USING gone g
    WHERE d.organization_id = g.organization_id AND d.stage_id = g.id;
    DELETE FROM public.stage_filter_deltas d USING gone g
    WHERE d.organization_id = g.organization_id AND d.stage_id = g.id;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION closer.stage_deltas_follow_stages() FROM PUBLIC;

CREATE TRIGGER pipeline_stages_deltas_gone AFTER DELETE ON pipeline_stages
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION closer.stage_deltas_follow_stages();

CREATE FUNCTION closer.stage_deltas_follow_organizations() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    DELETE FROM public.stage_summary_deltas d USING gone g WHERE d.organization_id = g.id;
    DELETE FROM public.stage_filter_deltas d USING gone g WHERE d.organization_id = g.id;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION closer.stage_deltas_follow_organizations() FROM PUBLIC;

CREATE TRIGGER organizations_deltas_gone AFTER DELETE ON organizations
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION closer.stage_deltas_follow_organizations();

RESET ROLE;
