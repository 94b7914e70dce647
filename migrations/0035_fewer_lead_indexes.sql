-- Fewer index entries per lead write (issues 16, 14, 10).
-- A move changes `stage_id`, which the board's indexes hold, so it is never a HOT update: every
-- index on `leads` takes a new entry for every move, import row and seeded lead. Five of them
-- served nothing a member does today:
-- * `leads_name_trgm_idx`, `leads_phone_trgm_idx` and `lead_profiles_company_trgm_idx` (0001)
--   only served `closer.search_leads`, the substring search that `closer.find_leads` (0008)
--   replaced on the board. The inbox's lead picker, `closer leads`' callers and old clients still
--   call `closer.search_leads`: it now answers with the search that finds (accents, word order,
--   typos), through find's own indexes, which no member can scan (no cross-organization oracle;
--   SECURITY.md). At 1M leads the three held 78 MB and took 31 s of the seed's index rebuild.
-- * `leads_property_idx` and `leads_project_idx` (0003) back the foreign keys' ON DELETE, which
--   only ever look for one non-null id: partial, they hold no entry for the leads (all of them
--   in every seeded organization) that have neither.
SET LOCAL ROLE closer_owner;

-- Replaced by the migrating admin: the function stays owned by `closer_search` (0001).
RESET ROLE;
CREATE OR REPLACE FUNCTION closer.search_leads(org uuid, query text, max_hits integer)
    RETURNS TABLE (id uuid, name text, company text, stage_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    -- find_leads checks the caller's membership (session_user) and keeps to `org`.
    RETURN QUERY SELECT f.id, f.name, f.company, f.stage_id FROM closer.find_leads(org, query, max_hits) f;
END $$;
SET LOCAL ROLE closer_owner;

DROP INDEX leads_name_trgm_idx, leads_phone_trgm_idx, lead_profiles_company_trgm_idx;

DROP INDEX leads_property_idx, leads_project_idx, deals_property_idx;
CREATE INDEX leads_property_idx ON leads (organization_id, property_id) WHERE property_id IS NOT NULL;
CREATE INDEX leads_project_idx ON leads (organization_id, project_id) WHERE project_id IS NOT NULL;
CREATE INDEX deals_property_idx ON deals (organization_id, property_id) WHERE property_id IS NOT NULL;

RESET ROLE;
