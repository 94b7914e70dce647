-- The closing popup's recent lost reasons (issue 10): the most used `leads.lost_reason` of the
-- last 90 days. A partial index on the leads that carry a reason, newest first, so the read is
-- one bounded index range per organization (the newest few thousand), never a scan of its leads.
SET LOCAL ROLE closer_owner;

CREATE INDEX leads_lost_reason_recent_idx ON leads (organization_id, updated_at DESC)
    INCLUDE (lost_reason) WHERE lost_reason IS NOT NULL;

RESET ROLE;
