-- A statement's authors checked once, not stamped once per row (issue 14: import 100k <= 15 s).
--
-- `leads_stamp_author` (0001) and `lead_activities_stamp` (0004) ran a PL/pgSQL row trigger per
-- inserted row, each calling closer.current_profile_id() (a security-definer lookup, ~17 us):
-- 200k calls and 200k trigger invocations per 100k imported leads, 15 % of an import batch
-- (5,000 rows into a new organization of the 1M database: 2.3 s with them, 1.97 s without).
-- Members write nothing directly (0004: every write is a closer.* function), so a row's author
-- comes from the column default (closer.current_profile_id()) or from a function that passes
-- its caller (closer.import_leads). What the stamps guaranteed is kept as a check: an INSERT whose
-- rows name anyone but the caller as author (or, for an activity, a time other than now()) is
-- refused whole, once per statement over its transition table. A session without a profile (the
-- owner, `closer admin`) is not checked, as the stamps left its rows alone. A later change of
-- a lead's author is still undone by the row trigger, which now fires only for an UPDATE that
-- names `created_by` (moves no longer call it).
SET LOCAL ROLE closer_owner;

CREATE FUNCTION closer.authors_checked() RETURNS trigger
    LANGUAGE plpgsql SET search_path = ''
AS $$
DECLARE
    me uuid := closer.current_profile_id();
BEGIN
    IF me IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_ARGV[0] = 'now' THEN
        IF EXISTS (SELECT 1 FROM new_rows n WHERE n.created_by IS DISTINCT FROM me OR n.created_at IS DISTINCT FROM now()) THEN
            RAISE EXCEPTION 'rows are written by their author, now' USING ERRCODE = '42501';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM new_rows n WHERE n.created_by IS DISTINCT FROM me) THEN
        RAISE EXCEPTION 'rows are written by their author' USING ERRCODE = '42501';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER leads_stamp_author ON leads;
CREATE TRIGGER leads_stamp_author BEFORE UPDATE OF created_by ON leads
    FOR EACH ROW EXECUTE FUNCTION closer.stamp_author('created_by');
CREATE TRIGGER leads_authors_checked AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION closer.authors_checked();

DROP TRIGGER lead_activities_stamp ON lead_activities;
DROP FUNCTION closer.stamp_activity();
CREATE TRIGGER lead_activities_authors_checked AFTER INSERT ON lead_activities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION closer.authors_checked('now');

RESET ROLE;
