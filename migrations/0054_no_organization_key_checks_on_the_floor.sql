-- The floor's writes take no lock on their organization's row (issue 16: no hot rows).
--
-- Every transaction of the floor inserts rows whose `organization_id` was a foreign key to
-- `organizations`: a move a history row and an activity, a call an interaction, an activity
-- and a call delta, a task a task row and a task delta. Each check is an SPI query that takes
-- a KEY SHARE lock on the organization's one row, the row every writer of the organization
-- shares: with fifty writers its xmax is a MultiXact that every new locker copies and extends,
-- a WAL record and a dirtied page each time (0048 removed the same checks from the delta rows).
-- Under `closer bench load --reps 50` the check `SELECT 1 FROM ONLY organizations … FOR KEY
-- SHARE` was among the statements over 40 ms about a hundred times in 20 s.
--
-- A tag, a deal, a document or an imported lead's profile took the same lock; their keys go too.
--
-- What the keys did is kept:
--   * lead_activities, lead_interactions, lead_tasks, stage_history, lead_profiles, lead_tags,
--     lead_documents and deals keep their composite key (organization_id, lead_id) to leads
--     (organization_id, id), ON DELETE CASCADE, and lead_id is NOT NULL: a row's organization is its lead's, whose own key holds it, and a
--     deleted organization takes its leads and so their rows. The lock that check takes is on
--     the lead's row, which only that lead's writers share.
--   * closer_insights.call_deltas and task_deltas (append-only, written by the owner's
--     triggers from rows checked above) go with a deleted organization through the statement
--     trigger below instead of ON DELETE CASCADE, as 0048's delta rows do.
SET LOCAL ROLE closer_owner;

ALTER TABLE lead_activities DROP CONSTRAINT lead_activities_organization_id_fkey;
ALTER TABLE lead_interactions DROP CONSTRAINT lead_interactions_organization_id_fkey;
ALTER TABLE lead_tasks DROP CONSTRAINT lead_tasks_organization_id_fkey;
ALTER TABLE stage_history DROP CONSTRAINT stage_history_organization_id_fkey;
ALTER TABLE lead_profiles DROP CONSTRAINT lead_profiles_organization_id_fkey;
ALTER TABLE lead_tags DROP CONSTRAINT lead_tags_organization_id_fkey;
ALTER TABLE lead_documents DROP CONSTRAINT lead_documents_organization_id_fkey;
ALTER TABLE deals DROP CONSTRAINT deals_organization_id_fkey;
ALTER TABLE closer_insights.call_deltas DROP CONSTRAINT call_deltas_organization_id_fkey;
ALTER TABLE closer_insights.task_deltas DROP CONSTRAINT task_deltas_organization_id_fkey;

CREATE FUNCTION closer.insight_deltas_follow_organizations() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    DELETE FROM closer_insights.call_deltas d USING gone g WHERE d.organization_id = g.id;
    DELETE FROM closer_insights.task_deltas d USING gone g WHERE d.organization_id = g.id;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION closer.insight_deltas_follow_organizations() FROM PUBLIC;

CREATE TRIGGER organizations_insight_deltas_gone AFTER DELETE ON organizations
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION closer.insight_deltas_follow_organizations();

RESET ROLE;
