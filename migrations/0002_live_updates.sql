-- Live updates: statement-level triggers NOTIFY an organization's secret channel.
-- Any login may LISTEN on any channel, so the channel name is a per-organization random token
-- that only members can read (organizations is under RLS), and payloads carry only the table
-- name and at most one opaque lead id. Clients re-read everything through RLS.
-- One NOTIFY per statement per organization: a bulk update of 5,000 leads is one notification.
SET LOCAL ROLE closer_owner;

ALTER TABLE organizations
    ADD COLUMN notify_channel text NOT NULL UNIQUE
        DEFAULT 'closer_' || replace(gen_random_uuid()::text, '-', '');

CREATE POLICY owner_reads_organizations ON organizations FOR SELECT TO closer_owner USING (true);

-- Transition tables hold the statement's rows; `lead_id` is a column of every table but leads.
CREATE FUNCTION closer.notify_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    lead_column text := CASE WHEN TG_TABLE_NAME = 'leads' THEN 'id' ELSE 'lead_id' END;
    change record;
BEGIN
    FOR change IN EXECUTE format(
        'SELECT o.notify_channel, CASE WHEN count(DISTINCT r.%1$I) = 1 THEN min(r.%1$I::text) END AS lead_id
         FROM changed_rows r JOIN public.organizations o ON o.id = r.organization_id
         GROUP BY o.notify_channel', lead_column)
    LOOP
        PERFORM pg_notify(change.notify_channel,
                          TG_TABLE_NAME || CASE WHEN change.lead_id IS NULL THEN '' ELSE ':' || change.lead_id END);
    END LOOP;
    RETURN NULL;
END $$;
GRANT EXECUTE ON FUNCTION closer.notify_changes() TO closer_member;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['leads', 'lead_tasks', 'lead_interactions', 'lead_activities', 'deals', 'lead_tags',
                             'lead_profiles', 'lead_documents'] LOOP
        EXECUTE format('CREATE TRIGGER %1$s_notify_insert AFTER INSERT ON %1$I REFERENCING NEW TABLE AS changed_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION closer.notify_changes()', t);
        EXECUTE format('CREATE TRIGGER %1$s_notify_update AFTER UPDATE ON %1$I REFERENCING NEW TABLE AS changed_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION closer.notify_changes()', t);
        EXECUTE format('CREATE TRIGGER %1$s_notify_delete AFTER DELETE ON %1$I REFERENCING OLD TABLE AS changed_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION closer.notify_changes()', t);
    END LOOP;
END $$;

RESET ROLE;
